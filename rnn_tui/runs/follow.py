"""Follow a run through the store: the one reader behind every live view.

`RunFollower(store, run_id).poll()` returns the step and epoch rows recorded since the
last poll, with the run's row (status, message, summary). The TUI's watcher thread
calls it (rnn_tui.ui.watcher), `rnn-tui runs watch` in a loop. A run whose writer process
died is marked interrupted here, so a viewer sees it within one poll (or within
`writer_check_s`, when a viewer polls often and asks less often).

The lines people read (a run's start, each epoch, its end) are made in rnn_tui.reports.lines, so
the TUI's log, `rnn-tui train` and `runs watch` print the same words. No torch, no Textual.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rnn_tui.reports.curves import RunMetrics
from rnn_tui.reports.lines import (  # the names a view of a followed run reads from here
    END_STYLE,
    LogLine,
    ago,
    attached_line,
    end_lines,
    epoch_lines,
    start_line,
)
from rnn_tui.store import RunRow

if TYPE_CHECKING:
    from rnn_tui.store import RunStore, StoreURL


@dataclass
class Update:
    """What one poll found: the run's row and the rows new since the last poll."""

    run: RunRow
    steps: list[dict[str, Any]] = field(default_factory=list)
    epochs: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False  # the run is no longer running (this poll or before)
    interrupted_now: bool = False  # this poll found the writer dead and marked the run


class RunFollower:
    """Reads one run's new rows, poll after poll. The first poll returns the whole run."""

    def __init__(
        self,
        store: RunStore,
        run_id: int,
        *,
        check_writer: bool = True,
        writer_check_s: float = 0.0,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.check_writer = check_writer
        # A viewer polling several times a second asks whether the writer lives at most
        # this often (it costs two reads and a /proc read); 0: at every poll.
        self.writer_check_s = writer_check_s
        self._writer_checked = float("-inf")
        self.last_step = 0
        self.last_epoch = 0

    def poll(self) -> Update:
        """Raises StoreError when the store cannot be read; the next poll retries."""
        from rnn_tui.runs.processes import run_is_alive

        store = self.store
        run = store.get_run(self.run_id)
        interrupted = False
        # Whether the writer lives costs two reads and a /proc read: at most every
        # writer_check_s for a viewer that polls several times a second.
        now = time.monotonic()
        check_alive = run.status == "running" and now - self._writer_checked >= self.writer_check_s
        if check_alive:
            self._writer_checked = now
        # A store reads a run whose writer is gone as interrupted before anyone writes it; a
        # viewer that may write records it (a no-op unless the row still says running).
        if (
            self.check_writer
            and not store.readonly
            and (run.status == "interrupted" or (check_alive and not run_is_alive(store, run.id)))
        ):
            interrupted = store.mark_interrupted(run.id)
            run = store.get_run(self.run_id)
        # The rows after the run's row: a run that ended has flushed them all before.
        steps = store.step_metrics(self.run_id, after_step=self.last_step)
        epochs = store.epoch_metrics(self.run_id, after_epoch=self.last_epoch)
        if steps:
            self.last_step = steps[-1]["step"]
        if epochs:
            self.last_epoch = epochs[-1]["epoch"]
        return Update(run, steps, epochs, run.status != "running", interrupted)


@dataclass
class WatchedRun:
    """One run as its rows tell it: the whole curve, its epochs, its row; fed by a
    RunFollower's updates, read by a view (one thread)."""

    run: RunRow
    attached: bool = False  # started elsewhere (or before this app), not by this app
    metrics: RunMetrics = field(default_factory=RunMetrics)  # the whole curve so far
    last_step: dict[str, Any] | None = None
    first_step: dict[str, Any] | None = None  # the first step seen while it ran
    ended: bool = False
    version: int = 0

    # The run's id, status and best validation perplexity as its latest row has them
    # (properties without annotations, so not fields of the dataclass).
    run_id = property(lambda self: self.run.id)
    status = property(lambda self: self.run.status)
    best_val_ppl = property(lambda self: self.run.best_val_ppl)

    def apply(self, update: Update) -> None:
        self.run = update.run
        self.metrics.extend(update.steps, update.epochs)
        if update.steps:
            self.last_step = update.steps[-1]
            if self.first_step is None and not update.ended:
                self.first_step = update.steps[-1]
        self.ended = update.ended
        if update.steps or update.epochs or update.ended:
            self.version += 1

    def total_steps(self) -> int | None:
        return total_steps(self.run.config, self.metrics.epochs)

    def steps_per_s(self) -> float | None:
        last, first = self.last_step, self.first_step
        if last is None or first is None:
            return None
        steps, seconds = last["step"] - first["step"], last["elapsed"] - first["elapsed"]
        return steps / seconds if steps > 0 and seconds > 0 else None

    def eta_seconds(self) -> float | None:
        """Seconds to the end: the remaining steps at the current rate, or the time budget
        left, whichever is sooner; None until known."""
        if self.ended:
            return None
        last = self.last_step
        candidates: list[float] = []
        elapsed = last["elapsed"] if last is not None else 0.0
        budget = self.run.config.get("time_budget")
        if budget:
            candidates.append(max(budget - elapsed, 0.0))
        rate, total = self.steps_per_s(), self.total_steps()
        if rate and total and last is not None:
            candidates.append(max(total - last["step"], 0) / rate)
        return min(candidates) if candidates else None

    def progress(self) -> tuple[float | None, float]:
        """(total, done) in steps for a progress bar; a run that ended is full."""
        step = float(self.last_step["step"]) if self.last_step else 0.0
        if self.ended:
            return max(step, 1.0), max(step, 1.0)
        total = self.total_steps()
        eta = self.eta_seconds()
        rate = self.steps_per_s()
        if eta is not None and rate:  # a time budget may end it sooner
            total = min(total, step + eta * rate) if total else step + eta * rate
        return (float(total) if total else None), step


def check_store(location: StoreURL | None = None, run_id: int | None = None) -> None:
    """Open the store as a viewer that starts runs does (it may create or upgrade it) and,
    with `run_id`, find that run; RnnTuiError (one line) says why not. The TUI calls this
    off its UI thread after its first frame, the command line before saying it has no
    terminal."""
    # Imported here: the store is built on SQLAlchemy, which the TUI's first frame does
    # without (this module is on its start-up path).
    from rnn_tui.store import RunStore

    with RunStore(location) as store:
        if run_id is not None:
            store.get_run(run_id)


def newest_live_run(store: RunStore) -> RunRow | None:
    """The newest run whose process is alive on this machine, if any."""
    from rnn_tui.runs.processes import run_is_alive

    for run in store.list_runs():
        if run.status == "running" and run_is_alive(store, run.id):
            return run
    return None


def total_steps(config: dict[str, Any], epochs: list[dict[str, Any]]) -> int | None:
    """The run's planned steps as far as the rows tell: `steps`, else epochs × steps per
    epoch (known from `epoch_steps` or from the first epoch's end); None until known."""
    if config.get("steps"):
        return int(config["steps"])
    per_epoch = config.get("epoch_steps")
    if not per_epoch and epochs:
        first = epochs[0]
        per_epoch = first["step"] / first["epoch"] if first["epoch"] else None
    if per_epoch and config.get("epochs"):
        return int(round(per_epoch * int(config["epochs"])))
    return None


__all__ = [
    "END_STYLE",
    "LogLine",
    "RunFollower",
    "Update",
    "WatchedRun",
    "ago",
    "attached_line",
    "check_store",
    "end_lines",
    "epoch_lines",
    "newest_live_run",
    "start_line",
    "total_steps",
]
