"""The trainer's event callback that writes one run into the store, retrying while it fails.

`RunRecorder` buffers step rows in a list and writes them with one `executemany` per flush
(every `flush_every` steps or `flush_seconds`, at every epoch end and at the run end), so
recording costs next to nothing per step. An evaluation within an epoch (`--eval-interval`)
is written at once into the run's row (its last and best validation perplexity), where a
search's worker reads it to report it to the trial.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rnn_tui.errors import StoreError, StoreFull
from rnn_tui.store.heartbeat import Heartbeat
from rnn_tui.training.events import EpochEnd, EvalEnd, RunEnd, RunStart, StepEnd

if TYPE_CHECKING:
    from rnn_tui.store.runs import RunStore

# How long a training run keeps its rows in memory and retries while the store is unavailable.
RETRY_FOR_S = 60.0


def _upsert(table: str, columns: tuple[str, ...], key: tuple[str, ...]) -> str:
    """INSERT that replaces the row with the same key; the same SQL for SQLite and PostgreSQL."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


_UPSERT_STEPS = _upsert(
    "step_metrics",
    ("run_id", "step", "epoch", "loss", "ppl", "lr", "tokens", "elapsed", "tokens_per_s"),
    ("run_id", "step"),
)
_UPSERT_EPOCHS = _upsert(
    "epoch_metrics",
    (
        "run_id",
        "epoch",
        "step",
        "train_loss",
        "train_ppl",
        "val_loss",
        "val_ppl",
        "tokens",
        "elapsed",
        "tokens_per_s",
        "sample",
        "is_best",
        "checkpoint",
    ),  # fmt: skip
    ("run_id", "epoch"),
)


class Backoff:
    """When to try again while the store fails: after 0.25 s, doubling up to 8 s, until it has
    failed for `give_up_after` seconds."""

    def __init__(self, give_up_after: float, clock: Callable[[], float]):
        self.give_up_after = give_up_after
        self._clock = clock
        self._failing_since: float | None = None
        self._retry_at = 0.0
        self._delay = 0.0

    @property
    def failing(self) -> bool:
        return self._failing_since is not None

    def waiting(self) -> bool:
        """True while failing and before the next try is due."""
        return self.failing and self._clock() < self._retry_at

    def wait_seconds(self) -> float:
        return max(self._retry_at - self._clock(), 0.0)

    def failed(self) -> bool:
        """Note a failed try; True once the store has failed for `give_up_after` seconds."""
        now = self._clock()
        if self._failing_since is None:
            self._failing_since = now
        self._delay = min(max(self._delay * 2, 0.25), 8.0)
        self._retry_at = now + self._delay
        return now - self._failing_since >= self.give_up_after

    def succeeded(self) -> None:
        self._failing_since = None
        self._delay = 0.0


class RunRecorder:
    """The trainer's event callback that writes one run into the store.

    Step rows go to a list; `flush` writes them with one executemany in one transaction,
    together with the run's progress (steps, epochs, best and last perplexities), so a
    run that dies keeps everything up to its last flush. Call it (and `flush`) from one
    thread, the one that trains; other threads read through the store.

    A store that is locked or failing does not stop training: the rows stay in memory and
    the write is retried with backoff. After `retry_for` seconds of failures `on_give_up`
    is called once (the run then stops and saves a checkpoint) and `error` says why.
    """

    def __init__(
        self,
        store: RunStore,
        run_id: int,
        *,
        flush_every: int = 100,
        flush_seconds: float = 0.2,  # a viewer polls 4 times a second: a step shows in 0.5 s
        clock: Callable[[], float] = time.monotonic,
        retry_for: float = RETRY_FOR_S,
        on_give_up: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        heartbeat: bool = True,
        on_stop_request: Callable[[], None] | None = None,
    ):
        self.store = store
        self.run_id = run_id
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.on_give_up = on_give_up
        self._retry = Backoff(retry_for, clock)
        # Set once the store stayed unavailable for `retry_for` seconds: the one line to show.
        self.error: str | None = None
        self.disk_full = False  # the store failed because its disk is full
        self._clock = clock
        self._sleep = sleep
        self._steps: list[tuple[Any, ...]] = []
        self._epochs: list[tuple[Any, ...]] = []
        self._progress: dict[str, Any] = {}
        self._evaluated = False  # an evaluation changed the progress since the last flush
        self._last_flush = clock()
        self._lock = threading.Lock()
        # The run's heartbeat in the store, from its start to its end (see heartbeat.py).
        self._beats = heartbeat
        self._on_stop_request = on_stop_request
        self._heartbeat: Heartbeat | None = None

    def __call__(self, event: object) -> None:
        if type(event) is StepEnd:  # the hot path: a tuple appended to a list
            self._steps.append(
                (
                    self.run_id,
                    event.step,
                    event.epoch,
                    event.loss,
                    event.ppl,
                    event.lr,
                    event.tokens,
                    event.elapsed,
                    event.tokens_per_s,
                )  # fmt: skip
            )
            if (
                len(self._steps) >= self.flush_every
                or self._clock() - self._last_flush >= self.flush_seconds
            ):
                self._flush_or_wait()
        elif isinstance(event, EpochEnd):
            self._on_epoch(event)
        elif isinstance(event, EvalEnd):
            self._on_evaluation(event)
        elif isinstance(event, RunStart):
            self._on_start(event)
        elif isinstance(event, RunEnd):
            self._on_end(event)

    def _flush_or_wait(self) -> None:
        """Flush now, or keep the rows for a later try while the store is unavailable."""
        if self._retry.waiting():
            return
        try:
            # Retries wait for the lock only briefly: training goes on between them.
            self.flush(busy_timeout=0.05 if self._retry.failing else None)
        except StoreError as exc:
            self._note_failure(exc)
        else:
            self._retry.succeeded()

    def _note_failure(self, exc: StoreError) -> None:
        full = isinstance(exc, StoreFull)  # a full disk stays full: stop at once
        if full:
            self.disk_full = True
        if (self._retry.failed() or full) and self.error is None:
            self.error = (
                str(exc) if full else (f"{exc} (kept trying for {self._retry.give_up_after:g} s)")
            )
            if self.on_give_up is not None:
                self.on_give_up(self.error)

    def _with_retries(self, write: Callable[[], None]) -> bool:
        """Run `write` until it succeeds or the store has failed for `retry_for` seconds."""
        while True:
            try:
                write()
            except StoreError as exc:
                self._note_failure(exc)
                if self.error is not None:
                    return False
                self._sleep(self._retry.wait_seconds())
            else:
                self._retry.succeeded()
                return True

    def _on_start(self, event: RunStart) -> None:
        if not self._with_retries(lambda: self._write_start(event)):
            raise StoreError(str(self.error))
        if self._beats and self._heartbeat is None:
            options = (
                {} if self._on_stop_request is None else {"on_stop_request": self._on_stop_request}
            )
            self._heartbeat = self.store.heartbeat(self.run_id, **options)

    def stop_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None

    def _write_start(self, event: RunStart) -> None:
        self.flush()
        torch_version = ""
        torch = sys.modules.get("torch")  # never imported here; only read when loaded
        if torch is not None:
            torch_version = str(getattr(torch, "__version__", ""))
        fields: dict[str, Any] = {"device": event.device, "params": int(event.params_pytorch)}
        if event.config:
            fields["config"] = event.config
        run = self.store.get_run(self.run_id)
        if torch_version and not run.torch_version:
            fields["torch_version"] = torch_version
        with self._lock:
            self._progress = {"best_val_ppl": run.best_val_ppl} if event.start_step > 0 else {}
        with self.store._write() as conn:
            # A resumed run continues from start_step: rows past it belong to the abandoned
            # timeline after that checkpoint.
            conn.execute(
                "DELETE FROM step_metrics WHERE run_id = ? AND step > ?",
                (self.run_id, event.start_step),
            )
            conn.execute(
                "DELETE FROM epoch_metrics WHERE run_id = ? AND step > ?",
                (self.run_id, event.start_step),
            )
        self.store.update_run(self.run_id, **fields)
        self.store.set_status(self.run_id, "running")

    def _on_epoch(self, event: EpochEnd) -> None:
        row = (
            self.run_id, event.epoch, event.step, event.train_loss, event.train_ppl,
            event.val_loss, event.val_ppl, event.tokens, event.elapsed, event.tokens_per_s,
            event.sample, int(bool(event.is_best)), event.checkpoint,
        )  # fmt: skip
        with self._lock:
            self._epochs.append(row)
            progress = self._progress
            progress["epochs"] = event.epoch
            progress["final_train_ppl"] = event.train_ppl
            progress["final_val_ppl"] = event.val_ppl
            if event.val_ppl is not None and (
                event.is_best
                or progress.get("best_val_ppl") is None
                or event.val_ppl < progress["best_val_ppl"]
            ):
                progress["best_val_ppl"] = event.val_ppl
            if event.checkpoint:
                progress["checkpoint"] = event.checkpoint
                if event.is_best:
                    progress["best_checkpoint"] = event.checkpoint
        self._flush_or_wait()

    def _on_evaluation(self, event: EvalEnd) -> None:
        """An evaluation within an epoch: the run's last (final_val_ppl) and maybe best
        validation perplexity, written now rather than at the epoch's end."""
        with self._lock:
            progress = self._progress
            progress["final_val_ppl"] = event.val_ppl
            best = progress.get("best_val_ppl")
            if event.is_best or best is None or event.val_ppl < best:
                progress["best_val_ppl"] = event.val_ppl
            self._evaluated = True
        self._flush_or_wait()

    def _on_end(self, event: RunEnd) -> None:
        """Write the rest and the run's end; if the store stays unavailable, set `error`.

        Never raises: the other listeners (the metrics file, the console) still see the end.
        """
        self.stop_heartbeat()
        if self.error is not None:  # gave up already: the run folder's files hold the rest
            if self.disk_full:  # one try at the end row: its few bytes may still fit
                with contextlib.suppress(StoreError):
                    self.store.finish_run(self.run_id, "error", f"stopped: {self.error}")
            return
        self._with_retries(lambda: self._write_end(event))

    def _write_end(self, event: RunEnd) -> None:
        self.flush()
        with self._lock:
            final_val = self._progress.get("final_val_ppl")
        summary: dict[str, Any] = {
            "best_val_ppl": event.best_val_ppl,
            "final_train_ppl": event.final_train_ppl,
            "final_val_ppl": final_val,
            "tokens_per_s": event.tokens_per_s,
            "steps": event.step,
            "epochs": event.epoch,
            "seconds": event.elapsed,
        }
        if event.checkpoint:
            summary["checkpoint"] = event.checkpoint
        if event.best_checkpoint:
            summary["best_checkpoint"] = event.best_checkpoint
        # None means "not known at the end": keep what the last flush wrote.
        summary = {key: value for key, value in summary.items() if value is not None}
        self.store.finish_run(self.run_id, event.reason, event.message, **summary)

    def flush(self, busy_timeout: float | None = None) -> None:
        """Write the buffered rows in one transaction. On failure they stay buffered."""
        with self._lock:
            steps, self._steps = self._steps, []
            epochs, self._epochs = self._epochs, []
            evaluated, self._evaluated = self._evaluated, False
            progress = dict(self._progress)
            self._last_flush = self._clock()
            if not steps and not epochs and not evaluated:
                return
            if steps:
                last = steps[-1]
                progress["steps"] = last[1]
                progress["seconds"] = last[7]
                progress["tokens_per_s"] = last[8]
            if epochs:
                last_epoch = epochs[-1]
                progress["steps"] = max(progress.get("steps", 0), last_epoch[2])
            try:
                with self.store._write(busy_timeout) as conn:
                    if steps:
                        conn.executemany(_UPSERT_STEPS, steps)
                    if epochs:
                        conn.executemany(_UPSERT_EPOCHS, epochs)
                    if progress:
                        assignments = ", ".join(f"{key} = ?" for key in progress)
                        conn.execute(
                            f"UPDATE runs SET {assignments} WHERE id = ?",
                            (*progress.values(), self.run_id),
                        )
            except BaseException:
                self._steps = steps + self._steps
                self._epochs = epochs + self._epochs
                self._evaluated = self._evaluated or evaluated
                raise
