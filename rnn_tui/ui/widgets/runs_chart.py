"""The Runs screen's chart: perplexity curves of several runs, one colour per run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rnn_tui.reports.curves import X_LABEL, RunMetrics
from rnn_tui.ui.widgets.ppl_chart import PplChart
from rnn_tui.ui.widgets.runs_table import short_name

LABEL_NAME_WIDTH = 18


def series_label(run_id: int, name: str, train: bool = False) -> str:
    label = f"#{run_id} {short_name(name, LABEL_NAME_WIDTH)}"
    return f"{label} train" if train else label


class RunsChart(PplChart):
    """PplChart whose colours follow the run, not the label: a run's validation and
    training curves share its colour, which it keeps for the widget's lifetime."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown_key: tuple[Any, ...] | None = None

    def show_runs(
        self, runs: Sequence[tuple[int, str, RunMetrics]], axis: str, show_train: bool
    ) -> None:
        """Overlay these runs' (id, name, curves) validation perplexity, and with
        `show_train` their training perplexity, against `axis`; a no-op when nothing
        the chart shows has changed since the last call."""
        key = (
            tuple((run_id, len(c.step), len(c.epochs), name) for run_id, name, c in runs),
            axis,
            show_train,
        )
        if key == self._shown_key:
            return
        self._shown_key = key
        series: list[tuple[int, str, Sequence, Sequence]] = []
        for run_id, name, curves in runs:
            xs, ys = curves.val_xy(axis)
            if xs:
                series.append((run_id, series_label(run_id, name), xs, ys))
            if show_train:
                xs, ys = curves.train_xy(axis)
                if xs:
                    series.append((run_id, series_label(run_id, name, train=True), xs, ys))
        self.title = "validation" + (" and training" if show_train else "") + " perplexity"
        self.x_label = X_LABEL[axis]
        self.set_series(
            [(label, xs, ys) for _, label, xs, ys in series],
            colour_keys={label: run_id for run_id, label, _, _ in series},  # a run, a colour
        )
