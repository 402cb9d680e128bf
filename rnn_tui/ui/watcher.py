"""The one live path: a thread that follows the shown queue through the run store.

A run is a process of its own that writes its rows into the store; this thread reads them
(through `QueueFollower`, rnn_tui.ui.queue_follower, which uses the engine's reader
`rnn_tui.runs.follow.RunFollower`: the rows new since the last poll, the run's row, whether
its writer lives as the store answers it) and posts a `LiveSnapshot` to the app only when
something changed. It also waits on the child this app started, follows a sweep's next
run, and, while nothing is followed, looks for a run started elsewhere (`RunAppeared`).
Every SQLite call and every /proc read of the live path happens here, never on the UI
thread.

The loop runs while it is not cancelled (like toolong's watcher); a plain daemon thread,
not a Textual worker, so that `app.workers.wait_for_complete()` still means "the one-off
work is done". The UI thread talks to it through `follow_launch`, `attach` and `stop`, which
queue a command and wake it at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from textual.message import Message

from rnn_tui.runs.processes import Launch
from rnn_tui.store import StoreURL
from rnn_tui.ui.queue_follower import QueueFollower

# As often as the Train screen paints (REPAINT_S): a poll reads the rows, builds a snapshot
# and wakes the UI thread (about 1 ms of CPU each), and polling faster than the screen
# paints only hands it snapshots that it folds into one paint. A step reaches the screen
# within the run's flush (0.2 s) plus POLL_S: a snapshot that comes REPAINT_S or more after
# the last paint is painted at once.
POLL_S = 0.5
IDLE_S = 0.5  # nothing followed: how often a run started elsewhere is looked for


class LiveWatcher:
    """Follows one queue at a time: a start of this app's, or a run attached to."""

    def __init__(
        self,
        post: Callable[[Message], Any],
        location: StoreURL,
        *,
        poll_s: float = POLL_S,
        idle_s: float = IDLE_S,
    ) -> None:
        self.poll_s = poll_s
        self.idle_s = idle_s
        self.ready = threading.Event()  # set once the first look at the store is done
        self._commands: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._cancelled = threading.Event()
        self._thread: threading.Thread | None = None
        self.follower = QueueFollower(post, location)  # the thread's, never the UI's

    # -- the UI thread's side

    def start(self, attach: int | None = None, *, attach_newest: bool = True) -> None:
        """Start the thread; it first attaches to run `attach`, else to the newest live
        run (unless `attach_newest` is False)."""
        if attach is not None or attach_newest:
            self._commands.put(("attach", 0, attach, True))
        else:
            self._commands.put(("look", 0))
        self._thread = threading.Thread(target=self._loop, name="rnn-tui watcher", daemon=True)
        self._thread.start()

    def cancel(self, timeout: float = 2.0) -> None:
        """Stop the thread (the run goes on without it) and wait for it to close the store."""
        self._cancelled.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def follow_launch(
        self, generation: int, child: Launch, count: int, resumed: int | None
    ) -> None:
        """Follow the runs of a child this app just started."""
        self._command("launch", generation, child, count, resumed)

    def attach(self, generation: int, run_id: int) -> None:
        """Follow a run started elsewhere: its whole curve, then its new rows."""
        self._command("attach", generation, run_id, False)

    def stop(self) -> None:
        """Ask the followed run (or the queue's process) to stop cleanly."""
        self._command("stop", 0)

    def _command(self, *command: Any) -> None:
        self._commands.put(command)
        self._wake.set()

    # -- the thread

    def _loop(self) -> None:
        try:
            while not self._cancelled.is_set():
                self._wake.clear()
                self._run_commands()
                self.follower.poll()
                self.ready.set()
                self._wake.wait(self.poll_s if self.follower.busy else self.idle_s)
        finally:
            self.follower.close()

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            kind, generation, *args = command
            follower = self.follower
            if kind == "launch":
                follower.start_queue(generation, *args)
            elif kind == "attach":
                follower.attach(generation, *args)
            elif kind == "stop":
                follower.stop()
            elif kind == "look":
                follower.look_from_now()

    @property
    def posts(self) -> int:
        """LiveChanged messages posted so far (a test counts them)."""
        return self.follower.posts
