"""What the Runs screen reads from the store: the runs, and the charted runs' new metric rows.

Reads are incremental: for the charted runs only the metric rows past the ones already read
(`after_step`/`after_epoch`), and only for runs whose row changed (status, steps, epochs)
since the last read. The worker builds a `Snapshot`; the UI thread applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rnn_tui.config import TrainConfig
from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.store import RunRow, RunStore


@dataclass
class RunCurves:
    """The metric rows of one run read so far, and the run's row state when read."""

    state: tuple[str, int, int] = ("", -1, -1)  # (status, steps, epochs)
    step: list[int] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    tokens: list[Any] = field(default_factory=list)
    elapsed: list[Any] = field(default_factory=list)
    ppl: list[Any] = field(default_factory=list)
    epochs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_step(self) -> int:
        return self.step[-1] if self.step else 0

    @property
    def last_epoch(self) -> int:
        return self.epochs[-1]["epoch"] if self.epochs else 0

    def extend(self, steps: list[dict[str, Any]], epochs: list[dict[str, Any]]) -> None:
        for row in steps:
            self.step.append(row["step"])
            self.epoch.append(row["epoch"])
            self.tokens.append(row["tokens"])
            self.elapsed.append(row["elapsed"])
            self.ppl.append(row["ppl"])
        self.epochs.extend(epochs)

    # -- series

    def val_xy(self, axis: str) -> tuple[list[Any], list[Any]]:
        column = {"step": "step", "epoch": "epoch", "tokens": "tokens", "time": "elapsed"}[axis]
        rows = [e for e in self.epochs if e["val_ppl"] is not None]
        return [e[column] for e in rows], [e["val_ppl"] for e in rows]

    def train_xy(self, axis: str) -> tuple[list[Any], list[Any]]:
        if axis == "step":
            return list(self.step), list(self.ppl)
        if axis == "tokens":
            return list(self.tokens), list(self.ppl)
        if axis == "time":
            return list(self.elapsed), list(self.ppl)
        return self._fractional_epochs(), list(self.ppl)

    def _fractional_epochs(self) -> list[float]:
        """Each step's position in epochs (epoch 2, halfway: 1.5), from the epoch ends."""
        ends = {e["epoch"]: e["step"] for e in self.epochs}
        per_epoch = self.epochs[0]["step"] / self.epochs[0]["epoch"] if self.epochs else None
        out: list[float] = []
        for step, epoch in zip(self.step, self.epoch, strict=True):
            if not per_epoch:
                out.append(float(epoch))
                continue
            start = ends.get(epoch - 1, (epoch - 1) * per_epoch)
            length = ends.get(epoch, start + per_epoch) - start
            out.append(epoch - 1 + (step - start) / length if length > 0 else float(epoch))
        return out


@dataclass
class Snapshot:
    """What one read of the store found (made in the worker, applied on the UI thread)."""

    text_filter: str
    runs: list[RunRow] = field(default_factory=list)
    others: dict[int, RunRow] = field(default_factory=dict)  # charted runs filtered out
    gone: set[int] = field(default_factory=set)  # charted runs no longer in the store
    # run id -> (start afresh?, step rows, epoch rows, row state)
    metrics: dict[int, tuple[bool, list, list, tuple[str, int, int]]] = field(default_factory=dict)
    error: str | None = None


def stored_config(run: RunRow) -> TrainConfig:
    """The run's settings as a TrainConfig; RnnTuiError when they no longer load."""
    try:
        return TrainConfig.from_dict(run.config)
    except (TypeError, ValueError) as exc:
        raise RnnTuiError(f"run {run.id}'s settings do not load: {exc}") from None


def run_state(run: RunRow) -> tuple[str, int, int]:
    return (run.status, run.steps, run.epochs)


def read_snapshot(
    store: RunStore,
    text_filter: str,
    chart_ids: Sequence[int],
    known: dict[int, tuple[tuple[str, int, int], int, int]],
) -> Snapshot:
    """Read the runs and the new metric rows of the charted ones.

    `known` holds, per run id already read, (row state, last step, last epoch). A run whose
    row state has not changed is not read again; a resumed run (back to running) or one
    with fewer steps than read (its abandoned timeline was dropped) is read afresh.
    """
    snap = Snapshot(text_filter)
    snap.runs = store.list_runs(text_filter)
    by_id = {run.id: run for run in snap.runs}
    for run_id in chart_ids:
        run = by_id.get(run_id)
        if run is None:
            try:
                run = store.get_run(run_id)
            except StoreError:
                snap.gone.add(run_id)
                continue
            snap.others[run_id] = run
        state = run_state(run)
        seen = known.get(run_id)
        if seen is not None and seen[0] == state:
            continue
        fresh = (
            seen is None
            or (state[0] == "running" and seen[0][0] != "running")
            or state[1] < seen[1]
            or state[2] < seen[2]
        )
        after_step, after_epoch = (0, 0) if fresh else (seen[1], seen[2])
        steps = store.step_metrics(run_id, after_step=after_step)
        epochs = store.epoch_metrics(run_id, after_epoch=after_epoch)
        for row in epochs:
            row.pop("sample", None)  # the chart never shows it
        snap.metrics[run_id] = (fresh, steps, epochs, state)
    return snap
