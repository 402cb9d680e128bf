"""The Runs screen's chart: perplexity curves of several runs, one colour per run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rnn_tui.ui.widgets.ppl_chart import PplChart
from rnn_tui.ui.widgets.runs_table import short_name

X_LABELS = {"step": "step", "epoch": "epoch", "tokens": "training tokens", "time": "seconds"}
LABEL_NAME_WIDTH = 18


def series_label(run_id: int, name: str, train: bool = False) -> str:
    label = f"#{run_id} {short_name(name, LABEL_NAME_WIDTH)}"
    return f"{label} train" if train else label


class RunsChart(PplChart):
    """PplChart whose colours follow the run, not the label: a run's validation and
    training curves share its colour, which it keeps for the widget's lifetime."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._label_run: dict[str, int] = {}
        self._run_colour: dict[int, int] = {}

    def set_run_series(self, series: Sequence[tuple[int, str, Sequence, Sequence]]) -> None:
        for run_id, label, _, _ in series:
            self._label_run[label] = run_id
            self._run_colour.setdefault(run_id, len(self._run_colour))
        self.set_series([(label, xs, ys) for _, label, xs, ys in series])

    def colour_for(self, label: str) -> tuple[int, int, int]:
        run_id = self._label_run.get(label)
        if run_id is None:
            return super().colour_for(label)
        return self.palette_colour(self._run_colour[run_id])
