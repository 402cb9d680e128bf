"""Snapshot of the Sweeps screen at 80×24: a study of five fixed trials (finished, pruned,
failed; tests/fake_study.py), its leaderboard, curves and importances. Nothing in it depends
on the clock (a trial's time is its run's training seconds). Regenerate with
`pytest tests/test_snapshots_sweeps.py --snapshot-update` and look at it."""

from __future__ import annotations

from fake_study import fake_study
from test_ui_sweeps import shown
from ui_helpers import make_app, wait_until

from rnn_tui.store import default_db_path


async def _sweeps(pilot) -> None:
    await pilot.press("f6")
    screen = await shown(pilot)
    await wait_until(pilot, lambda: len(screen.chart._series) == 4, "the curves")
    await pilot.pause()


def test_sweeps_screen_at_80x24(snap_compare) -> None:
    fake_study(default_db_path())
    assert snap_compare(make_app("params"), terminal_size=(80, 24), run_before=_sweeps)
