"""The TUI's side of training: launch a run process, follow it through the store, stop it.

A run is a process of its own (`rnn_tui.runs.processes`): Start asks the planner for a
RunPlan in a worker thread (`plan_in_thread`), then launches the run process on it
(`start_plan`), and the run goes on when the app ends or the terminal hangs up. The
store is the channel (`rnn_tui.runs.follow`): the app's repaint tick calls `tick()`, which
reads the rows new since the last tick into `WatchedRun`, and the screens paint from it.
The same path shows a run this app started and one it attached to. A thread worker only
waits on the child, and says when it ended.

torch is never imported here, nor by the planner.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerFailed, get_current_worker

from rnn_tui.checkpoints.choice import sample_checkpoint
from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.runs.follow import (
    LogLine,
    RunFollower,
    WatchedRun,
    attached_line,
    end_lines,
    epoch_lines,
    newest_live_run,
    start_line,
)
from rnn_tui.runs.plan import RunPlan
from rnn_tui.runs.planner import Question, plan_resume, plan_start
from rnn_tui.runs.processes import (
    Launch,
    launch_plan,
    log_tail,
    run_log_path,
    runs_of_process,
    signal_if_ours,
    stop_run,
)
from rnn_tui.store import RunRow, RunStore, data_dir, process_alive, resolve_store_url
from rnn_tui.ui.state import CheckpointSaved, ShownRunChanged
from rnn_tui.ui.training_queue import ShownQueue

if TYPE_CHECKING:
    from textual.app import App
    from typing_extensions import Unpack

    from rnn_tui.ui.training_queue import StartOptions

UI_BUSY_TIMEOUT_S = 0.2  # a locked store costs the UI thread this much, then one message


class TrainingController(ShownQueue):
    """Starts, follows and stops runs; one per app (`app.controller`).

    Its ShownQueue fields are the queue shown now, read by the screens (UI thread):
    `current` (the WatchedRun shown), `log` (lines for the Train screen's log;
    `log_version` goes up with them), `queue_total`, `queue_index`, `sweep_id`,
    `stopping`, `error`, `launch` (the child this app started); and `running`.
    """

    def __init__(self, app: App, store_path: str | Path | None = None) -> None:
        super().__init__()
        self.app = app
        # The store chosen at start (--store, $RNN_TUI_STORE, settings, default), normalized;
        # its text carries no password, so it may go on a child's command line.
        self.location = resolve_store_url(store_path)
        self._db_path = self.location.path
        self.worker: Worker[None] | None = None
        self.log_version = 0
        self.summary_on_end = True
        self._store: RunStore | None = None
        self._store_error: str | None = None

    # -- the store

    @property
    def db_path(self) -> Path | None:
        """The SQLite file, or None for a PostgreSQL store."""
        return self._db_path

    @property
    def launch_dir(self) -> Path:
        """Where the children's logs go before they have a run: beside a SQLite store."""
        return self._db_path.parent if self._db_path is not None else data_dir()

    def store(self) -> RunStore | None:
        """The app's reading connection; None (after one message) while it cannot open."""
        if self._store is None:
            try:
                self._store = RunStore(self.location, busy_timeout=UI_BUSY_TIMEOUT_S)
            except StoreError as exc:
                self._store_failed(exc)
                return None
        return self._store

    def _store_failed(self, exc: StoreError) -> None:
        if str(exc) != self._store_error:
            self._store_error = str(exc)
            self.app.notify(
                f"{exc}; retrying", severity="warning", title="run store", timeout=8, markup=False
            )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- state

    @property
    def running(self) -> bool:
        """Whether a queue is going: this app's child lives, or the watched run (or the
        process behind it, between a sweep's runs) does."""
        if self.launch is not None and self.launch.returncode is None:
            return True
        if self.current is not None and not self.current.ended:
            return True
        return not self.queue_done and self._writer_alive()

    def _writer_alive(self) -> bool:
        return self.writer is not None and process_alive(*self.writer)

    def _add_log(self, lines: list[LogLine]) -> None:
        if lines:
            self.log.extend(lines)
            self.log_version += 1

    def _show(self, queue: ShownQueue) -> None:
        """Forget the queue shown so far, its log with it: `queue`'s fields replace it."""
        vars(self).update(vars(queue))
        self.log_version += 1

    # -- control

    async def plan_in_thread(
        self, planner: Callable[[], RunPlan | Question]
    ) -> RunPlan | Question | RnnTuiError:
        """The planner's answer, computed in a worker thread (it reads the corpus and the
        store), awaited without blocking the event loop; a refusal comes back as the error."""

        def plan() -> RunPlan | Question | RnnTuiError:
            try:
                return planner()
            except RnnTuiError as exc:
                return exc

        worker = self.app.run_worker(
            plan, name="planning", group="planning", thread=True, exit_on_error=False
        )
        try:
            answer = await worker.wait()
        except WorkerFailed as exc:  # a bug, not a user error: say it in one line
            return RnnTuiError(f"planning failed: {exc.error!r}")
        assert answer is not None
        return answer

    def start(self, values: dict[str, str] | None, **options: Unpack[StartOptions]) -> Launch:
        """Plan here (in the caller's thread) and launch: for callers that are not on the
        event loop (the UI benchmark). A screen plans with `plan_in_thread`, then calls
        `start_plan`. RnnTuiError when the planner refuses or the process cannot start."""
        if self.running:
            raise RnnTuiError("a run is already going: stop it first (k)")
        resumed = options.get("resume_run_id")
        if resumed is not None:
            with RunStore(self.location) as store:
                planned: RunPlan | Question = plan_resume(store, resumed, values)
        else:
            planned = plan_start(
                values or {}, store=self.location.text, confirmed=options.get("confirmed", False)
            )
        if isinstance(planned, Question):
            raise RnnTuiError(planned.text)
        return self.start_plan(planned)

    def start_plan(self, plan: RunPlan) -> Launch:
        """Launch a run process that executes `plan` (a run, a sweep, or a resume under the
        run's own id) and follow it. RnnTuiError when a run is going or it cannot start."""
        if self.running:
            raise RnnTuiError("a run is already going: stop it first (k)")
        started = launch_plan(plan, self.launch_dir)
        resumed = plan.resume.run_id if plan.resume is not None else None
        self._show(
            ShownQueue(
                launch=started,
                queue_total=len(plan.configs),
                resumed_run=resumed,
                queue_done=False,
            )
        )
        self.worker = self.app.run_worker(
            lambda: self._supervise(started),
            name="training",
            group="training",
            description=f"training process {started.pid}",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )
        return started

    def refuse(self, error: str) -> None:
        """A start refused before any process: shown as a child's start error is."""
        if self.running:
            return
        self._show(ShownQueue(error=error))
        self._add_log([LogLine(error, "error")])
        self.app.notify(error, severity="error", title="training did not start", markup=False)

    def _supervise(self, child: Launch) -> None:
        """In a thread: wait for the child to end (or the app to go), then say so."""
        worker = get_current_worker()
        while child.process.poll() is None:
            if worker.is_cancelled:
                return  # the app is ending; the run goes on without it
            time.sleep(0.05)
        self.app.call_later(self.tick)

    def attach(self, run_id: int) -> bool:
        """Follow a run started elsewhere: its whole curve now, its new rows from here on."""
        store = self.store()
        if store is None:
            return False
        if self.launch is not None and self.launch.returncode is None:
            raise RnnTuiError("this app's run is going: it stays the one shown")
        try:
            run = store.get_run(run_id)
        except StoreError as exc:
            self.app.notify(str(exc), severity="error", title="cannot attach")
            return False
        self._show(ShownQueue(queue_done=run.status != "running"))  # an old run: no end to see
        self._follow(store, run, attached=True)
        self.tick()
        if run.status == "running":
            self.app.notify(attached_line(run), title="attached", timeout=6)
        return True

    def attach_newest(self) -> bool:
        """Attach to the newest run whose process lives; False when there is none."""
        store = self.store()
        if store is None or self.running:
            return False
        try:
            run = newest_live_run(store)
        except StoreError as exc:
            self._store_failed(exc)
            return False
        return run is not None and self.attach(run.id)

    def stop(self) -> str | None:
        """Ask the run's process to stop cleanly (a checkpoint is saved); a sweep stops
        with it. Returns what happened, None when nothing runs."""
        if not self.running:
            return None
        self.stopping = True
        child = self.launch
        if self.current is None or self.current.ended:
            # No run to stop yet (or between a sweep's runs): stop the process itself.
            from rnn_tui.runs.processes import STOP_SIGNAL

            if child is not None and child.returncode is None:
                child.process.send_signal(STOP_SIGNAL)
                return "stopping"
            if self.writer is not None and signal_if_ours(*self.writer):
                return "stopping"
            return None
        store = self.store()
        if store is None or self.current is None:
            return None
        try:
            return stop_run(store, self.current.run_id)
        except RnnTuiError as exc:
            self.app.notify(str(exc), severity="warning", title="cannot stop")
            return None

    async def wait(self, timeout: float = 60.0) -> None:
        """Wait (on the UI loop) until the queue has ended, polling like the screen does."""
        import asyncio

        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            self.tick()
        self.tick()

    # -- following (the repaint tick)

    def _follow(self, store: RunStore, run: RunRow, *, attached: bool) -> None:
        self.current = WatchedRun(run, attached=attached)
        self.app.post_message(ShownRunChanged(run.id))
        self.follower = RunFollower(store, run.id)
        pid, token, _host = store.writer(run.id)
        self.writer = (pid, token)
        if run.sweep_id is not None:
            self.sweep_id = run.sweep_id
            with suppress(StoreError):
                self.queue_total = max(self.queue_total, len(store.sweep_configs(run.sweep_id)))
            self.queue_index = run.sweep_index or 0
        if self.queue_position():
            self._add_log([LogLine(f"── {self.queue_position()}", "bold")])
        if attached and run.status == "running":
            self._add_log([LogLine(attached_line(run), "bold")])
        resumed = self.resumed_run == run.id
        self._add_log([LogLine(start_line(run, resumed=resumed), "bold")])

    def tick(self) -> None:
        """Read what is new in the store; follow the next run of a sweep; notice ends."""
        store = self.store()
        if store is not None:
            try:
                self._tick(store)
                self._store_error = None
                return
            except StoreError as exc:
                self._store_failed(exc)
        # Without the store a child that failed to start is still reported.
        child = self.launch
        if not self.queue_done and self.current is None and child is not None:
            if child.returncode is not None:
                self._queue_ended(child)

    def _tick(self, store: RunStore) -> None:
        child = self.launch
        if self.current is None or self.current.ended:
            self._follow_next(store)
        current = self.current
        if current is not None and not current.ended and self.follower is not None:
            update = self.follower.poll()
            current.apply(update)
            for row in update.epochs:
                self._add_log(epoch_lines(row))
            if update.ended:
                self._run_ended(store, current)
                self._follow_next(store)
        if self.queue_done:
            return
        child_over = child is None or child.returncode is not None
        if child_over and (self.current is None or self.current.ended):
            if not self._writer_alive():
                self._queue_ended(child)

    def _follow_next(self, store: RunStore) -> None:
        """Start following the child's (or the watched process's) next run, if it has one."""
        after = self.current.run_id if self.current is not None else 0
        runs: list[RunRow] = []
        if self.launch is not None:
            runs = runs_of_process(store, self.launch.pid, since=self.launch.started)
        elif self.writer is not None and self.writer[0] is not None:
            runs = store.runs_by_pid(self.writer[0], self.writer[1])
        later = [run for run in runs if run.id > after]
        if later:
            self._follow(store, later[0], attached=self.launch is None)

    def _run_ended(self, store: RunStore, watched: WatchedRun) -> None:
        run = watched.run
        self._add_log(end_lines(run))
        if run.status in ("interrupted", "error"):
            tail = log_tail(run_log_path(store, run.id), 5)
            self._add_log([LogLine(f"  log: {line}", "dim") for line in tail])
        try:
            checkpoint: str | None = sample_checkpoint(run)
        except RnnTuiError:  # none saved, or none left on disk: said in the notice
            checkpoint = None
        if checkpoint:
            self.app.post_message(CheckpointSaved(checkpoint))
        severity = {"finished": "information", "stopped": "warning"}.get(run.status, "error")
        where = f"\ncheckpoint: {checkpoint}" if checkpoint else "\nno checkpoint saved"
        self.app.notify(
            f"{run.message}{where}",
            title=f"{self.queue_position()} run {run.id}: {run.status}".lstrip(),
            severity=severity,  # type: ignore[arg-type]
            timeout=8,
        )

    def _queue_ended(self, child: Launch | None) -> None:
        """The process is gone and its last run has ended: report a failed start, or show
        a sweep's summary once."""
        self.queue_done = True
        self.stopping = False
        if child is not None and self.current is None:
            if child.returncode == 0:
                return
            self.error = child.error_line()
            self._add_log([LogLine(self.error, "error")])
            self.app.notify(self.error, severity="error", title="training did not start")
            return
        if child is not None and child.returncode == 0:
            with suppress(OSError):
                child.log_path.unlink()
            with suppress(OSError):  # each run keeps its own plan.json in its folder
                if child.plan_path is not None:
                    child.plan_path.unlink()
        if self.sweep_id is not None and self.queue_total > 1 and self.summary_on_end:
            from rnn_tui.ui.screens.sweep_summary import show_sweep_summary

            show_sweep_summary(self.app, self.sweep_id, once=True)
