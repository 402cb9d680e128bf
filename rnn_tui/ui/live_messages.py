"""What the live watcher saw, as messages named after what happened.

The watcher (rnn_tui.ui.watcher) reads the run store in its own thread and posts these to
the app; the app, which owns the shown queue (`app.controller`), applies them on the UI
thread and tells the screen on top. A `LiveSnapshot` is immutable: the rows new since the
last one, the followed run's latest row, and where the queue stands. No SQLite call and no
/proc read happens on the UI thread: everything here was read by the watcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from rnn_tui.runs.follow import LogLine
from rnn_tui.store import RunRow


@dataclass(frozen=True)
class LiveSnapshot:
    """One change in the queue shown: posted only when something changed."""

    generation: int  # which start or attach this belongs to (older ones are dropped)
    run: RunRow | None = None  # the followed run's latest row
    new_run: bool = False  # `run` is followed from here on (a sweep's next run, an attach)
    attached: bool = False  # `run` was started elsewhere (or before this app)
    steps: tuple[dict[str, Any], ...] = ()  # step rows new since the last snapshot
    epochs: tuple[dict[str, Any], ...] = ()  # epoch rows new since the last snapshot
    log: tuple[LogLine, ...] = ()  # lines for the Train screen's log, new since the last
    ended: bool = False  # `run` is no longer running
    writer_alive: bool = False  # the queue's process lives, as the store answers it
    queue_total: int = 0
    queue_index: int = 0
    sweep_id: int | None = None
    child_exit: int | None = None  # this app's child's exit code, once it exited
    queue_done: bool = False  # the process is gone and its last run has ended
    error: str | None = None  # why the queue did not start (the child's last line)


class LiveChanged(Message):
    """The watcher read something new about the queue shown."""

    def __init__(self, snapshot: LiveSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class RunEnded(Message):
    """A followed run ended; `checkpoint` is the one Sample opens (None: none on disk)."""

    def __init__(self, run: RunRow, checkpoint: str | None, position: str) -> None:
        super().__init__()
        self.run = run
        self.checkpoint = checkpoint
        self.position = position  # 'run 2/6' in a sweep, else ''


class QueueEnded(Message):
    """The queue's process is gone and its last run has ended (or it never started one)."""

    def __init__(self, sweep_id: int | None, runs: int, error: str | None) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.runs = runs
        self.error = error  # the start error, when no run was ever recorded


class RunAppeared(Message):
    """A run started elsewhere is running while this app follows none."""

    def __init__(self, run: RunRow) -> None:
        super().__init__()
        self.run = run


class StoreTrouble(Message):
    """The store could not be read or written (`title` says what was tried)."""

    def __init__(self, error: str, title: str, severity: str = "warning") -> None:
        super().__init__()
        self.error = error
        self.title = title
        self.severity = severity


class QueueUpdated(Message):
    """Posted by the app to the screen on top once it has applied a `LiveChanged`: the
    queue shown (`app.controller`) changed, paint it."""

    def __init__(self, snapshot: LiveSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
