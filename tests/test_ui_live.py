"""The live path: one watcher thread reads the store and posts only what changed; the app
attaches to a run that starts elsewhere; the screen sleeps while nothing changes.

Fake runs (tests/fake_runs.py) are written by this process, which is then their live
writer; one test starts a real `rnn-tui train` process and cleans it up by pid.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_runs import attached, fake_live_run
from run_processes import Children, async_wait_until, tracked_children
from textual.widgets import Input, Static

from rnn_tui.store import RunStore, default_db_path
from rnn_tui.training.events import StepEnd
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.train import TrainScreen
from rnn_tui.ui.widgets.live_panel import CHART_LATE_S, CHART_MAX_S


@pytest.fixture
def children() -> Iterator[Children]:
    yield from tracked_children()


def notices(app: RnnTuiApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def watching(pilot) -> TrainScreen:
    """Wait until the watcher has had its first look at the store (no run there yet)."""
    app = pilot.app
    await async_wait_until(app.controller.watcher.ready.is_set, 10, "the watcher", pilot)
    assert app.controller.current is None
    screen = app.screen
    assert isinstance(screen, TrainScreen)
    return screen


def newest_run_id() -> int | None:
    with RunStore(default_db_path()) as store:
        runs = store.list_runs()
    return runs[0].id if runs else None


async def test_a_run_started_by_the_command_line_is_attached_within_2_s(
    isolated_dirs: Path, tiny_corpus: Path, children: Children
) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await watching(pilot)
        child = children.start(tiny_corpus, epochs="500")  # a separate `rnn-tui train`
        await async_wait_until(lambda: newest_run_id() is not None, 60, "the run's row", pilot)
        seen = time.monotonic()
        run_id = newest_run_id()
        controller = app.controller
        await async_wait_until(
            lambda: controller.current is not None and controller.current.run_id == run_id,
            2,
            "the app to attach to the new run",
            pilot,
        )
        assert time.monotonic() - seen <= 2.0
        assert controller.running and controller.launch is None  # followed, not started here
        assert f"attached to run {run_id}, started by the command line" in notices(app)
        assert child.returncode is None


async def test_an_edited_form_is_not_replaced_a_notice_offers_a(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await watching(pilot)
        hidden = screen.form.query_one("#field-hidden", Input)
        hidden.focus()
        await pilot.press("end", "backspace", "9")  # the user starts editing
        assert screen.form_edited
        run_id = fake_live_run()
        await async_wait_until(
            lambda: any("press a to show it here" in n for n in notices(app)),
            2,
            "the notice that offers the run",
            pilot,
        )
        assert app.controller.current is None  # the form and its empty panel stay
        screen.log_view.focus()
        await pilot.press("a")
        await async_wait_until(
            lambda: app.controller.current is not None and app.controller.current.metrics.step,
            2,
            "a to attach",
            pilot,
        )
        assert app.controller.current.run_id == run_id


async def test_the_watcher_posts_nothing_while_no_row_arrives(isolated_dirs: Path) -> None:
    run_id = fake_live_run()  # running, its writer (this process) alive, no new rows
    app = RnnTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await attached(pilot)
        watcher = app.controller.watcher
        await pilot.pause(0.5)  # the attach's own posts and repaints are over
        posts, paints = watcher.posts, screen.paints
        await pilot.pause(1.0)  # a quiet second: 2 polls of the store
        assert watcher.posts == posts, "posted with no new row"
        assert screen.paints == paints, "repainted with nothing new"

        # One new step: it is posted once, reaches the status line at the next poll (the
        # 0.5 s target is measured by `rnn-tui bench --ui`, not timed here), and the
        # chart (which redraws at most every CHART_S, longer when a drawing costs more, but
        # never later than CHART_MAX_S plus CHART_LATE_S) soon after.
        steps = len(app.controller.current.metrics.step)
        with RunStore(default_db_path()) as store:
            record = store.recorder(run_id)
            record(StepEnd(steps + 1, 4, 1.5, 4.48, 1.0, 25000.0, 320 * (steps + 1), 15.1))
            record.flush()
        await async_wait_until(
            lambda: "25,000 tok/s" in str(screen.query_one("#status", Static).render()),
            2,
            "the new step in the status line",
            pilot,
        )
        await async_wait_until(
            lambda: screen.chart.point_counts().get("train", 0) > steps,
            CHART_MAX_S + CHART_LATE_S + 1,
            "the new step on the chart",
            pilot,
        )
        assert watcher.posts == posts + 1


async def test_a_text_cursor_blinks_a_while_after_a_key_then_rests(
    isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rnn_tui.ui import blink

    # Long enough that a loaded machine handles the key and the check inside it; still short.
    monkeypatch.setattr(blink, "BLINK_FOR_S", 2.0)
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await watching(pilot)
        hidden = screen.form.query_one("#field-hidden", Input)
        hidden.focus()
        await pilot.press("end")
        assert hidden.cursor_blink
        await async_wait_until(lambda: not hidden.cursor_blink, 10, "the cursor to rest", pilot)
        await pilot.press("backspace")  # a key: it blinks again
        await pilot.pause()
        assert hidden.cursor_blink
