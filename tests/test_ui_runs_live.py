"""The Runs screen shows a run started elsewhere, live, even when the app follows another
queue or none (the watcher's news covers the followed queue only).

A real `rnn-tui train` process is started after the screen opened and killed by pid.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from run_processes import Children, async_wait_until, tracked_children
from test_ui_runs import row_texts

from rnn_tui.store import RunStore, default_db_path
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.runs import RunsScreen


@pytest.fixture
def children() -> Iterator[Children]:
    yield from tracked_children()


def stored_steps() -> dict[int, int]:
    with RunStore(default_db_path()) as store:
        return {run.id: run.steps for run in store.list_runs()}


async def test_a_run_started_elsewhere_shows_and_moves_within_2_s(
    isolated_dirs: Path, tiny_corpus: Path, children: Children, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As when the app follows another queue: it does not attach to the new run, so the
    # watcher's snapshots say nothing about it.
    monkeypatch.setattr(RnnTuiApp, "on_run_appeared", lambda app, message: None)
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await async_wait_until(app.controller.watcher.ready.is_set, 10, "the watcher", pilot)
        await pilot.press("f5")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        await async_wait_until(lambda: screen.loads > 0, 10, "the first read", pilot)
        assert row_texts(screen) == []

        children.start(tiny_corpus, epochs="500")  # a separate `rnn-tui train`
        await async_wait_until(lambda: stored_steps(), 60, "the run's row", pilot)
        seen = time.monotonic()
        await async_wait_until(lambda: row_texts(screen), 4, "the run is listed", pilot)
        assert time.monotonic() - seen <= 2.5
        assert row_texts(screen)[0]["status"] == "running"
        assert app.controller.current is None  # shown without the watcher following it

        first = row_texts(screen)[0]["steps"]
        await async_wait_until(lambda: stored_steps()[1] > int(first.replace(",", "") or 0),
                               60, "the run records more steps", pilot)  # fmt: skip
        moved = time.monotonic()
        await async_wait_until(lambda: row_texts(screen)[0]["steps"] != first, 4,
                               "the listed steps move", pilot)  # fmt: skip
        assert time.monotonic() - moved <= 2.5
