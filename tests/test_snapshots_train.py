"""Snapshots of the Train screen: idle at the smallest supported size and a roomy one, and
while a run goes (a fixed run written into the store by the test), chart maximized too.

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


async def _attached(pilot) -> None:
    """Wait for the app to show the fake run, then hide the toast that says so."""
    from fake_runs import attached

    await attached(pilot)
    await _settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_train_screen_while_a_run_goes_80x24(
    snap_compare, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_runs import fake_live_run, hold_run_age

    run_id = fake_live_run()  # a fixed run in the store, no process: the frame is deterministic
    hold_run_age(monkeypatch, run_id, 12 * 60)  # "started 12 min ago" however slow the start
    assert snap_compare(RnnTuiApp(), terminal_size=(80, 24), run_before=_attached)


def test_train_chart_maximized_80x24(
    snap_compare, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_runs import fake_live_run, hold_run_age

    hold_run_age(monkeypatch, fake_live_run(), 12 * 60)

    async def zoomed(pilot) -> None:
        await _attached(pilot)
        await pilot.press("z")
        await pilot.pause()

    assert snap_compare(RnnTuiApp(), terminal_size=(80, 24), run_before=zoomed)


def test_train_screen_while_a_run_goes_120x40(snap_compare, isolated_dirs: Path) -> None:
    from fake_runs import fake_live_run

    fake_live_run()
    assert snap_compare(RnnTuiApp(), terminal_size=(120, 40), run_before=_attached)


def test_train_log_maximized_80x24(snap_compare, isolated_dirs: Path) -> None:
    """The log's lines wrap again at the whole width (they kept the narrow one)."""
    from fake_runs import fake_live_run

    fake_live_run()

    async def zoomed(pilot) -> None:
        await _attached(pilot)
        pilot.app.screen.query_one("#log").focus()
        await pilot.press("g")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(RnnTuiApp(), terminal_size=(80, 24), run_before=zoomed)
