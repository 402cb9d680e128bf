"""Keys on the Train screen that must not start, stop or lose anything by accident, and the
80x24 layout while a run goes. The run is written into the store by the test (fake_runs):
no process, so these are fast; the app attaches to it as to any live run."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_runs import STEPS_PER_EPOCH, attached, fake_live_run, hold_run_age
from textual.widgets import Input, RichLog

from rnn_tui.store import RunStore, default_db_path
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.dialogs import ConfirmModal
from rnn_tui.ui.screens.train import TrainScreen
from rnn_tui.ui.widgets.choice_field import ChoiceField
from rnn_tui.ui.widgets.train_status import bar_progress


def run_status(run_id: int) -> str:
    with RunStore(default_db_path()) as store:
        return store.get_run(run_id).status


async def test_escape_in_a_field_during_a_run_does_not_stop_it(isolated_dirs: Path) -> None:
    run_id = fake_live_run()
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await attached(pilot)
        hidden = screen.form.query_one("#field-hidden", Input)
        hidden.focus()
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.controller.running and not app.controller.stopping
        assert isinstance(app.screen, TrainScreen)
    assert run_status(run_id) == "running"


async def test_letters_on_a_choice_field_start_and_stop_nothing(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        choice = app.screen.query(ChoiceField).first()
        choice.focus()
        await pilot.press(*"/home/user/books/streets.txt", "enter")
        await pilot.pause()
        assert app.controller.launch is None and not app.controller.running
    with RunStore(default_db_path()) as store:
        assert store.list_runs() == []


async def test_typing_in_a_field_cannot_start_a_run(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        corpus = app.screen.query_one("#field-corpus", Input)
        corpus.focus()
        await pilot.press(*"/srv/x/starts.txt", "escape", *"skxfzg")
        await pilot.pause()
        assert app.controller.launch is None and not app.controller.running
        footer_keys = set(app.screen.active_bindings)
        assert "ctrl+r" in footer_keys


async def test_an_old_run_asks_before_it_stops(isolated_dirs: Path) -> None:
    run_id = fake_live_run(age_s=60)
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await attached(pilot)
        screen.query_one("#log", RichLog).focus()
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert f"Stop run {run_id}?" in app.screen.question
        await pilot.press("escape")  # closes the question, and nothing more
        await pilot.pause()
        assert app.screen is screen and not app.controller.stopping
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert not app.controller.stopping
    assert run_status(run_id) == "running"


async def test_a_young_run_stops_without_a_question(
    isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = fake_live_run(age_s=2)
    hold_run_age(monkeypatch, run_id, 2)  # however long the app takes to start
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await attached(pilot)
        screen.query_one("#log", RichLog).focus()
        await pilot.press("k")
        await pilot.pause()
        assert app.screen is screen
        # The writer is this test, not a run process: the stop finds no run process to
        # signal, and says so, or marks the run. Either way, nothing asked.
        assert app.controller.stopping or run_status(run_id) != "running"


async def test_80x24_folds_the_form_and_gives_the_chart_the_room(isolated_dirs: Path) -> None:
    fake_live_run()
    app = RnnTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await attached(pilot)
        assert screen.has_class("-folded") and not screen.form.display
        summary = str(screen.query_one("#summary").render())
        assert "gru" in summary and "f: form" in summary
        chart = screen.chart
        assert chart.size.height >= 17, chart.size  # 12 plot rows, the title, frame and x axis
        await pilot.press("f")
        assert not screen.has_class("-folded") and screen.form.has_focus_within
        await pilot.press("escape", "f")  # leave the field, then fold
        assert screen.has_class("-folded")
        await pilot.press("z")
        await pilot.pause()
        assert screen.maximized is chart
        assert chart.size.height >= 20
        await pilot.press("escape")
        await pilot.pause()
        assert screen.maximized is None
        assert app.controller.running and not app.controller.stopping


async def test_the_log_search_jumps_to_a_match(isolated_dirs: Path) -> None:
    fake_live_run(epochs_done=3)
    app = RnnTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await attached(pilot)
        assert screen.search_log("traveller 2") == 1
        log = screen.query_one("#log", RichLog)
        assert "traveller 2" in log.lines[screen.log_view.match_line].text
        assert not log.auto_scroll
        assert screen.search_log("") == 0 and log.auto_scroll


async def test_a_stopped_run_is_not_shown_as_complete(isolated_dirs: Path) -> None:
    run_id = fake_live_run(epochs_done=3, epochs=6)
    with RunStore(default_db_path()) as store:
        store.finish_run(run_id, "stopped", "stopped by the user")
    app = RnnTuiApp(attach=run_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await attached(pilot)
        live = app.controller.current
        total, done = bar_progress(live)
        assert done == 3 * STEPS_PER_EPOCH and total == 6 * STEPS_PER_EPOCH


async def test_x_axis_comes_back_from_the_settings(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#log", RichLog).focus()
        await pilot.press("e")
        await pilot.pause()
        assert app.state.settings.x_axis == "epoch"
    again = RnnTuiApp()
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert again.screen.x_axis == "epoch"


async def test_a_sweep_above_64_runs_asks_and_is_checked_first(
    isolated_dirs: Path, tiny_corpus: Path
) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        form = app.screen.form
        # 5 x 13 = 65 runs, each with a batch too large for the tiny corpus.
        form.set_values(
            {
                "corpus": str(tiny_corpus),
                "hidden": "8,9,10,11,12",
                "lr": ",".join(str(0.1 * n) for n in range(1, 14)),
                "batch_size": "512",
            }
        )
        await pilot.pause()
        await app.run_action("start_training")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question.startswith("Start a sweep of 65 runs?")
        await pilot.press("n")
        await pilot.pause()
        assert app.controller.launch is None and app.controller.error is None
        await app.run_action("start_training")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        # The preflight refused it before any process started, as a child's error shows.
        assert app.controller.launch is None
        error = app.controller.error
        assert error.startswith("rnn-tui: error: run 1 of 65 (") and "corpus too short" in error
        status = str(app.screen.query_one("#status").render())
        assert status.startswith("rnn-tui: error: run 1 of 65")
    with RunStore(default_db_path()) as store:
        assert store.list_runs() == []


async def test_the_curve_stays_in_view_when_the_run_ends(isolated_dirs: Path) -> None:
    run_id = fake_live_run()
    with RunStore(default_db_path()) as store:
        store.finish_run(run_id, "finished", "finished 150 steps")
    app = RnnTuiApp(attach=run_id)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await attached(pilot)
        assert app.controller.current.ended and not app.controller.running
        assert screen.has_class("-folded") and screen.chart.size.height >= 17
        await pilot.press("f")  # the form, for the next run
        assert not screen.has_class("-folded")
