"""The Runs screen shows a run started elsewhere, live, even when the app follows another
queue or none (the watcher's news covers the followed queue only).

A real `rnn-tui train` process is started after the screen opened and killed by pid.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from run_processes import Children, async_wait_until, tracked_children
from test_ui_runs import row_texts

from rnn_tui.store import RunStore, default_db_path
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.runs import RunsScreen
from rnn_tui.ui.widgets.text_field import TextField


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


async def test_the_runs_actions_never_call_the_store_on_the_ui_thread(
    isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rename, tag, stop, delete and `u` (a comma-list sweep's summary) give the same results
    as before, with every store connection made off the UI thread."""
    from test_ui_runs import db_path, fresh, names, open_runs, sweep_of_three

    from rnn_tui.store.connection import Database
    from rnn_tui.ui.screens.dialogs import ConfirmModal, TextPrompt
    from rnn_tui.ui.screens.sweep_summary import SweepSummaryScreen

    sweep_of_three(isolated_dirs)
    on_ui_thread: list[str] = []
    connection = Database._connection

    def recorded(self: Database):
        if threading.current_thread() is threading.main_thread():
            on_ui_thread.append("".join(traceback.format_stack(limit=8)))
        return connection(self)

    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        app = pilot.app
        screen = await open_runs(pilot)
        assert names(screen)[0] == "sweep [b]h64"
        monkeypatch.setattr(Database, "_connection", recorded)
        await pilot.press("n")
        await async_wait_until(lambda: isinstance(app.screen, TextPrompt), 10, "rename", pilot)
        app.screen.query_one(TextField).value = "renamed"
        await pilot.press("enter")
        await fresh(pilot, screen)
        await pilot.press("g")
        await async_wait_until(lambda: isinstance(app.screen, TextPrompt), 10, "tags", pilot)
        app.screen.query_one(TextField).value = "a, b"
        await pilot.press("enter")
        await fresh(pilot, screen)
        await pilot.press("k")  # stop: the run is not running, nothing stops
        await fresh(pilot, screen)
        await pilot.press("u")
        await async_wait_until(
            lambda: isinstance(app.screen, SweepSummaryScreen), 10, "the summary", pilot
        )
        await pilot.press("escape")
        await pilot.press("d")
        await async_wait_until(lambda: isinstance(app.screen, ConfirmModal), 10, "delete", pilot)
        await pilot.press("y")
        await fresh(pilot, screen)
        monkeypatch.setattr(Database, "_connection", connection)
        assert names(screen) == ["sweep [b]h32", "sweep [b]h16"]
        with RunStore(db_path(isolated_dirs)) as store:
            assert [run.name for run in store.list_runs()] == names(screen)
            assert not [run for run in store.list_runs() if run.tags]
        assert on_ui_thread == []
