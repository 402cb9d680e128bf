"""The TUI's side of training: launch a run process, show what the watcher read, stop it.

A run is a process of its own (`rnn_tui.runs.processes`): Start asks the planner for a
RunPlan in a worker thread (`plan_in_thread`), then launches the run process on it
(`start_plan`), and the run goes on when the app ends or the terminal hangs up. The
store is the channel: the watcher thread (rnn_tui.ui.watcher) reads it and posts
`LiveSnapshot`s; the app hands each to `apply()` here, on the UI thread, which keeps the
queue shown (`current`, `log`, ...) that the screens paint from. The same path shows a run
this app started and one it attached to.

No SQLite call and no /proc read happens here (the watcher does them), no screen is
imported and nothing is notified: what the user should hear about is posted to the app as
a message (rnn_tui.ui.live_messages, rnn_tui.ui.state). torch is never imported here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.worker import Worker, WorkerFailed

from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.follow import LogLine, Update, WatchedRun
from rnn_tui.runs.plan import RunPlan
from rnn_tui.runs.planner import Question, plan_resume, plan_start
from rnn_tui.runs.processes import Launch, launch_plan
from rnn_tui.store import data_dir, resolve_store_url
from rnn_tui.ui.live_messages import LiveSnapshot, QueueEnded
from rnn_tui.ui.state import ShownRunChanged
from rnn_tui.ui.training_queue import ShownQueue
from rnn_tui.ui.watcher import LiveWatcher

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from rnn_tui.ui.training_queue import StartOptions


class TrainingController(ShownQueue):
    """Starts and stops runs and keeps the queue shown; one per app (`app.controller`).

    Its ShownQueue fields are the queue shown now, read by the screens (UI thread):
    `current` (the WatchedRun shown), `log` (lines for the Train screen's log;
    `log_version` goes up with them), `queue_total`, `queue_index`, `sweep_id`,
    `stopping`, `error`, `launch` (the child this app started); and `running`.
    """

    def __init__(
        self,
        post: Callable[[Message], Any],
        run_worker: Callable[..., Worker[Any]],
        store_path: str | Path | None = None,
    ) -> None:
        super().__init__()
        self._post = post
        self._run_worker = run_worker  # the app's: the planner runs in a worker thread
        # The store chosen at start (--store, $RNN_TUI_STORE, settings, default), normalized;
        # its text carries no password, so it may go on a child's command line.
        self.location = resolve_store_url(store_path)
        self._db_path = self.location.path
        self.watcher = LiveWatcher(post, self.location)
        self.log_version = 0
        self.summary_on_end = True
        self.generation = 0  # goes up with each start or attach: older snapshots are dropped
        self.latest: LiveSnapshot | None = None  # the last snapshot applied
        self._writer_alive = False
        self._child_exit: int | None = None

    @property
    def db_path(self) -> Path | None:
        """The SQLite file, or None for a PostgreSQL store."""
        return self._db_path

    @property
    def launch_dir(self) -> Path:
        """Where the children's logs go before they have a run: beside a SQLite store."""
        return self._db_path.parent if self._db_path is not None else data_dir()

    def open(self, attach: int | None = None) -> None:
        """Start watching: run `attach`, else the newest live run, then new runs."""
        self.watcher.start(attach)

    def close(self) -> None:
        self.watcher.cancel()

    # -- state

    @property
    def running(self) -> bool:
        """Whether a queue is going: this app's child lives, or the watched run (or the
        process behind it, between a sweep's runs) does, as the watcher last saw it."""
        if self.launch is not None and self._child_exit is None:
            return True
        if self.current is not None and not self.current.ended:
            return True
        return not self.queue_done and self._writer_alive

    def _add_log(self, lines: list[LogLine] | tuple[LogLine, ...]) -> None:
        if lines:
            self.log.extend(lines)
            self.log_version += 1

    def _show(self, queue: ShownQueue) -> None:
        """Forget the queue shown so far, its log with it: `queue`'s fields replace it."""
        vars(self).update(vars(queue))
        self.generation += 1
        self.latest = None
        self._writer_alive = False
        self._child_exit = None
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

        worker = self._run_worker(
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
            from rnn_tui.store import RunStore  # SQLAlchemy: off the app's start-up path

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
        run's own id); the watcher follows it. RnnTuiError when a run is going or it cannot
        start."""
        if self.running:
            raise RnnTuiError("a run is already going: stop it first (k)")
        started = launch_plan(plan, self.launch_dir)
        resumed = plan.resume.run_id if plan.resume is not None else None
        count = len(plan.configs)
        self._show(
            ShownQueue(launch=started, queue_total=count, resumed_run=resumed, queue_done=False)
        )
        self.watcher.follow_launch(self.generation, started, count, resumed)
        return started

    def refuse(self, error: str) -> None:
        """A start refused before any process: shown as a child's start error is."""
        if self.running:
            return
        self._show(ShownQueue(error=error))
        self._add_log([LogLine(error, "error")])
        self._post(QueueEnded(None, 0, error))

    def attach(self, run_id: int) -> None:
        """Follow a run started elsewhere (the watcher reads it and says when it shows).
        RnnTuiError while this app's own run goes."""
        if self.launch is not None and self._child_exit is None:
            raise RnnTuiError("this app's run is going: it stays the one shown")
        self._show(ShownQueue())
        self.watcher.attach(self.generation, run_id)

    def stop(self) -> str | None:
        """Ask the run's process to stop cleanly (a checkpoint is saved); a sweep stops
        with it. Returns 'stopping', or None when nothing runs."""
        if not self.running:
            return None
        self.stopping = True
        self.watcher.stop()
        return "stopping"

    async def wait(self, timeout: float = 60.0) -> None:
        """Wait (on the UI loop) until the queue has ended, as the watcher reports it."""
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    # -- what the watcher saw

    def apply(self, snapshot: LiveSnapshot) -> bool:
        """Take a snapshot into the queue shown; False when it belongs to an older queue."""
        if snapshot.generation != self.generation:
            return False
        self.latest = snapshot
        run = snapshot.run
        if snapshot.new_run and run is not None:
            self.current = WatchedRun(run, attached=snapshot.attached)
            self._post(ShownRunChanged(run.id))
        current = self.current
        if current is not None and run is not None and current.run_id == run.id:
            update = Update(run, list(snapshot.steps), list(snapshot.epochs), snapshot.ended)
            current.apply(update)
        self._add_log(snapshot.log)
        self.queue_total = snapshot.queue_total
        self.queue_index = snapshot.queue_index
        self.sweep_id = snapshot.sweep_id
        self._writer_alive = snapshot.writer_alive
        self._child_exit = snapshot.child_exit
        if snapshot.queue_done and not self.queue_done:
            self.queue_done = True
            self.stopping = False
            if snapshot.error:
                self.error = snapshot.error
        elif not snapshot.queue_done:
            self.queue_done = False
        return True
