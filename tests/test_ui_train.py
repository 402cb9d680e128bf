"""The Train screen driven through Textual's pilot: form, validation, runs, stop, quit.

Runs are real child processes (`rnn-tui train`); each test kills what it started by pid.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from run_processes import TINY_VALUES, Children, async_wait_until, pid_gone, tracked_children
from textual.widgets import Button, Input, RichLog, Static

from rnn_tui.config import TrainConfig
from rnn_tui.model.params import report_for_config
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.live_messages import QueueEnded
from rnn_tui.ui.screens.dialogs import ConfirmModal
from rnn_tui.ui.screens.train import TrainScreen
from rnn_tui.ui.widgets.choice_field import ChoiceField
from rnn_tui.ui.widgets.config_form import ConfigForm, build_configs, field_error
from rnn_tui.ui.widgets.train_status import fmt_duration

TINY = {**TINY_VALUES, "epochs": "2", "sample_length": "20"}  # with an epoch-end sample
# A run that must still go when the test stops it: the most epochs a config allows, hours on
# any machine (500 tiny epochs take seconds on a fast one).
LONG = "100000"


@pytest.fixture
def children() -> Iterator[Children]:
    yield from tracked_children()


@pytest.fixture
def app(isolated_dirs: Path, children: Children) -> Iterator[RnnTuiApp]:
    app = RnnTuiApp()
    yield app
    if app.controller.launch is not None:
        children.add(app.controller.launch.pid)
        children.cleanup()


def form_of(app: RnnTuiApp) -> ConfigForm:
    assert isinstance(app.screen, TrainScreen)
    return app.screen.form


def log_text(app: RnnTuiApp) -> str:
    log = app.screen.query_one("#log", RichLog)
    return "\n".join(strip.text for strip in log.lines)


async def settle(pilot, timeout: float = 120) -> None:
    """Let the workers (vocab, the run's process) end and the screen repaint."""
    await pilot.app.workers.wait_for_complete()
    await pilot.app.controller.wait(timeout)
    await pilot.pause()
    if isinstance(pilot.app.screen, TrainScreen):
        pilot.app.screen.repaint_live()
    await pilot.pause()


async def fill_tiny(pilot, corpus: Path, **changes: str) -> ConfigForm:
    form = form_of(pilot.app)
    form.set_values({**TINY, "corpus": str(corpus), **changes})
    await pilot.pause()
    assert form.is_valid, form.errors
    return form


async def test_tiny_run_from_the_form(app: RnnTuiApp, tiny_corpus: Path) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        form = await fill_tiny(pilot, tiny_corpus)
        # One field typed key by key, as a user would.
        hidden = form.query_one("#field-hidden", Input)
        hidden.value = ""
        hidden.focus()
        await pilot.press("1", "6")
        assert hidden.value == "16"
        await pilot.click("#start")
        await settle(pilot)

        live = app.controller.current
        assert live is not None and live.ended
        assert live.status == "finished", live.run.message
        text = log_text(app)
        assert "Epoch 1, Loss " in text and "Epoch 2, Loss " in text
        assert "finished " in text and "finished: finished" not in text
        chart = app.screen.chart
        counts = chart.point_counts()
        assert counts["validation"] == 2 == len(live.metrics.epochs)
        assert counts["train"] == live.run.steps == live.total_steps() == live.metrics.step[-1]
        app.screen.action_toggle_x_axis()
        assert chart.point_counts()["train"] == 2  # per epoch now
        assert app.latest_checkpoint is not None and Path(app.latest_checkpoint).is_file()
        assert app.latest_checkpoint == live.run.best_checkpoint

    from rnn_tui.checkpoints.files import load_model
    from rnn_tui.sampling.generate import generate

    loaded = load_model(app.latest_checkpoint)
    sample = "".join(generate(loaded.model, loaded.vocab, "the", 20, seed=0))
    assert len(sample) == 20


async def test_invalid_values_disable_start(app: RnnTuiApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        form = form_of(app)
        start = app.screen.query_one("#start", Button)
        await pilot.pause()
        assert form.is_valid and not start.disabled

        form.query_one("#field-hidden", Input).value = "abc"
        form.query_one("#field-lr", Input).value = "-1"
        await pilot.pause()
        hidden_error = form.query_one("#error-hidden", Static)
        assert str(hidden_error.render()) == "must be a whole number"
        assert hidden_error.display
        assert str(form.query_one("#error-lr", Static).render()) == "must be at least 1e-08"
        assert start.disabled and not form.is_valid
        assert form.query_one("#field-hidden", Input).has_class("-invalid")

        await pilot.press("ctrl+r")  # the key is refused too
        assert not app.controller.running

        form.query_one("#field-hidden", Input).value = "64,128"
        form.query_one("#field-lr", Input).value = "0.002"
        await pilot.pause()
        assert form.is_valid and not start.disabled
        assert not form.query_one("#error-hidden", Static).display
        assert [c.hidden for c in form.configs] == [64, 128]
        assert "2 runs" in str(start.label)


def test_field_errors_and_sweeps_match_the_engine() -> None:
    assert field_error("hidden", "abc") == "must be a whole number"
    assert field_error("hidden", "128,abc") == "'abc': must be a whole number"
    assert field_error("hidden", "128,,256") == "has an empty item in its list"
    assert field_error("lr", "-1") == "must be at least 1e-08"
    assert field_error("steps", "") is None  # optional
    assert field_error("epochs", "") == "is required"
    assert field_error("embedding", "zero") == "use onehot, vocab, or a positive whole number"
    assert field_error("corpus", "a,b.txt") is None  # not split: a path may hold a comma
    configs = build_configs({"hidden": "8,16", "lr": "0.1,0.01", "corpus": "a,b.txt"})
    assert [(c.hidden, c.lr) for c in configs] == [(8, 0.1), (8, 0.01), (16, 0.1), (16, 0.01)]
    assert {c.corpus for c in configs} == {"a,b.txt"}


async def test_preset_fills_the_form(app: RnnTuiApp, tiny_corpus: Path) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        form = form_of(app)
        form.query_one("#field-corpus", Input).value = str(tiny_corpus)
        form.query_one("#field-hidden", Input).value = "7"
        form.query_one("#preset", ChoiceField).value = "seed"
        await pilot.pause()
        values = form.values()
        assert values["hidden"] == "128"
        assert values["optimizer"] == "adam"
        assert values["lr"] == "0.01"
        assert values["batching"] == "random"
        assert values["embedding"] == "vocab"
        assert values["corpus"] == str(tiny_corpus)  # presets keep the corpus
        assert form.is_valid
        assert app.form_config.hidden == 128 and app.form_config.batching == "random"

        await app.run_action("apply_preset('d2l')")
        await pilot.pause()
        assert form.values()["optimizer"] == "sgd" and form.values()["hidden"] == "256"


async def test_parameter_count_is_live(app: RnnTuiApp, tiny_corpus: Path) -> None:
    from rnn_tui.data.corpus import load_corpus

    vocab = len(load_corpus(str(tiny_corpus), "clean").vocab)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await fill_tiny(pilot, tiny_corpus, cell="lstm", layers="2", embedding="8")
        await settle(pilot)
        expected = report_for_config(form.configs[0], vocab).total_pytorch
        assert form.param_count_text == f"parameters: {expected:,}  (vocab {vocab})"

        form.set_values({"hidden": "16,32"})
        await pilot.pause()
        low = report_for_config(form.configs[0], vocab).total_pytorch
        high = report_for_config(form.configs[1], vocab).total_pytorch
        assert form.param_count_text == f"parameters: {low:,} – {high:,}  (vocab {vocab})"

        form.set_values({"layers": "0"})
        await pilot.pause()
        assert form.param_count_text.startswith("parameters: –")


async def test_stop_saves_a_checkpoint(app: RnnTuiApp, tiny_corpus: Path) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await fill_tiny(pilot, tiny_corpus, epochs=LONG)
        await pilot.click("#start")
        controller = app.controller
        assert controller.running
        await async_wait_until(
            lambda: controller.current is not None and len(controller.current.metrics.step) >= 3,
            60,
            "three steps on screen",
            pilot,
        )
        await app.run_action("stop_training(True)")  # confirmed: it may be >10 s old
        await settle(pilot)
        live = controller.current
        assert live.status == "stopped"
        assert live.run.steps >= 3 and live.run.epochs < int(LONG)  # stopped early
        assert live.run.checkpoint and Path(live.run.checkpoint).is_file()
        assert app.latest_checkpoint is not None
        assert "stopped at step" in log_text(app)
        assert not app.screen.query_one("#start", Button).disabled


async def test_sweep_runs_in_turn_and_is_recorded(app: RnnTuiApp, tiny_corpus: Path) -> None:
    from rnn_tui.ui.screens.sweep_summary import SweepSummaryScreen

    async with app.run_test(size=(120, 40)) as pilot:
        await fill_tiny(pilot, tiny_corpus, hidden="8,12", epochs="1", sample_length="0")
        await app.run_action("start_training")
        train_screen = app.screen
        await settle(pilot)
        controller = app.controller
        assert controller.queue_total == 2
        assert controller.sweep_id is not None
        # The end of the queue opens the sweep's summary, once.
        await async_wait_until(
            lambda: isinstance(app.screen, SweepSummaryScreen), 60, "the summary", pilot
        )
        assert app.screen.sweep_id == controller.sweep_id
        await pilot.press("escape")
        # A second end of the same sweep shows nothing.
        app.post_message(QueueEnded(controller.sweep_id, controller.queue_total, None))
        await pilot.pause()
        assert app.screen is train_screen
        train_screen.repaint_live()
        assert "run 2/2" in str(train_screen.query_one("#status", Static).render())
        assert "── run 1/2" in log_text(app) and "── run 2/2" in log_text(app)

    from rnn_tui.store import RunStore

    with RunStore() as store:
        runs = store.sweep_runs(controller.sweep_id)
    assert [run.status for run in runs] == ["finished", "finished"]
    assert [run.name for run in runs] == ["sweep hidden=8", "sweep hidden=12"]


async def test_an_unreadable_store_is_one_message_and_the_app_goes_on(
    app: RnnTuiApp, tiny_corpus: Path, isolated_dirs: Path
) -> None:
    from rnn_tui.store import default_db_path

    db = default_db_path()
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database, not at all" * 100)
    notes: list[str] = []
    notify = app.notify

    def counted(message: str, *args, **kwargs) -> None:  # toasts expire; count them here
        notes.append(message)
        notify(message, *args, **kwargs)

    app.notify = counted  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await fill_tiny(pilot, tiny_corpus, epochs="1")
        await app.run_action("start_training")
        await settle(pilot)
        # The child says why it cannot record, as the CLI does; the app said it once.
        assert app.controller.error.startswith(f"rnn-tui: error: run database {db} is not")
        assert len([m for m in notes if "run database" in m and m.endswith("retrying")]) == 1
        await pilot.press("f4")  # the app still works
        assert not isinstance(app.screen, TrainScreen)


async def test_bad_corpus_is_reported(app: RnnTuiApp, tmp_path: Path) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await fill_tiny(pilot, tmp_path / "missing.txt")
        await app.run_action("start_training")
        await settle(pilot)
        assert app.controller.current is None  # no run was recorded
        assert app.controller.error.startswith("rnn-tui: error: corpus not found: ")
        assert "corpus not found" in log_text(app)
        assert "parameters: …" in form_of(app).param_count_text  # and no count invented


async def test_quit_asks_while_training(app: RnnTuiApp, tiny_corpus: Path) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await fill_tiny(pilot, tiny_corpus, epochs=LONG)
        await pilot.click("#start")
        controller = app.controller
        await async_wait_until(
            lambda: controller.current is not None, 60, "the run to be recorded", pilot
        )
        await app.run_action("quit")  # what f10 and ctrl+c do
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question.startswith(f"Run {controller.current.run_id} is going.")
        await pilot.press("c")  # cancel
        assert isinstance(app.screen, TrainScreen) and controller.running
        await app.run_action("quit")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("s")  # stop it and quit
        await async_wait_until(lambda: not app.is_running, 60, "the app to end", pilot)
    live = controller.current
    assert live.status == "stopped"
    assert live.run.checkpoint and Path(live.run.checkpoint).is_file()
    assert app.return_value is None  # nothing left going, nothing to say
    assert pid_gone(controller.launch.pid)


async def test_too_small_terminal_says_so_until_it_grows(app: RnnTuiApp) -> None:
    from rnn_tui.ui.app import MIN_HEIGHT, MIN_WIDTH
    from rnn_tui.ui.screens.too_small import TooSmallScreen

    def message() -> str:
        return str(app.screen.query_one("#too-small", Static).render())

    async with app.run_test(size=(120, 40)) as pilot:
        train = app.screen
        assert (MIN_WIDTH, MIN_HEIGHT) == (60, 20)
        for size in [(59, 30), (40, 10), (1, 1), (100, 19)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert isinstance(app.screen, TooSmallScreen), size
            assert message() == (
                f"rnn-tui needs at least 60×20; this terminal is {size[0]}×{size[1]}"
            )
        assert len(app.screen_stack) == 2  # one cover, however often it shrank
        await pilot.press("f3", "f1", "s")  # no other screen opens under the cover
        assert isinstance(app.screen, TooSmallScreen) and not app.controller.running
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert app.screen is train
        await pilot.press("f4")
        assert not isinstance(app.screen, TooSmallScreen)

    small = RnnTuiApp()  # started in a small terminal
    async with small.run_test(size=(50, 15)) as pilot:
        await pilot.pause()
        assert isinstance(small.screen, TooSmallScreen)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert isinstance(small.screen, TrainScreen)


async def test_resizing_stacks_the_panels(app: RnnTuiApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert not screen.has_class("-narrow")
        for size in [(80, 24), (40, 10), (200, 60), (80, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
        assert screen.has_class("-narrow")
        form = screen.query_one("#form")
        live = screen.query_one("#live")
        assert form.region.width == live.region.width == 80  # stacked, full width
        assert form.region.bottom <= live.region.y


def test_fmt_duration() -> None:
    assert fmt_duration(None) == "--:--"
    assert fmt_duration(65.4) == "01:05"
    assert fmt_duration(3600 + 61) == "1:01:01"
    assert fmt_duration(float("inf")) == "--:--"


def test_load_config_round_trips(isolated_dirs: Path) -> None:
    async def run() -> None:
        app = RnnTuiApp()
        async with app.run_test(size=(120, 40)) as pilot:
            form = form_of(app)
            config = TrainConfig(hidden=77, lr=0.003, steps=50, time_budget=12.5, cell="gru")
            form.load_config(config)
            await pilot.pause()
            assert form.configs == [config]

    asyncio.run(run())


async def test_run_settings_fold_away_but_stay_reachable(app: RnnTuiApp) -> None:
    from textual.widgets import Collapsible

    from rnn_tui.config import FIELDS
    from rnn_tui.ui.widgets.config_form import folded_fields

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        form = form_of(app)
        folded = folded_fields()
        assert "epochs" not in folded and {"seed", "device", "time_budget"} <= set(folded)
        more = form.query_one("#more", Collapsible)
        assert more.collapsed and not form.query("#field-seed")  # not built at start-up
        for name in FIELDS:  # every other field has its widget from the start
            assert name in folded or form.query(f"#field-{name}"), name

        form.set_values({"seed": "7"})  # a folded field still takes values
        await pilot.pause()
        assert form.values()["seed"] == "7" and form.configs[0].seed == 7

        more.query_one("CollapsibleTitle").focus()
        await pilot.press("enter")  # opening the section builds its fields
        await pilot.pause()
        assert not more.collapsed
        assert form.query_one("#field-seed", Input).value == "7"
        form.query_one("#field-seed", Input).value = "8"
        await pilot.pause()
        assert form.configs[0].seed == 8

    other = RnnTuiApp()
    async with other.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        form = form_of(other)
        form.set_values({"time_budget": "0"})  # a problem in a folded field opens it
        await pilot.pause()
        await pilot.pause()
        assert not form.query_one("#more", Collapsible).collapsed
        assert str(form.query_one("#error-time_budget", Static).render()) == "must be at least 1"
        assert form.query_one("#field-time_budget", Input).has_class("-invalid")
        assert not form.is_valid
