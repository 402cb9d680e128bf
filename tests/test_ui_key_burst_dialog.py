"""Keys in the same burst as a key that opens a dialog reach the dialog's field, in order.

The dialog is mounted asynchronously: the keys typed behind the key that opens it were
already on their way to the old screen's focus. They must land in the new field anyway.
"""

from __future__ import annotations

from pathlib import Path

from test_ui_key_burst import BACKSPACE, ENTER, burst
from test_ui_runs import db_path, names, open_runs, three_runs
from ui_helpers import make_app, wait_until

from rnn_tui.store import RunStore
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.dialogs import TextPrompt
from rnn_tui.ui.screens.runs import RunsScreen
from rnn_tui.ui.screens.train import TrainScreen
from rnn_tui.ui.widgets.text_field import TextField


async def prompt_holds(pilot, value: str) -> None:
    app = pilot.app

    def holds() -> bool:
        return isinstance(app.screen, TextPrompt) and app.screen.query_one(TextField).value == value

    await wait_until(pilot, holds, f"the prompt holds {value!r}", timeout=15)


async def test_keys_after_slash_in_one_burst_reach_the_log_search(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        screen.log_view.focus()
        await pilot.pause()
        burst(app, f"/epocj{BACKSPACE}h 12")
        await prompt_holds(pilot, "epoch 12")
        assert screen.panel.x_axis == "step"  # "e" was typed, not taken as the screen's key


async def test_keys_after_n_in_one_burst_rename_the_run(isolated_dirs: Path) -> None:
    three_runs(isolated_dirs)
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        screen = await open_runs(pilot)
        assert names(screen)[0] == "gamma" and pilot.app.focused is screen.table
        # n opens the rename prompt (its text selected: typing replaces it), enter saves
        burst(pilot.app, f"nomeg{BACKSPACE}ga{ENTER}")
        await wait_until(pilot, lambda: names(screen)[0] == "omega", "the run is renamed")
        assert isinstance(pilot.app.screen, RunsScreen)
        with RunStore(db_path(isolated_dirs)) as store:
            assert store.get_run(3).name == "omega"


async def test_keys_after_slash_in_one_burst_filter_the_runs(isolated_dirs: Path) -> None:
    three_runs(isolated_dirs)
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        screen = await open_runs(pilot)
        # "/" moves the focus to the filter; "a" and "l" are the screen's keys too
        burst(pilot.app, "/alpha")
        field = screen.query_one("#runs-filter", TextField)
        await wait_until(pilot, lambda: field.value == "alpha", "the filter holds alpha")
        await wait_until(pilot, lambda: names(screen) == ["alpha"], "the filter applies")
        assert screen.x_axis == "step"  # "a" was typed, not taken as the screen's key


async def test_keys_after_p_in_one_burst_reach_the_sample_prompt() -> None:
    app = make_app("sample")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        prompt = app.screen.query_one("#prompt", TextField)
        burst(app, "pgo")  # p: the prompt (focused, its text selected); g is Generate
        await wait_until(pilot, lambda: prompt.value == "go", "the prompt holds go")
