"""Snapshots of the Runs screen (F5) with three fixed runs, at 80×24 and 120×40.

The runs have fixed start times and the clock is UTC, so the dates never change; the
screen's timer re-reads the same rows, so nothing moves between frames.
Regenerate with `pytest tests/test_snapshots_runs.py --snapshot-update` and look at them.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_ui_runs import fresh, three_runs

from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.runs import RunsScreen


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RNN_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RNN_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _runs_with_two_marked(pilot) -> None:
    await pilot.press("f5")
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    await fresh(pilot, screen)
    await pilot.press("down", "space", "down", "space")  # beta and alpha
    await fresh(pilot, screen)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_runs_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    three_runs(tmp_path)
    assert snap_compare(RnnTuiApp(), terminal_size=size, run_before=_runs_with_two_marked)


async def _five_runs_sorted_by_best(pilot) -> None:
    await pilot.press("f5")
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    await fresh(pilot, screen)
    await pilot.press("o", "v")  # sort by best val
    await pilot.pause()
    await fresh(pilot, screen)
    await pilot.pause()


def test_runs_screen_five_runs_at_80x24(snap_compare, tmp_path: Path) -> None:
    from test_ui_runs_narrow import five_runs

    five_runs(tmp_path)
    assert snap_compare(RnnTuiApp(), terminal_size=(80, 24), run_before=_five_runs_sorted_by_best)
