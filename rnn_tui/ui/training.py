"""TrainingController: runs a queue of training runs in one thread worker.

The shape follows toolong and memray's TUI: the worker thread only appends to `LiveRun`
objects (under their lock) and the screens repaint on their own schedule with
`set_interval`, so a run that reports 300 steps a second costs the UI a few repaints a
second. The queue mirrors `rnn-tui train` with lists: one `RunSession` after another,
recorded in the run store as one sweep.

torch is imported inside the worker, never on the UI thread.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.worker import Worker, WorkerState

from rnn_tui.config import TrainConfig, sweep_label, varied_fields
from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.events import EpochEnd, Event, RunEnd, RunStart, StepEnd, seed_line
from rnn_tui.plural import plural

if TYPE_CHECKING:
    from textual.app import App

# How a finished run's log line is styled; the screen maps these to theme variables.
BEST_CHECKPOINT = "best.pt"  # rnn_tui.train.BEST_CHECKPOINT (train.py imports torch)
END_STYLE = {"finished": "success", "stopped": "warning", "diverged": "error", "error": "error"}


@dataclass(frozen=True)
class EpochPoint:
    epoch: int
    step: int
    train_ppl: float
    val_ppl: float | None


@dataclass(frozen=True)
class LogLine:
    text: str
    style: str = ""  # "", "dim", "bold", or a theme variable name: success, warning, error


@dataclass
class LiveRun:
    """One queued or running run, as the worker reports it. Read it under `lock`.

    The worker appends; readers copy what they need with the helper methods, which
    take the lock. `version` goes up on every change, so a reader can skip a repaint.
    """

    config: TrainConfig
    label: str
    index: int = 0  # position in the queue
    run_id: int | None = None
    status: str = "queued"  # queued, preparing, running, finished, stopped, diverged, error,
    # cancelled
    out_dir: str | None = None
    step_x: list[int] = field(default_factory=list)
    step_ppl: list[float] = field(default_factory=list)
    epochs: list[EpochPoint] = field(default_factory=list)
    log: list[LogLine] = field(default_factory=list)
    last_step: StepEnd | None = None
    start: RunStart | None = None
    end: RunEnd | None = None
    best_val_ppl: float | None = None
    checkpoint: str | None = None  # latest checkpoint written
    best_checkpoint: str | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    started_at: float | None = None  # time.monotonic() at RunStart
    first_step: tuple[int, float] | None = None  # (step, elapsed) of this session's first step
    version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    # -- written by the worker

    def on_event(self, event: Event) -> None:
        if type(event) is StepEnd:  # the hot path
            with self.lock:
                self.step_x.append(event.step)
                self.step_ppl.append(event.ppl)
                self.last_step = event
                if self.first_step is None:
                    self.first_step = (event.step, event.elapsed)
                self.version += 1
        elif isinstance(event, EpochEnd):
            self._on_epoch(event)
        elif isinstance(event, RunStart):
            self._on_start(event)
        elif isinstance(event, RunEnd):
            self._on_end(event)

    def add_log(self, text: str, style: str = "") -> None:
        with self.lock:
            self.log.append(LogLine(text, style))
            self.version += 1

    def set_status(self, status: str) -> None:
        with self.lock:
            self.status = status
            self.version += 1

    def _on_start(self, event: RunStart) -> None:
        config = event.config
        what = f"{config['cell']} {config['layers']}x{config['hidden']}"
        resumed = f", resumed at step {event.start_step}" if event.start_step else ""
        run = f"run {self.run_id}" if self.run_id is not None else "run (not recorded)"
        line = (
            f"{run} {self.label}: {what}, {event.params_pytorch:,} parameters, "
            f"vocab {event.vocab_size}, {event.train_tokens:,} train / {event.val_tokens:,} val "
            f"chars, {plural(event.steps_per_epoch, 'step')} per epoch, "
            f"device {event.device}{resumed}"
        )
        with self.lock:
            self.start = event
            self.status = "running"
            self.started_at = time.monotonic()
            self.log.append(LogLine(line, "bold"))
            self.version += 1

    def _on_epoch(self, event: EpochEnd) -> None:
        line = seed_line(event.epoch, event.train_loss, event.train_ppl)
        if event.val_ppl is not None:
            line += f" | val ppl {event.val_ppl:.3f}" + (" *" if event.is_best else "")
        line += f" | {event.tokens_per_s:,.0f} tok/s"
        with self.lock:
            self.epochs.append(EpochPoint(event.epoch, event.step, event.train_ppl, event.val_ppl))
            if event.val_ppl is not None and (
                self.best_val_ppl is None or event.val_ppl < self.best_val_ppl
            ):
                self.best_val_ppl = event.val_ppl
            if event.checkpoint:
                self.checkpoint = event.checkpoint
                if event.is_best:
                    self.best_checkpoint = str(Path(event.checkpoint).parent / BEST_CHECKPOINT)
            self.log.append(LogLine(line))
            if event.sample:
                self.log.append(LogLine(f"  {event.sample!r}", "dim"))
            self.version += 1

    def _on_end(self, event: RunEnd) -> None:
        line = f"{event.reason}: {event.message}"
        if event.best_val_ppl is not None:
            line += f" | best val ppl {event.best_val_ppl:.3f}"
        line += f" | {event.tokens_per_s:,.0f} tok/s | {event.elapsed:.1f} s"
        with self.lock:
            self.end = event
            self.status = event.reason
            if event.best_val_ppl is not None:
                self.best_val_ppl = event.best_val_ppl
            self.checkpoint = event.checkpoint or self.checkpoint
            self.best_checkpoint = event.best_checkpoint or None
            self.log.append(LogLine(line, END_STYLE.get(event.reason, "")))
            if event.best_checkpoint:
                self.log.append(LogLine(f"best checkpoint: {event.best_checkpoint}"))
            if event.checkpoint:
                self.log.append(LogLine(f"last checkpoint: {event.checkpoint}"))
            elif event.reason != "finished":
                self.log.append(LogLine("no checkpoint was saved", "warning"))
            self.version += 1

    # -- read by the UI

    @property
    def sample_checkpoint(self) -> str | None:
        """The checkpoint to sample from: the best one if there is one, else the last."""
        with self.lock:
            return self.best_checkpoint or self.checkpoint

    def step_points(self) -> tuple[list[int], list[float]]:
        with self.lock:
            return list(self.step_x), list(self.step_ppl)

    def epoch_points(self) -> list[EpochPoint]:
        with self.lock:
            return list(self.epochs)

    def log_since(self, index: int) -> list[LogLine]:
        with self.lock:
            return self.log[index:]

    def steps_per_s(self) -> float | None:
        """Optimizer steps per second since this session's first step; None until known."""
        with self.lock:
            last, first = self.last_step, self.first_step
        if last is None or first is None:
            return None
        steps, seconds = last.step - first[0], last.elapsed - first[1]
        return steps / seconds if steps > 0 and seconds > 0 else None

    def eta_seconds(self) -> float | None:
        """Seconds to the end: the remaining steps at the current rate, or the time budget
        left, whichever is sooner; None until known."""
        with self.lock:
            last, started, config = self.last_step, self.start, self.config
        if started is None or self.end is not None:
            return None
        candidates: list[float] = []
        elapsed = last.elapsed if last is not None else 0.0
        if config.time_budget:
            candidates.append(max(config.time_budget - elapsed, 0.0))
        rate = self.steps_per_s()
        if rate and started.total_steps and last is not None:
            candidates.append(max(started.total_steps - last.step, 0) / rate)
        return min(candidates) if candidates else None

    def progress(self) -> tuple[float | None, float]:
        """(total, done) for a progress bar: steps, or seconds when only a budget bounds it."""
        with self.lock:
            last, started, end, config = self.last_step, self.start, self.end, self.config
        step = (end.step if end else last.step) if (end or last) else 0
        if started is None:
            return None, 0
        total = started.total_steps
        if config.time_budget and last is not None:
            rate = self.steps_per_s()
            if rate:
                budget_steps = last.step + max(config.time_budget - last.elapsed, 0) * rate
                total = min(total, budget_steps) if total else budget_steps
        if end is not None:
            total = max(step, 1)  # a finished bar is full, however the run ended
        return (float(total) if total else None), float(step)


class TrainingController:
    """Starts, stops and reports a queue of runs; one per app (`app.controller`).

    Public state (read it from the UI thread; the worker writes it):
    `runs` (every LiveRun of the current queue, in order), `current` (the one running or
    the last one run), `queue_total`, `queue_index` (0-based index of `current`),
    `finished_runs` (LiveRuns that ended, each with `.summary`), `running`, `worker`.
    When a sweep's queue ends, however it ends, its summary modal opens once.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.runs: list[LiveRun] = []
        self.finished_runs: list[LiveRun] = []
        self.queue_total = 0
        self.queue_index = 0
        self.sweep_id: int | None = None
        self.worker: Worker[None] | None = None
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._session: Any = None  # the RunSession running now
        # Whether a sweep's end shows its summary (the app turns this off when quitting).
        self.summary_on_end = True

    # -- state

    @property
    def running(self) -> bool:
        worker = self.worker
        return worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    @property
    def current(self) -> LiveRun | None:
        with self._lock:
            if not self.runs:
                return None
            return self.runs[min(self.queue_index, len(self.runs) - 1)]

    @property
    def stopping(self) -> bool:
        return self._cancelled.is_set() and self.running

    # -- control

    def start(
        self,
        configs: list[TrainConfig],
        *,
        name: str | None = None,
        resume: str | None = None,
        resume_run_id: int | None = None,
    ) -> Worker[None]:
        """Run `configs` one after another (a sweep when there are several).

        `resume` (a checkpoint path) continues a stopped run; `resume_run_id` is the
        store's id of that run, so the run continues under its own id. Raises
        RnnTuiError when a queue is already running or `configs` is empty.
        """
        if self.running:
            raise RnnTuiError("a run is already going: stop it first (x)")
        if not configs:
            raise RnnTuiError("nothing to train")
        if resume is not None and len(configs) > 1:
            raise RnnTuiError("resume takes one run, not a sweep")
        varied = varied_fields(configs)
        runs = [
            LiveRun(
                config=config,
                label=sweep_label(config, varied) if varied else (name or "run"),
                index=index,
            )
            for index, config in enumerate(configs)
        ]
        with self._lock:
            self.runs = runs
            self.queue_total = len(runs)
            self.queue_index = 0
            self.sweep_id = None
        self._cancelled.clear()
        self.worker = self.app.run_worker(
            lambda: self._work(runs, varied, name, resume, resume_run_id),
            name="training",
            group="training",
            description=f"training {plural(len(runs), 'run')}",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )
        return self.worker

    def stop(self) -> None:
        """Stop the current run within one training step (it saves a checkpoint) and
        cancel the rest of the queue. Safe from any thread."""
        self._cancelled.set()
        session = self._session
        if session is not None:
            session.stop()

    async def wait(self) -> None:
        """Wait (asynchronously, on the UI loop) until the worker has ended."""
        worker = self.worker
        if worker is None:
            return
        try:
            await worker.wait()
        except Exception:  # noqa: BLE001 - WorkerFailed / WorkerCancelled: it ended
            pass

    # -- the worker thread

    def _work(
        self,
        runs: list[LiveRun],
        varied: list[str],
        name: str | None,
        resume: str | None,
        resume_run_id: int | None,
    ) -> None:
        store = self._open_store()
        try:
            from rnn_tui.runner import RunSession  # imports torch, in this thread

            leave_a_core_for_the_ui()

            if len(runs) > 1 and store is not None:
                try:
                    self.sweep_id = store.create_sweep(
                        name or f"sweep of {', '.join(varied)}",
                        [run.config.to_dict() for run in runs],
                    )
                except StoreError as exc:
                    self._notify(f"the sweep is not grouped in the run store: {exc}", "warning")
            for index, live in enumerate(runs):
                if self._cancelled.is_set():
                    for rest in runs[index:]:
                        rest.set_status("cancelled")
                        rest.add_log(f"{rest.label}: cancelled before it started", "warning")
                    if len(runs) > 1:
                        left = plural(len(runs) - index, "queued run")
                        self._notify(f"{left} cancelled", "warning")
                    break
                with self._lock:
                    self.queue_index = index
                if not self._run_one(RunSession, live, store, varied, name, resume, resume_run_id):
                    for rest in runs[index + 1 :]:
                        rest.set_status("cancelled")
                    break
        finally:
            self._session = None
            if store is not None:
                try:
                    store.close()
                except Exception:  # noqa: BLE001
                    pass
            # The end-of-queue hook, on the UI thread. call_later posts a message: it is
            # thread-safe and never blocks (call_from_thread would wait on a closing app).
            self.app.call_later(self._queue_ended, runs)

    def _open_store(self) -> Any:
        try:
            from rnn_tui.store import RunStore

            return RunStore(getattr(self.app, "store_path", None))
        except StoreError as exc:
            self._notify(f"run store unavailable, training without recording: {exc}", "warning")
            return None

    def _unrecorded_dir(self) -> str:
        """A folder for checkpoints when the run store is unavailable."""
        try:
            from rnn_tui.store import data_dir

            parent = data_dir() / "unrecorded"
            parent.mkdir(parents=True, exist_ok=True)
            return tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"), dir=parent)
        except OSError:
            return tempfile.mkdtemp(prefix="rnn-tui-run-")

    def _run_one(
        self,
        session_class: Any,
        live: LiveRun,
        store: Any,
        varied: list[str],
        name: str | None,
        resume: str | None,
        resume_run_id: int | None,
    ) -> bool:
        """Run one LiveRun to its end; False when the queue should not go on."""
        live.set_status("preparing")
        if self.queue_total > 1:
            live.add_log(f"── run {live.index + 1}/{self.queue_total}: {live.label}", "bold")
        try:
            session = session_class(
                live.config,
                store=store,
                out_dir=None if store is not None else self._unrecorded_dir(),
                name=(f"{name or 'sweep'} {live.label}" if varied else name),
                resume=resume,
                resume_run_id=resume_run_id,
                sweep=(self.sweep_id, live.index) if self.sweep_id is not None else None,
                on_event=live.on_event,
            )
            self._session = session
            if self._cancelled.is_set():
                session.stop()
            session.prepare()
            with live.lock:
                live.run_id = session.run_id
                live.out_dir = str(session.out_dir) if session.out_dir else None
            session.run()
        except RnnTuiError as exc:
            self._fail(live, str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - a bug: report it, keep the app up
            detail = traceback.format_exc().rstrip().splitlines()
            self._fail(live, f"{type(exc).__name__}: {exc}", detail[-6:])
            return False
        finally:
            self._session = None
        try:
            live.summary = session.summary()
        except Exception:  # noqa: BLE001
            live.summary = None
        with self._lock:
            self.finished_runs.append(live)
        self.app.call_later(self._announce_end, live)
        return True

    def _fail(self, live: LiveRun, message: str, detail: list[str] | None = None) -> None:
        with live.lock:
            live.status = "error"
            live.error = message
            live.log.append(LogLine(f"error: {message}", "error"))
            for line in detail or []:
                live.log.append(LogLine(line, "dim"))
            live.version += 1
        with self._lock:
            self.finished_runs.append(live)
        self._notify(f"{live.label}: {message}", "error", title="training failed")

    def _notify(self, message: str, severity: str, title: str = "") -> None:
        # call_later posts a message: thread-safe and non-blocking (call_from_thread blocks
        # and would hang if the app were closing).
        self.app.call_later(self.app.notify, message, title=title, severity=severity, timeout=8)

    # -- on the UI thread

    def _queue_ended(self, runs: list[LiveRun]) -> None:
        """A sweep's queue has ended (finished, stopped or failed): show its summary once."""
        sweep_id = self.sweep_id
        if len(runs) < 2 or sweep_id is None or not self.summary_on_end:
            return
        from rnn_tui.ui.screens.sweep_summary import show_sweep_summary

        show_sweep_summary(self.app, sweep_id, once=True)

    def _announce_end(self, live: LiveRun) -> None:
        end = live.end
        checkpoint = live.sample_checkpoint
        if checkpoint and hasattr(self.app, "latest_checkpoint"):
            self.app.latest_checkpoint = checkpoint
        if end is None:
            return
        severity = {"finished": "information", "stopped": "warning"}.get(end.reason, "error")
        where = f"\ncheckpoint: {checkpoint}" if checkpoint else "\nno checkpoint saved"
        prefix = f"run {live.index + 1}/{self.queue_total} " if self.queue_total > 1 else ""
        self.app.notify(
            f"{end.message}{where}",
            title=f"{prefix}{live.label}: {end.reason}",
            severity=severity,  # type: ignore[arg-type]
            timeout=8,
        )


def leave_a_core_for_the_ui() -> None:
    """Train on all cores but one.

    torch's intra-op threads spin while they wait for each other; when Textual's threads
    take a core from them, a step can take several times longer. On 2 cores this measured
    0.3x the headless speed with 2 torch threads and about 1x with 1.
    """
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 1) - 1))
