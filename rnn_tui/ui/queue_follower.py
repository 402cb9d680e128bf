"""Where the shown queue stands, as the store tells it: the watcher thread's state machine.

`QueueFollower` is driven by the watcher thread (rnn_tui.ui.watcher), never by the UI
thread: it follows a child this app started (its runs one after another, a sweep's too) or
a run attached to, through the engine's reader (`rnn_tui.runs.follow.RunFollower`), and
posts a `LiveSnapshot` only when something changed. While nothing is followed it looks for
a run started elsewhere (`RunAppeared`). torch is never imported here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

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
    signal_if_ours,
    stop_run,
)
from rnn_tui.store import RunRow, StoreURL, process_alive
from rnn_tui.ui.live_messages import (
    LiveChanged,
    LiveSnapshot,
    QueueEnded,
    RunAppeared,
    RunEnded,
    StoreTrouble,
)

if TYPE_CHECKING:
    from rnn_tui.store import RunStore

WRITER_CHECK_S = 1.0  # a dead writer is noticed within this (plus a poll)
BUSY_TIMEOUT_S = 0.2  # a locked store costs the thread this much, then one message


class QueueFollower:
    """The queue shown, followed: one start of this app's, or one run attached to."""

    def __init__(self, post: Callable[[Message], Any], location: StoreURL) -> None:
        self._post_message = post
        self.location = location
        self.posts = 0  # LiveChanged messages posted (a test counts them)
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

    @property
    def busy(self) -> bool:
        """Whether a run is followed, or a child has yet to record one: poll often."""
        return (self._run is not None and not self._run_ended) or not self._queue_done

    @property
    def generation(self) -> int:
        return self._generation

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _open(self) -> RunStore | None:
        if self._store is None:
            # Imported here, in the watcher thread after the first frame: the store is
            # built on SQLAlchemy, which would cost the app's start about 0.2 s.
            from rnn_tui.store import RunStore

            try:
                self._store = RunStore(self.location, busy_timeout=BUSY_TIMEOUT_S)
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

    def start_queue(self, generation: int, child: Launch, count: int, resumed: int | None) -> None:
        self._reset(generation)
        self._launch = child
        self._queue_total = count
        self._resumed = resumed
        self._queue_done = False
        self._writer_alive = True  # the child is the writer until it has a run

    def attach(self, generation: int, run_id: int | None, at_start: bool) -> None:
        store = self._open()
        if store is None:
            return
        try:
            if at_start:
                self.look_from_now()
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

    def look_from_now(self) -> None:
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
            with suppress(OSError):  # each run keeps its own plan.json in its folder
                if child.plan_path is not None:
                    child.plan_path.unlink()
        self._emit(error=error, log=[LogLine(error, "error")] if error else [])
        self._post_message(QueueEnded(self._sweep_id, self._queue_total, error))
        self.look_from_now()

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

    def stop(self) -> None:
        store = self._open()
        run = self._run
        if store is not None and run is not None and not self._run_ended:
            try:
                stop_run(store, run.id)
            except RnnTuiError as exc:
                self._post_message(StoreTrouble(str(exc), "cannot stop"))
            return
        # No run to stop yet (or between a sweep's runs): stop the process itself.
        child = self._launch
        if child is not None and child.returncode is None:
            child.process.send_signal(STOP_SIGNAL)
        elif self._writer is not None:
            signal_if_ours(*self._writer)
