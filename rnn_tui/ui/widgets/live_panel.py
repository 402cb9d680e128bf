"""The Train screen's live panel: Start and Stop, the status line, the progress bar, the
perplexity chart and the run's log, painted from the queue shown (`app.controller`).

`paint(queue)` sets each part only when its text or data changed: the chart redraws when
new rows arrived (or the x axis changed), the log writes only its new lines. The screen
decides when to paint (at most 4 times a second, and only when the watcher posted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Button, Label, ProgressBar, Static

from rnn_tui.ui.training_queue import ShownQueue
from rnn_tui.ui.widgets.run_log import RunLog
from rnn_tui.ui.widgets.train_status import bar_progress, config_summary, eta_text, status_text

if TYPE_CHECKING:
    from rnn_tui.runs.follow import WatchedRun
    from rnn_tui.ui.widgets.ppl_chart import PplChart


class LivePanel(Vertical):
    """Buttons, status, progress, chart and log of the shown run; `x_axis` is the chart's."""

    x_axis: reactive[str] = reactive("step", init=False)

    def __init__(self, *, x_axis: str = "step", id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.set_reactive(LivePanel.x_axis, x_axis)
        self._shown_run: WatchedRun | None = None
        self._shown_version = -1
        self._chart_mounted = False
        self._chart_key: tuple[int, int, str, int] | None = None
        self._start_label = "Start (^r)"
        self._texts: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="controls"):
            yield Button("Start (^r)", id="start", variant="success", compact=True)
            yield Button("Stop (k)", id="stop", variant="error", compact=True, disabled=True)
            yield Label("", id="queue")
            yield Static("", id="summary", markup=False)
        yield Static(status_text(ShownQueue()), id="status")
        with Horizontal(id="progress-row"):
            yield ProgressBar(total=100, id="progress", show_eta=False, show_percentage=True)
            yield Label("eta --:--", id="eta")
        # The chart (plotext) is mounted after the first frame; until then, this.
        yield Static("no data yet", id="chart-placeholder", classes="chart")
        yield RunLog(id="log")

    @property
    def log_view(self) -> RunLog:
        return self.query_one("#log", RunLog)

    @property
    def chart(self) -> PplChart:
        from rnn_tui.ui.widgets.ppl_chart import PplChart

        self.mount_chart()  # if asked for before the first frame
        return self.query_one("#chart", PplChart)

    def mount_chart(self) -> None:
        """Put the perplexity chart in its placeholder's place (importing plotext costs
        the first frame ~20 ms, and there is nothing to plot yet)."""
        placeholders = self.query("#chart-placeholder")
        if not placeholders or self._chart_mounted:
            return
        self._chart_mounted = True  # the mount below completes later: never mount twice
        from rnn_tui.ui.widgets.ppl_chart import PplChart

        placeholder = placeholders.first()
        chart = PplChart(id="chart", classes="chart", title="perplexity", x_label=self.x_axis)
        self.mount(chart, before=placeholder)
        placeholder.remove()

    def forget(self) -> None:
        """Forget what was shown: the log and the run start again."""
        self.log_view.restart()
        self._shown_run = None
        self._chart_key = None

    def paint(self, queue: ShownQueue, *, running: bool) -> None:
        live = queue.current
        self.set_text("#queue", queue.queue_position())
        self.set_text("#status", status_text(queue, starting=running))
        self.log_view.show(queue.log, getattr(queue, "log_version", len(queue.log)))
        if live is None:
            return
        self.set_text("#summary", config_summary(live.run.config, live.run_id))
        if live is not self._shown_run:
            self._shown_run = live
            self._shown_version = -1
            self._chart_key = None
        self._paint_progress(live)
        if live.version == self._shown_version:
            return
        self._shown_version = live.version
        self.paint_chart()

    def set_buttons(self, *, running: bool, stopping: bool, valid: bool, runs: int) -> None:
        # Assign only on change: every assignment restyles and may re-layout the screen.
        start = self.query_one("#start", Button)
        disabled = running or not valid
        if start.disabled != disabled:
            start.disabled = disabled
        stop = self.query_one("#stop", Button)
        disabled = not running or stopping
        if stop.disabled != disabled:
            stop.disabled = disabled
        label = f"Start {runs} runs (^r)" if runs > 1 else "Start (^r)"
        if label != self._start_label:
            self._start_label = label
            start.label = label

    def set_text(self, selector: str, text: str) -> None:
        """Update a fixed-size one-line widget without a layout pass, only on change."""
        if self._texts.get(selector) != text:
            self._texts[selector] = text
            self.query_one(selector, Static).update(text, layout=False)

    def _paint_progress(self, live: WatchedRun) -> None:
        total, done = bar_progress(live)
        bar = self.query_one("#progress", ProgressBar)
        if (bar.total, bar.progress) != (total, done):
            bar.update(total=total, progress=done)
        self.set_text("#eta", eta_text(live))

    def watch_x_axis(self) -> None:
        self._chart_key = None
        if self.is_mounted:
            self.chart.x_label = self.x_axis
            self.paint_chart()

    def paint_chart(self) -> None:
        live = self._shown_run
        if live is None:
            return
        metrics = live.metrics
        key = (id(live), len(metrics.step), self.x_axis, len(metrics.epochs))
        if key == self._chart_key:
            return
        self._chart_key = key
        if self.x_axis == "epoch":  # one training point an epoch: its mean perplexity
            epochs = metrics.epochs
            train = ([e["epoch"] for e in epochs], [e["train_ppl"] for e in epochs])
        else:
            train = metrics.train_xy(self.x_axis)
        series = [("train", *train), ("validation", *metrics.val_xy(self.x_axis))]
        self.chart.set_series([s for s in series if s[1]])
