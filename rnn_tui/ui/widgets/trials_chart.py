"""A study's chart: its trials' validation perplexity curves overlaid (and with `show_train`
their training perplexity), labelled by trial number so a dozen fit a narrow legend. Each
trial keeps its colour for the widget's lifetime; its training curve shares it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rnn_tui.reports.curves import X_LABEL, RunMetrics
from rnn_tui.ui.widgets.ppl_chart import PplChart


class TrialsChart(PplChart):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown_key: tuple[Any, ...] | None = None

    def show_trials(
        self, trials: Sequence[tuple[int, RunMetrics]], axis: str, show_train: bool
    ) -> None:
        """Overlay these (trial number, curves) against `axis`; a no-op when nothing shown
        has changed since the last call."""
        key = (tuple((n, len(c.step), len(c.epochs)) for n, c in trials), axis, show_train)
        if key == self._shown_key:
            return
        self._shown_key = key
        series: list[tuple[str, Sequence, Sequence]] = []
        colours: dict[str, int] = {}
        for number, curves in trials:
            parts = [("", curves.val_xy(axis))]
            if show_train:
                parts.append((" train", curves.train_xy(axis)))
            for suffix, (xs, ys) in parts:
                if xs:
                    label = f"#{number}{suffix}"
                    series.append((label, xs, ys))
                    colours[label] = number
        self.title = "trials' validation" + (" and training" if show_train else "") + " ppl"
        self.x_label = X_LABEL[axis]
        self.set_series(series, colour_keys=colours)
