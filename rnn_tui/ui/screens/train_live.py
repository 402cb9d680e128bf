"""The Train screen's live panel: the buttons, the status line, the progress bar, the
perplexity chart, and the form folded while a run is shown.

`LiveView` is the middle layer of the Train screen (rnn_tui.ui.screens.train): the app's
repaint tick calls `repaint_live`, which paints what the controller read from the store,
each widget only when its text or data changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.reactive import reactive
from textual.widgets import Button, ProgressBar, RichLog, Static

from rnn_tui.ui.screens.train_log import TrainLog
from rnn_tui.ui.screens.train_status import bar_progress, config_summary, eta_text, status_text
from rnn_tui.ui.typed_app import app_of
from rnn_tui.ui.widgets.config_form import ConfigForm

if TYPE_CHECKING:
    from rnn_tui.runs.follow import WatchedRun
    from rnn_tui.ui.training import TrainingController
    from rnn_tui.ui.widgets.ppl_chart import PplChart


class LiveView(TrainLog):
    """Paints the shown run beside the form; the chart's x axis is `x_axis`."""

    x_axis: reactive[str] = reactive("step")

    def __init__(self) -> None:
        super().__init__()
        self._shown_run: WatchedRun | None = None
        self._shown_version = -1
        self._chart_mounted = False
        self._chart_key: tuple[int, int, str, int] | None = None
        self._start_label = "Start (^r)"
        self._texts: dict[str, str] = {}
        self._form_folded: bool | None = None  # None: folded while a run goes, if narrow

    @property
    def controller(self) -> TrainingController:
        return app_of(self).controller

    @property
    def form(self) -> ConfigForm:
        return self.query_one("#form", ConfigForm)

    @property
    def chart(self) -> PplChart:
        from rnn_tui.ui.widgets.ppl_chart import PplChart

        self._mount_chart()  # if asked for before the first frame
        return self.query_one("#chart", PplChart)

    def _mount_chart(self) -> None:
        """Put the perplexity chart in its placeholder's place (importing plotext costs
        the first frame ~20 ms, and there is nothing to plot yet)."""
        placeholders = self.query("#chart-placeholder")
        if not placeholders or self._chart_mounted:
            return
        self._chart_mounted = True  # the mount below completes later: never mount twice
        from rnn_tui.ui.widgets.ppl_chart import PplChart

        placeholder = placeholders.first()
        chart = PplChart(id="chart", classes="chart", title="perplexity", x_label=self.x_axis)
        self.query_one("#live").mount(chart, before=placeholder)
        placeholder.remove()

    def clear_live(self) -> None:
        """Forget what was shown: the controller's log and run start again."""
        self._restart_log()
        self._form_folded = None
        self._shown_run = None
        self._chart_key = None
        self._update_buttons()
        self.repaint_live()

    def repaint_live(self) -> None:
        if not self.is_current:
            return  # hidden, or under a modal: repainting would only cost the run time
        controller = self.controller
        live = controller.current
        self._update_buttons()
        self._set_text("#queue", controller.queue_position())
        width = self.query_one("#status").content_size.width or None
        self._set_text("#status", status_text(controller, starting=controller.running, width=width))
        self._repaint_log()
        self._update_fold()
        if live is None:
            return
        self._set_text("#summary", config_summary(live.run.config, live.run_id))
        if live is not self._shown_run:
            self._shown_run = live
            self._shown_version = -1
            self._chart_key = None
        self._repaint_progress(live)
        if live.version == self._shown_version:
            return
        self._shown_version = live.version
        self._repaint_chart()

    def _update_buttons(self) -> None:
        # Assign only on change: every assignment restyles and may re-layout the screen,
        # and this runs a few times a second during a run.
        running = self.controller.running
        if running and not self.has_class("-has-run"):
            self.add_class("-has-run")
        form = self.form
        start = self.query_one("#start", Button)
        disabled = running or not form.is_valid
        if start.disabled != disabled:
            start.disabled = disabled
        stop = self.query_one("#stop", Button)
        disabled = not running or self.controller.stopping
        if stop.disabled != disabled:
            stop.disabled = disabled
        n = len(form.configs)
        label = f"Start {n} runs (^r)" if n > 1 else "Start (^r)"
        if label != self._start_label:
            self._start_label = label
            start.label = label

    def _set_text(self, selector: str, text: str) -> None:
        """Update a fixed-size one-line widget without a layout pass, only on change."""
        if self._texts.get(selector) != text:
            self._texts[selector] = text
            self.query_one(selector, Static).update(text, layout=False)

    def _update_fold(self) -> None:
        """Fold the form on a narrow screen once a run is shown (its curve stays in view
        when it ends), unless `f` said otherwise."""
        folded = self._form_folded
        if folded is None:
            shown = self.controller.running or self.controller.current is not None
            folded = self.has_class("-narrow") and shown
        if folded != self.has_class("-folded"):
            if folded and self.form.has_focus_within:
                self.query_one("#log", RichLog).focus()
            self.set_class(folded, "-folded")

    def _repaint_progress(self, live: WatchedRun) -> None:
        total, done = bar_progress(live)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=total, progress=done)
        self._set_text("#eta", eta_text(live))

    def watch_x_axis(self) -> None:
        self._chart_key = None
        if self.is_mounted:
            self.chart.x_label = self.x_axis
            self._repaint_chart()

    def _repaint_chart(self) -> None:
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
