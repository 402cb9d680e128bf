"""RunMetrics: a stored run's curves from its metric rows, on every x axis, read in parts."""

from __future__ import annotations

import pytest

from rnn_tui.reports import compare
from rnn_tui.reports.curves import X_AXES, X_COLUMN, X_LABEL, RunMetrics

STEPS_PER_EPOCH = 4


def step_rows(first: int, last: int) -> list[dict[str, float]]:
    """Steps first..last of a run with 4 steps an epoch, 64 tokens and 0.5 s a step."""
    return [
        {
            "step": step,
            "epoch": (step - 1) // STEPS_PER_EPOCH + 1,
            "tokens": 64 * step,
            "elapsed": 0.5 * step,
            "ppl": 100.0 / step,
        }
        for step in range(first, last + 1)
    ]


def epoch_rows(first: int, last: int) -> list[dict[str, float | None]]:
    return [
        {
            "epoch": epoch,
            "step": STEPS_PER_EPOCH * epoch,
            "tokens": 64 * STEPS_PER_EPOCH * epoch,
            "elapsed": 0.5 * STEPS_PER_EPOCH * epoch,
            "train_ppl": 50.0 / epoch,
            "val_ppl": None if epoch == 1 else 60.0 / epoch,
        }
        for epoch in range(first, last + 1)
    ]


def test_every_axis_reads_its_own_column() -> None:
    metrics = RunMetrics()
    metrics.extend(step_rows(1, 12), epoch_rows(1, 3))
    assert set(X_COLUMN) == set(X_LABEL) == set(X_AXES)
    for axis in X_AXES:
        xs, ys = metrics.val_xy(axis)
        # Epoch 1 has no validation perplexity: epochs 2 and 3 only.
        assert ys == [30.0, 20.0]
        assert xs == [row[X_COLUMN[axis]] for row in epoch_rows(2, 3)]
        xs, ys = metrics.train_xy(axis)
        assert ys == [100.0 / step for step in range(1, 13)]
        if axis != "epoch":
            assert xs == [row[X_COLUMN[axis]] for row in step_rows(1, 12)]


def test_steps_sit_at_fractions_of_their_epoch() -> None:
    metrics = RunMetrics()
    metrics.extend(step_rows(1, 12), epoch_rows(1, 3))
    xs, _ = metrics.train_xy("epoch")
    assert xs == pytest.approx([step / STEPS_PER_EPOCH for step in range(1, 13)])


def test_read_in_parts_equals_read_at_once() -> None:
    whole = RunMetrics()
    whole.extend(step_rows(1, 12), epoch_rows(1, 3))
    parts = RunMetrics()
    parts.extend(step_rows(1, 5), epoch_rows(1, 1))
    assert (parts.last_step, parts.last_epoch) == (5, 1)
    parts.extend(step_rows(6, 12), epoch_rows(2, 3))
    assert parts == whole
    assert (parts.last_step, parts.last_epoch) == (12, 3)
    assert (RunMetrics().last_step, RunMetrics().last_epoch) == (0, 0)


def test_the_cli_plot_offers_the_same_axes() -> None:
    assert compare.X_AXES is X_AXES
