"""The one live path: a thread that follows the shown queue through the run store.

A run is a process of its own that writes its rows into the store; this thread reads them
through the engine's reader (`rnn_tui.runs.follow.RunFollower`: the rows new since the last
poll, the run's row, whether its writer lives as the store answers it) and posts a
`LiveSnapshot` to the app only when something changed. It also waits on the child this app
started, follows a sweep's next run, and, while nothing is followed, looks for a run
started elsewhere (`RunAppeared`). Every SQLite call and every /proc read of the live path
happens here, never on the UI thread.

The loop runs while it is not cancelled (like toolong's watcher); a plain daemon thread,
not a Textual worker, so that `app.workers.wait_for_complete()` still means "the one-off
work is done". The UI thread talks to it through `follow_launch`, `attach` and `stop`, which
queue a command and wake it at once.

torch is never imported here.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from textual.message import Message

from rnn_tui.checkpoints.choice import sample_checkpoint
from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.runs.follow import (
    LogLine,
    RunFollower,
    attached_line,
    end_lines,
    epoch_lines,
    newest_live_run,
    start_line,
)
from rnn_tui.runs.processes import (
    STOP_SIGNAL,
    Launch,
    log_tail,
    run_is_alive,
    run_log_path,
    runs_of_process,
    stop_run,
)
from rnn_tui.store import RunRow, RunStore, process_alive
from rnn_tui.ui.live_messages import (
    LiveChanged,
    LiveSnapshot,
    QueueEnded,
    RunAppeared,
    RunEnded,
    StoreTrouble,
)

# A step reaches the screen within POLL_S plus the screen's repaint interval (0.25 s):
# a snapshot that comes 0.25 s or more after the last paint is painted at once.
POLL_S = 0.25
WRITER_CHECK_S = 1.0  # a dead writer is noticed within this (plus a poll)
IDLE_S = 0.5  # nothing followed: how often a run started elsewhere is looked for
BUSY_TIMEOUT_S = 0.2  # a locked store costs this thread this much, then one message


class LiveWatcher:
    """Follows one queue at a time: a start of this app's, or a run attached to."""

    def __init__(
        self,
        post: Callable[[Message], Any],
        db_path: Path,
        *,
        poll_s: float = POLL_S,
        idle_s: float = IDLE_S,
    ) -> None:
        self._post_message = post
        self.db_path = db_path
        self.poll_s = poll_s
        self.idle_s = idle_s
        self.posts = 0  # LiveChanged messages posted (a test counts them)
        self.ready = threading.Event()  # set once the first look at the store is done
        self._commands: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._cancelled = threading.Event()
        self._thread: threading.Thread | None = None
        # Below: the thread's own state, never touched by the UI thread.
        self._store: RunStore | None = None
        self._store_error: str | None = None
        self._generation = 0
        self._launch: Launch | None = None
        self._child_exit: int | None = None
        self._follower: RunFollower | None = None
        self._run: RunRow | None = None
        self._run_ended = True
        self._attached = False
        self._writer: tuple[int | None, str | None] | None = None
        self._writer_alive = False
        self._queue_done = True
        self._queue_total = 0
        self._queue_index = 0
        self._sweep_id: int | None = None
        self._resumed: int | None = None
        self._pending_log: list[LogLine] = []
        self._new_run = False
        self._newest_id: int | None = None  # the newest run id seen (for RunAppeared)
        self._candidates: set[int] = set()  # running runs whose writer was not seen yet

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
        self._command("stop", self._generation)

    def _command(self, *command: Any) -> None:
        self._commands.put(command)
        self._wake.set()

    # -- the thread

    def _loop(self) -> None:
        try:
            while not self._cancelled.is_set():
                self._wake.clear()
                self._run_commands()
                self.poll()
                self.ready.set()
                following = self._run is not None and not self._run_ended
                waiting = not self._queue_done  # a child that has no run yet
                self._wake.wait(self.poll_s if following or waiting else self.idle_s)
        finally:
            if self._store is not None:
                self._store.close()

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            kind, generation, *args = command
            if kind == "launch":
                self._start_queue(generation, *args)
            elif kind == "attach":
                self._attach(generation, *args)
            elif kind == "stop":
                self._stop()
            elif kind == "look":
                self._look_from_now()

    def _open(self) -> RunStore | None:
        if self._store is None:
            try:
                self._store = RunStore(self.db_path, busy_timeout=BUSY_TIMEOUT_S)
            except StoreError as exc:
                self._trouble(exc)
                return None
        return self._store

    def _trouble(self, exc: Exception, title: str = "run store") -> None:
        """Say once what went wrong with the store; the next poll retries."""
        if str(exc) != self._store_error:
            self._store_error = str(exc)
            self._post_message(StoreTrouble(f"{exc}; retrying", title))

    def _emit(self, **fields: Any) -> None:
        """Post what changed, with where the queue stands now."""
        log = tuple(self._pending_log) + tuple(fields.pop("log", ()))
        self._pending_log = []
        new_run, self._new_run = self._new_run, False
        snapshot = LiveSnapshot(
            generation=self._generation,
            run=self._run,
            new_run=new_run,
            attached=self._attached,
            log=log,
            ended=self._run_ended and self._run is not None,
            writer_alive=self._writer_alive,
            queue_total=self._queue_total,
            queue_index=self._queue_index,
            sweep_id=self._sweep_id,
            child_exit=self._child_exit,
            queue_done=self._queue_done,
            **fields,
        )
        self.posts += 1
        self._post_message(LiveChanged(snapshot))

    # -- starting and attaching

    def _reset(self, generation: int) -> None:
        self._generation = generation
        self._launch = None
        self._child_exit = None
        self._follower = None
        self._run = None
        self._run_ended = True
        self._attached = False
        self._writer = None
        self._writer_alive = False
        self._queue_done = True
        self._queue_total = 0
        self._queue_index = 0
        self._sweep_id = None
        self._resumed = None
        self._pending_log = []
        self._new_run = False

    def _start_queue(self, generation: int, child: Launch, count: int, resumed: int | None) -> None:
        self._reset(generation)
        self._launch = child
        self._queue_total = count
        self._resumed = resumed
        self._queue_done = False
        self._writer_alive = True  # the child is the writer until it has a run

    def _attach(self, generation: int, run_id: int | None, at_start: bool) -> None:
        store = self._open()
        if store is None:
            return
        try:
            if at_start:
                self._look_from_now()
            run = newest_live_run(store) if run_id is None else store.get_run(run_id)
        except StoreError as exc:
            if at_start and run_id is None:
                self._trouble(exc)
            else:
                self._post_message(StoreTrouble(str(exc), "cannot attach", "error"))
            return
        if run is None:
            return
        self._reset(generation)
        self._queue_done = run.status != "running"  # an old run: no end to see
        try:
            self._follow(store, run, attached=True)
        except StoreError as exc:
            self._trouble(exc)

    def _look_from_now(self) -> None:
        """Runs created from now on are new: remember the newest id there is."""
        store = self._open()
        if store is None:
            return
        with suppress(StoreError):
            runs = store.list_runs()
            self._newest_id = max((run.id for run in runs), default=0)

    def _follow(self, store: RunStore, run: RunRow, *, attached: bool) -> None:
        self._run = run
        self._run_ended = False
        self._attached = attached
        self._new_run = True
        self._follower = RunFollower(store, run.id, writer_check_s=WRITER_CHECK_S)
        pid, token, _host = store.writer(run.id)
        self._writer = (pid, token)
        if run.sweep_id is not None:
            self._sweep_id = run.sweep_id
            with suppress(StoreError):
                self._queue_total = max(self._queue_total, len(store.sweep_configs(run.sweep_id)))
            self._queue_index = run.sweep_index or 0
        position = self._position()
        if position:
            self._pending_log.append(LogLine(f"── {position}", "bold"))
        if attached and run.status == "running":
            self._pending_log.append(LogLine(attached_line(run), "bold"))
        resumed = self._resumed == run.id
        self._pending_log.append(LogLine(start_line(run, resumed=resumed), "bold"))

    def _position(self) -> str:
        total = self._queue_total
        return f"run {self._queue_index + 1}/{total}" if total > 1 else ""

    # -- one poll

    def poll(self) -> None:
        """Read what is new; follow a sweep's next run; notice ends; look for new runs."""
        child = self._launch
        if child is not None and self._child_exit is None:
            self._child_exit = child.returncode
        store = self._open()
        if store is not None:
            try:
                self._poll(store)
                self._store_error = None
                return
            except StoreError as exc:
                self._trouble(exc)
        # Without the store a child that failed to start is still reported.
        if not self._queue_done and self._run is None and child is not None:
            if self._child_exit is not None:
                self._queue_ended(child)

    def _poll(self, store: RunStore) -> None:
        child = self._launch
        if self._run is None or self._run_ended:
            self._follow_next(store)
        if self._run is not None and not self._run_ended and self._follower is not None:
            self._poll_run(store)
        if not self._queue_done:
            child_over = child is None or self._child_exit is not None
            if child_over and (self._run is None or self._run_ended):
                alive = self._writer is not None and process_alive(*self._writer)
                if not alive:
                    self._queue_ended(child)
                elif alive != self._writer_alive:
                    self._writer_alive = alive
                    self._emit()
        elif self._newest_id is not None:
            self._look_for_new_runs(store)

    def _poll_run(self, store: RunStore) -> None:
        assert self._follower is not None and self._run is not None
        before = self._run
        update = self._follower.poll()
        self._run = update.run
        self._run_ended = update.ended
        self._writer_alive = update.run.status == "running"
        changed = update.steps or update.epochs or update.ended or update.run != before
        log = [line for row in update.epochs for line in epoch_lines(row)]
        if update.ended:
            log += self._end_lines(store, update.run)
        if changed or self._new_run or self._pending_log:
            self._emit(steps=tuple(update.steps), epochs=tuple(update.epochs), log=log)
        if update.ended:
            self._ended(update.run)
            self._follow_next(store)
            if self._new_run:
                self._poll_run(store)

    def _end_lines(self, store: RunStore, run: RunRow) -> list[LogLine]:
        lines = list(end_lines(run))
        if run.status in ("interrupted", "error"):
            tail = log_tail(run_log_path(store, run.id), 5)
            lines += [LogLine(f"  log: {line}", "dim") for line in tail]
        return lines

    def _ended(self, run: RunRow) -> None:
        try:
            checkpoint: str | None = sample_checkpoint(run)
        except RnnTuiError:  # none saved, or none left on disk: said in the notice
            checkpoint = None
        self._post_message(RunEnded(run, checkpoint, self._position()))

    def _follow_next(self, store: RunStore) -> None:
        """Follow the child's (or the watched process's) next run, if it has one."""
        after = self._run.id if self._run is not None else 0
        runs: list[RunRow] = []
        if self._launch is not None:
            runs = runs_of_process(store, self._launch.pid, since=self._launch.started)
        elif self._writer is not None and self._writer[0] is not None:
            runs = store.runs_by_pid(self._writer[0], self._writer[1])
        later = [run for run in runs if run.id > after]
        if later:
            self._follow(store, later[0], attached=self._launch is None)

    def _queue_ended(self, child: Launch | None) -> None:
        """The process is gone and its last run has ended: say why a start failed."""
        self._queue_done = True
        self._writer_alive = False
        error = None
        if child is not None and self._run is None:
            if self._child_exit != 0:
                error = child.error_line()
        elif child is not None and self._child_exit == 0:
            with suppress(OSError):
                child.log_path.unlink()
        self._emit(error=error, log=[LogLine(error, "error")] if error else [])
        self._post_message(QueueEnded(self._sweep_id, self._queue_total, error))
        self._look_from_now()

    def _look_for_new_runs(self, store: RunStore) -> None:
        """While nothing is followed: a run created since, whose process lives, is news.
        One read by primary key per look (ids only grow), so looking costs next to nothing."""
        assert self._newest_id is not None
        while True:
            try:
                run = store.get_run(self._newest_id + 1)
            except StoreError:
                break  # no such run (yet)
            self._newest_id = run.id
            if run.status == "running":
                self._candidates.add(run.id)
        for run_id in sorted(self._candidates, reverse=True):
            run = store.get_run(run_id)
            if run.status != "running":
                self._candidates.discard(run_id)
            elif run_is_alive(store, run_id):
                self._candidates.clear()
                self._post_message(RunAppeared(run))
                return

    # -- stopping

    def _stop(self) -> None:
        store = self._open()
        run = self._run
        if store is not None and run is not None and not self._run_ended:
            try:
                stop_run(store, run.id)
            except RnnTuiError as exc:
                self._post_message(StoreTrouble(str(exc), "cannot stop"))
            self._wake.set()
            return
        # No run to stop yet (or between a sweep's runs): stop the process itself.
        child = self._launch
        if child is not None and child.returncode is None:
            child.process.send_signal(STOP_SIGNAL)
        elif self._writer is not None and self._writer[0] and process_alive(*self._writer):
            with suppress(OSError):
                os.kill(self._writer[0], STOP_SIGNAL)
