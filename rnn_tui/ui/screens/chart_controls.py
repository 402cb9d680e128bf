"""The chart keys the Runs and Sweeps screens share: `a` cycles the x axis (step, epoch,
training tokens, training seconds), `t` shows the training perplexity of every step, `l`
the log scale.

`ChartControls` is a mixin of those two screens (put it before Screen among the bases).
Each screen declares its own `x_axis` and `show_train` reactives (their defaults differ)
and bindings (their ids name the screen, so a keymap can tell them apart), and has a
`chart` with `action_toggle_log` and a `redraw_chart()`.
"""

from __future__ import annotations

from typing import Protocol

from rnn_tui.reports.curves import X_AXES


class _LogChart(Protocol):
    def action_toggle_log(self) -> None: ...


class ChartControls:
    """Actions and watchers of a screen's overlaid perplexity chart."""

    x_axis: str
    show_train: bool
    is_mounted: bool

    @property
    def chart(self) -> _LogChart:
        raise NotImplementedError

    def redraw_chart(self) -> None:
        raise NotImplementedError

    def action_cycle_x_axis(self) -> None:
        """Step, epoch, training tokens, training seconds."""
        axes = list(X_AXES)
        self.x_axis = axes[(axes.index(self.x_axis) + 1) % len(axes)]

    def action_toggle_train(self) -> None:
        self.show_train = not self.show_train

    def action_toggle_log(self) -> None:
        self.chart.action_toggle_log()

    def watch_x_axis(self) -> None:
        if self.is_mounted:
            self.redraw_chart()

    def watch_show_train(self) -> None:
        if self.is_mounted:
            self.redraw_chart()
