"""Snapshots of the idle Train screen at the smallest supported size and a roomy one.

Idle means deterministic: no run, the parameter count measured on the shipped book (the
settle waits for that worker), no cursor blink.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from rnn_tui.ui.app import RnnTuiApp


async def _settle(pilot) -> None:
    for widget in pilot.app.query(Input):
        widget.cursor_blink = False
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_train_screen_idle(snap_compare, isolated_dirs: Path, size: tuple[int, int]) -> None:
    assert snap_compare(RnnTuiApp(), terminal_size=size, run_before=_settle)
