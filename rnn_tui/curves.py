"""Perplexity curves: what a chart or a plot draws, built from trainer events or store rows.

`Curves` collects a run's per-epoch perplexities (from EpochEnd events, an earlier
metrics.jsonl, or the store's epoch rows) for the end-of-run PNG and the text chart;
`EpochPoint` is one epoch of a followed run. `finite_points` and `downsample_minmax` are
the two rules every chart applies before drawing. No torch, no Textual.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnn_tui.events import EpochEnd, Event


@dataclass(frozen=True)
class Series:
    """One line of a chart."""

    label: str
    xs: list[float]
    ys: list[float]
    dashed: bool = False


@dataclass(frozen=True)
class EpochPoint:
    epoch: int
    step: int
    train_ppl: float
    val_ppl: float | None


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
