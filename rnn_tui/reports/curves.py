"""Perplexity curves: what a chart or a plot draws, built from trainer events or store rows.

`Curves` collects a run's per-epoch perplexities (from EpochEnd events, an earlier
metrics.jsonl, or the store's epoch rows) for the end-of-run PNG and the text chart.
`RunMetrics` holds a stored or followed run's step and epoch rows, read in increments,
and gives its curves on any of the `X_AXES`.
`finite_points` and `downsample_minmax` are the two rules every chart applies before
drawing. No torch, no Textual.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnn_tui.training.events import EpochEnd, Event

# The x axes a chart of stored runs offers: the metric rows' column each one reads, its label.
X_AXES = ("step", "epoch", "tokens", "time")
X_COLUMN = {"step": "step", "epoch": "epoch", "tokens": "tokens", "time": "elapsed"}
X_LABEL = {"step": "step", "epoch": "epoch", "tokens": "training tokens", "time": "seconds"}


@dataclass(frozen=True)
class Series:
    """One line of a chart."""

    label: str
    xs: list[float]
    ys: list[float]
    dashed: bool = False


def finite_points(
    xs: Sequence[float], ys: Sequence[float], *, positive: bool = False
) -> tuple[list[float], list[float]]:
    """The (x, y) pairs whose x and y are both finite (and y > 0 when `positive`)."""
    out_x: list[float] = []
    out_y: list[float] = []
    isfinite = math.isfinite
    for x, y in zip(xs, ys, strict=False):
        if x is None or y is None or not (isfinite(x) and isfinite(y)):
            continue
        if positive and y <= 0:
            continue
        out_x.append(x)
        out_y.append(y)
    return out_x, out_y


def downsample_minmax(
    xs: Sequence[float], ys: Sequence[float], buckets: int
) -> tuple[list[float], list[float]]:
    """At most 2 × `buckets` points: the minimum and the maximum of each bucket, in x order.

    The points are split into `buckets` runs of (nearly) equal length, in the order given;
    each run keeps its lowest and its highest point (one point when they coincide), so
    the drawn envelope is the true envelope. With no more than 2 × buckets points, or
    buckets < 1, the points come back unchanged (as lists).
    """
    n = min(len(xs), len(ys))
    if buckets < 1 or n <= 2 * buckets:
        return list(xs[:n]), list(ys[:n])
    out_x: list[float] = []
    out_y: list[float] = []
    get = ys.__getitem__
    for bucket in range(buckets):
        start = bucket * n // buckets
        end = (bucket + 1) * n // buckets
        if start >= end:
            continue
        indices = range(start, end)
        low = min(indices, key=get)
        high = max(indices, key=get)
        for index in sorted({low, high}):
            out_x.append(xs[index])
            out_y.append(ys[index])
    return out_x, out_y


@dataclass
class Curves:
    """Per-epoch perplexities collected for the end-of-run plot."""

    epochs: list[float]
    train: list[float]
    val: list[float | None]

    def __call__(self, event: Event) -> None:
        if isinstance(event, EpochEnd):
            self.add(event.epoch, event.train_ppl, event.val_ppl)

    def add(self, epoch: float, train_ppl: float, val_ppl: float | None) -> None:
        self.epochs.append(epoch)
        self.train.append(train_ppl)
        self.val.append(val_ppl)

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> Curves:
        """From the store's epoch rows (RunStore.epoch_metrics)."""
        curves = cls([], [], [])
        for row in rows:
            curves.add(row["epoch"], row["train_ppl"], row["val_ppl"])
        return curves

    def load(self, path: Path, before_epoch: int) -> None:
        """Earlier epochs from a metrics.jsonl, for a resumed run."""
        if not path.is_file():
            return
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record.get("event") == "EpochEnd" and record["epoch"] < before_epoch:
                    self.add(record["epoch"], record["train_ppl"], record["val_ppl"])

    def series(self) -> list[Series]:
        out = [Series("train", self.epochs, self.train)]
        val = [(x, y) for x, y in zip(self.epochs, self.val, strict=True) if y is not None]
        if val:
            out.append(Series("validation", [x for x, _ in val], [y for _, y in val]))
        return out


@dataclass
class RunMetrics:
    """A stored run's curves as its metric rows tell them (RunStore.step_metrics and
    epoch_metrics), extended as new rows are read: the training perplexity of every
    recorded step, and the epoch rows with their validation perplexity."""

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

    def extend(self, steps: Sequence[Mapping[str, Any]], epochs: Sequence[dict[str, Any]]) -> None:
        for row in steps:
            self.step.append(row["step"])
            self.epoch.append(row["epoch"])
            self.tokens.append(row["tokens"])
            self.elapsed.append(row["elapsed"])
            self.ppl.append(row["ppl"])
        self.epochs.extend(epochs)

    def val_xy(self, axis: str) -> tuple[list[Any], list[Any]]:
        """Validation perplexity at each epoch's end that has one, against `axis`."""
        column = X_COLUMN[axis]
        rows = [e for e in self.epochs if e["val_ppl"] is not None]
        return [e[column] for e in rows], [e["val_ppl"] for e in rows]

    def train_xy(self, axis: str) -> tuple[list[Any], list[Any]]:
        """Training perplexity at every recorded step, against `axis` (epochs: fractional)."""
        if axis == "epoch":
            return self._fractional_epochs(), list(self.ppl)
        return list(getattr(self, X_COLUMN[axis])), list(self.ppl)

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
