"""Keys in the same burst as a key that opens a dialog reach the dialog's field, in order.

The dialog is mounted asynchronously: the keys typed behind the key that opens it were
already on their way to the old screen's focus. They must land in the new field anyway.
"""

from __future__ import annotations

from pathlib import Path

from test_ui_key_burst import BACKSPACE, burst
from ui_helpers import wait_until

from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.dialogs import TextPrompt
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
