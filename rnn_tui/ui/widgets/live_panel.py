"""The Train screen's live panel: Start and Stop, the status line, the progress bar, the
perplexity chart and the run's log, painted from the queue shown (`app.controller`).

`paint(queue)` sets each part only when its text or data changed: the chart redraws when
new rows arrived (or the x axis changed), the log writes only its new lines. The screen
decides when to paint (at most 4 times a second, and only when the watcher posted); the
chart, whose drawing costs the most (plotext), redraws at most once every `CHART_S`, at the
first paint due after it (one screen update for both), so a step reaches the status line and
the bar within 0.5 s and the curve within CHART_S plus a paint.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Button, Label, ProgressBar, Static
from textual.widgets._progress_bar import Bar

from rnn_tui.ui.training_queue import ShownQueue
from rnn_tui.ui.widgets.run_log import RunLog
from rnn_tui.ui.widgets.train_status import bar_progress, config_summary, eta_text, status_text

CHART_S = 2.0  # the chart redraws at most this often while rows arrive
CHART_LATE_S = 1.0  # when no paint came CHART_S after the last drawing, it draws this later
# ... and no more often than this many times what its last drawing cost, so that the chart
# never takes more than 1/CHART_COST of a core: its points are gathered and downsampled again
# at each drawing, which costs more as the run grows (tens of ms past 50,000 steps).
CHART_COST = 200
CHART_MAX_S = 10.0  # but never staler than this (one slow drawing on a busy machine)

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
        self._chart_drawn_at = 0.0
        self._chart_prepare_s = 0.0  # what gathering the last drawing's points took
        self._bar_shown: tuple[bool, int] | None = None
        self._chart_timer: Timer | None = None

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
        self._bar_shown = None
        self._chart_key = None

    def paint(self, queue: ShownQueue, *, running: bool, now: bool = False) -> None:
        """Paint what changed; `now`: the chart too, without waiting for CHART_S."""
        live = queue.current
        self.set_text("#queue", queue.queue_position())
        width = self.query_one("#status").content_size.width or None
        self.set_text("#status", status_text(queue, starting=running, width=width))
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
        wait = self._chart_drawn_at + self._chart_interval() - time.monotonic()
        if now or wait <= 0 or live.ended:  # a run's end shows its whole curve at once
            self.paint_chart()
        elif self._chart_timer is None:
            # While rows keep coming, the paint after CHART_S draws the chart, in the same
            # screen update as the status line (a chart drawn from its own timer costs a
            # second update). The timer only finishes the curve when the rows stop.
            self._chart_timer = self.set_timer(wait + CHART_LATE_S, self.paint_chart)

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
        # The bar moves when its percentage does: updating Textual's ProgressBar repaints
        # the whole screen around it (the chart included), so not at every step. Not the
        # total either: under a time budget it is re-estimated from the rate at every step.
        shown = (total is None, int(100 * done / total) if total else 0)
        if shown != self._bar_shown:
            self._bar_shown = shown
            bar = self.query_one("#progress", ProgressBar)
            bar.update(total=total, progress=done)
            if total is None:
                # Unknown total (before the first epoch ends): one still frame of the
                # "indeterminate" bar, not its animation at 15 frames a second.
                bar.query_one(Bar).auto_refresh = None
        self.set_text("#eta", eta_text(live))

    def watch_x_axis(self) -> None:
        self._chart_key = None
        if self.is_mounted:
            self.chart.x_label = self.x_axis
            self.paint_chart()

    def _chart_interval(self) -> float:
        """Seconds between two drawings of the live chart: CHART_S, longer when a drawing
        costs more than CHART_S / CHART_COST."""
        cost = self._chart_prepare_s
        if self._chart_mounted:
            cost += self.chart.draw_seconds
        return min(max(CHART_S, CHART_COST * cost), CHART_MAX_S)

    def paint_chart(self) -> None:
        if self._chart_timer is not None:
            self._chart_timer.stop()
            self._chart_timer = None
        live = self._shown_run
        if live is None:
            return
        metrics = live.metrics
        key = (id(live), len(metrics.step), self.x_axis, len(metrics.epochs))
        if key == self._chart_key:
            return
        self._chart_key = key
        started = self._chart_drawn_at = time.monotonic()
        if self.x_axis == "epoch":  # one training point an epoch: its mean perplexity
            epochs = metrics.epochs
            train = ([e["epoch"] for e in epochs], [e["train_ppl"] for e in epochs])
        else:
            train = metrics.train_xy(self.x_axis)
        series = [("train", *train), ("validation", *metrics.val_xy(self.x_axis))]
        self.chart.set_series([s for s in series if s[1]])
        self._chart_prepare_s = time.monotonic() - started
