"""Snapshots of the Sample (no checkpoint), Parameters (worked example) and Help screens.

At 80×24 (the smallest supported terminal) and 120×40. Update with
`pytest tests/test_snapshots_screens.py --snapshot-update`, then look at the report.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea
from ui_helpers import make_app

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def _after(*keys: str):
    """Press the keys, then freeze: no blinking cursors, no running workers."""

    async def run_before(pilot) -> None:
        await pilot.press(*keys)
        await _still(pilot)

    return run_before


async def _still(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    for widget in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(widget, (Input, TextArea))
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_sample_screen_without_checkpoint(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app("sample"), terminal_size=size, run_before=_after())


@pytest.mark.parametrize("size", SIZES)
def test_params_screen_worked_example(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app("params"), terminal_size=size, run_before=_after())


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app("params"), terminal_size=size, run_before=_after("f1"))


def test_sample_screen_prompt_focused_80x24(snap_compare) -> None:
    """The focused field stands out from the others (a compact Input has no border)."""
    assert snap_compare(make_app("sample"), terminal_size=(80, 24), run_before=_after("p"))
