"""The Train screen: the hyperparameter form, Start/Stop, and the live run.

The run itself is a process of its own, followed through the run store by the app's
watcher thread (rnn_tui.ui.watcher), whose snapshots the app applies to `app.controller`
and then posts here (`QueueUpdated`). The screen paints at most once every `REPAINT_S`,
and only when such a message came: while nothing changes, nothing wakes it.

The screen is built from parts: the form (widgets.config_form), the live panel with its
chart and its searchable log (widgets.live_panel, widgets.run_log), and the start flow
(train_start.TrainStarter); this module lays them out and binds the keys.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Header

from rnn_tui.ui.live_messages import QueueUpdated
from rnn_tui.ui.screens.train_start import TrainStarter
from rnn_tui.ui.state import SettingsChanged, state_of
from rnn_tui.ui.typed_app import app_of
from rnn_tui.ui.widgets.app_footer import AppFooter
from rnn_tui.ui.widgets.config_form import ConfigForm
from rnn_tui.ui.widgets.key_order import KeysInOrder
from rnn_tui.ui.widgets.live_panel import LivePanel
from rnn_tui.ui.widgets.run_log import RunLog

if TYPE_CHECKING:
    from rnn_tui.runs.plan import RunPlan
    from rnn_tui.ui.training import TrainingController
    from rnn_tui.ui.widgets.ppl_chart import PplChart

# At most 2 repaints a second (the watcher's poll, ui/watcher.py POLL_S), and only when
# the watcher posted: each paint is a screen update of a few ms on the UI thread, and it
# shows the newest rows the watcher read, so waiting for it does not age what it shows.
REPAINT_S = 0.5
NARROW_WIDTH = 110  # below this the form and the live panel stack vertically
STOP_ASKS_AFTER_S = 10.0  # a run older than this is worth a question before it stops


class TrainScreen(KeysInOrder, Screen):
    """Form on the left (or on top when narrow); chart, progress and log beside it."""

    # Nothing typed into a field can start or stop a run: Start is ctrl+r (no text holds
    # it), and Stop asks first once the run has gone on for STOP_ASKS_AFTER_S. Escape is
    # left to the fields, the modals and the maximized view.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "app.start_training", "Start", id="train.start"),
        Binding("k,x", "app.stop_training", "Stop", id="train.stop"),
        # Shown elsewhere (the folded summary says f, F1 lists all): the Footer keeps room
        # for the screens, Quit and the palette at 120 columns.
        Binding("f", "toggle_form", "Form", id="train.form", show=False),
        Binding("z", "zoom('chart')", "Zoom chart", id="train.zoom_chart"),
        Binding("g", "zoom('log')", "Zoom log", id="train.zoom_log", show=False),
        Binding("slash", "search_log", "Search log", id="train.search", show=False),
        Binding("n", "next_match", "Next match", id="train.next_match", show=False),
        Binding("l", "toggle_log", "Log y", id="train.log_scale", show=False),
        Binding("escape", "leave_field", "Leave the field", id="train.leave_field", show=False),
        Binding("e", "toggle_x_axis", "Step/epoch", id="train.x_axis", show=False),
        # A run started elsewhere while the form was being edited: a notice offers it.
        Binding("a", "app.attach_offered", "Attach", id="train.attach", show=False),
    ]

    DEFAULT_CSS = """
    TrainScreen {
        #train-body {
            layout: horizontal;
            height: 1fr;
        }
        #form {
            width: 48;
            height: 1fr;
            border-right: vkey $panel;
        }
        #live {
            width: 1fr;
            height: 1fr;
        }
        #controls {
            height: 1;
            padding: 0 1;
        }
        #controls Button {
            margin-right: 1;
        }
        #status {
            height: 1;
            width: 1fr;
            padding: 0 1;
            color: $text-muted;
        }
        #progress-row {
            height: 1;
            padding: 0 1;
        }
        #progress {
            width: 1fr;
        }
        #progress Bar {
            width: 1fr;
        }
        #queue {
            width: 12;
            color: $accent;
        }
        #eta {
            width: 14;
            padding-left: 1;
            color: $text-muted;
        }
        .chart {
            height: 2fr;
            min-height: 6;
        }
        #chart-placeholder {
            content-align: center middle;
            color: $text-muted;
        }
        #log {
            height: 1fr;
            min-height: 3;
            border-top: hkey $panel;
            background: $surface;
            /* room for the scrollbar from the first line: lines written before it showed
               were cut by its width */
            scrollbar-gutter: stable;
            scrollbar-size-vertical: 1;
        }
        &.-narrow #train-body {
            layout: vertical;
        }
        &.-narrow #form {
            width: 1fr;
            height: 3fr;
            border-right: none;
            border-bottom: hkey $panel;
        }
        &.-narrow #live {
            height: 2fr;
        }
        /* once a run has started, the chart and the log get the room */
        &.-narrow.-has-run #form {
            height: 1fr;
        }
        &.-narrow.-has-run #live {
            height: 2fr;
        }
        &.-narrow .chart {
            min-height: 3;
        }
        &.-narrow #log {
            min-height: 2;
        }
        #summary {
            width: 1fr;
            color: $text-muted;
            display: none;
        }
        /* the form folded to the summary line: the chart and the log get the room */
        &.-folded #form {
            display: none;
        }
        &.-folded #summary {
            display: block;
        }
        &.-narrow.-folded Header {
            display: none;
        }
        &.-narrow.-folded #live {
            height: 1fr;
        }
        &.-narrow.-folded .chart {
            height: 5fr;
        }
        /* 80x24: the keys are in the Footer, so the buttons give their row to the
           summary, and the chart gets 12 plot rows over a 3-line log (g: the whole log) */
        &.-narrow.-folded #controls Button, &.-narrow.-folded #queue {
            display: none;
        }
        &.-narrow.-folded .chart {
            min-height: 17;
        }
        &.-narrow.-folded #log {
            height: 1fr;
            min-height: 3;
            border-top: none;
        }
    }
    """

    # The form takes focus after the first frame (see on_mount): focusing it restyles
    # every widget in it, which would delay the first frame.
    AUTO_FOCUS = ""

    def __init__(self) -> None:
        super().__init__()
        self.starter = TrainStarter(self)
        self._form_folded: bool | None = None  # None: folded while a run goes, if narrow
        self._painted_at = 0.0
        self._paint_timer: Timer | None = None
        self.form_edited = False  # the user changed a field since the screen opened
        self.paints = 0  # live repaints so far (a test counts them)

    # -- layout

    def compose(self) -> ComposeResult:
        # Decide the layout before the children get their styles: toggling a class on the
        # screen later restyles all ~200 widgets of the form.
        self._apply_width(self.app.size.width)
        state = state_of(self.app)
        x_axis = state.settings.x_axis if state is not None else "step"  # the last session's
        yield Header()
        with Horizontal(id="train-body"):
            yield ConfigForm(
                state.form_config if state is not None else None,
                visible_rows=self._form_rows(),
                id="form",
            )
            yield LivePanel(x_axis=x_axis, id="live")
        yield AppFooter()

    @property
    def controller(self) -> TrainingController:
        return app_of(self).controller

    @property
    def form(self) -> ConfigForm:
        return self.query_one("#form", ConfigForm)

    @property
    def panel(self) -> LivePanel:
        return self.query_one("#live", LivePanel)

    @property
    def chart(self) -> PplChart:
        return self.panel.chart

    @property
    def log_view(self) -> RunLog:
        return self.panel.log_view

    @property
    def x_axis(self) -> str:
        return self.panel.x_axis

    def on_mount(self) -> None:
        # After the first frame: a RichLog wraps what it is given at its width then, and
        # the focus restyles the form. The app's call_after_refresh, not the screen's: at
        # start-up the screen mounts inside the app's batch update, where a screen's
        # "after refresh" callbacks run before anything has been painted.
        self.app.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        panel = self.panel
        panel.mount_chart()
        panel.log_view.write_intro()
        form = self.form
        if self.focused is None:  # a folded form (a run shown at 80 columns): the log
            (panel.log_view if self.has_class("-folded") else form).focus()
        form.start_measuring()

    def _form_rows(self) -> int:
        """At most how many of the form's rows show (the CSS above: the Header and the
        Footer take a row each, and a narrow form 3fr of 5); the form mounts the groups
        below them after the first frame."""
        rows = self.app.size.height - 2
        return rows * 3 // 5 if self.has_class("-narrow") else rows

    def on_resize(self, event: Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = width < NARROW_WIDTH
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")

    # -- keys

    def action_toggle_log(self) -> None:
        self.chart.action_toggle_log()

    def action_toggle_x_axis(self) -> None:
        panel = self.panel
        panel.x_axis = "epoch" if panel.x_axis == "step" else "step"
        self.post_message(SettingsChanged(x_axis=panel.x_axis))

    def action_leave_field(self) -> None:
        """Escape in the form: focus goes to the log, where the screen's keys work."""
        if self.form.has_focus_within:
            self.log_view.focus()

    def action_search_log(self) -> None:
        """Ask for a text; the log highlights it and jumps to its first match (n: next)."""
        from rnn_tui.ui.screens.dialogs import TextPrompt

        def searched(text: str | None) -> None:
            if text is not None:
                self.search_log(text)

        hint = "enter finds it (n: next match) · empty: no search · escape cancels"
        self.app.push_screen(TextPrompt("Search the log", self.log_view.search, hint), searched)

    def search_log(self, text: str) -> int:
        """Highlight `text` in the log and jump to its first match; how many lines match."""
        return self.log_view.find(text)

    def action_next_match(self) -> int:
        return self.log_view.next_match()

    def action_toggle_form(self) -> None:
        """Fold the form to its one-line summary, or open it again."""
        self._form_folded = not self.has_class("-folded")
        self._update_fold()
        if not self._form_folded:
            self.form.focus()

    def action_zoom(self, which: str) -> None:
        """Show the chart or the log on the whole screen; the same key (or escape) restores."""
        if self.maximized is not None:
            self.minimize()
            return
        widget = self.chart if which == "chart" else self.log_view
        widget.focus()
        self.maximize(widget, container=False)

    @on(Button.Pressed, "#start")
    async def _start_pressed(self) -> None:
        await self.app.run_action("start_training")

    @on(Button.Pressed, "#stop")
    async def _stop_pressed(self) -> None:
        await self.app.run_action("stop_training")

    @on(ConfigForm.Changed)
    def _form_changed(self) -> None:
        self._update_buttons()

    @on(ConfigForm.Edited)
    def _form_edited(self) -> None:
        self.form_edited = True

    def on_screen_resume(self) -> None:
        self.repaint_live()

    # -- Start and Stop (the app's actions and the Runs screen's resume come here)

    async def start_training(self) -> bool:
        """Start the form's run or sweep; False (with a notification) when it cannot."""
        return await self.starter.start_training()

    def start_plan(self, plan: RunPlan) -> bool:
        """Launch a planned run (or sweep, or resume) and show it from a clean log."""
        return self.starter.start_plan(plan)

    def stop_training(self) -> None:
        """Write that the run is stopping (the app's action sent the signal)."""
        self.log_view.add(
            Text("stopping: the run saves a checkpoint after this step…", style="bold")
        )
        self._update_buttons()

    # -- painting the queue shown

    def on_queue_updated(self, message: QueueUpdated) -> None:
        """The watcher posted a change: paint it now, or once REPAINT_S has passed since
        the last paint (steps may come hundreds of times a second)."""
        if self._paint_timer is not None:
            return  # a paint is due already
        wait = self._painted_at + REPAINT_S - time.monotonic()
        if wait <= 0:
            self.repaint_live(chart_now=False)
        else:
            self._paint_timer = self.set_timer(wait, self._timed_paint)

    def _timed_paint(self) -> None:
        self._paint_timer = None
        self.repaint_live(chart_now=False)

    def clear_live(self) -> None:
        """Forget what was shown: the controller's log and run start again."""
        self.panel.forget()
        self._form_folded = None
        self._update_buttons()
        self.repaint_live()

    def repaint_live(self, *, chart_now: bool = True) -> None:
        """Paint the queue shown; `chart_now=False` (the watcher's updates): the chart
        waits for its own interval (LivePanel.CHART_S)."""
        if not self.is_current:
            return  # hidden, or under a modal: repainting would only cost the run time
        self._painted_at = time.monotonic()
        self.paints += 1
        controller = self.controller
        self._update_buttons()
        self.panel.paint(controller, running=controller.running, now=chart_now)
        self._update_fold()

    def _update_buttons(self) -> None:
        controller = self.controller
        running = controller.running
        if running and not self.has_class("-has-run"):
            self.add_class("-has-run")
        form = self.form
        self.panel.set_buttons(
            running=running,
            stopping=controller.stopping,
            valid=form.is_valid,
            runs=len(form.configs),
        )

    def _update_fold(self) -> None:
        """Fold the form on a narrow screen once a run is shown (its curve stays in view
        when it ends), unless `f` said otherwise."""
        folded = self._form_folded
        if folded is None:
            shown = self.controller.running or self.controller.current is not None
            folded = self.has_class("-narrow") and shown
        if folded != self.has_class("-folded"):
            if folded and self.form.has_focus_within:
                self.log_view.focus()
            self.set_class(folded, "-folded")
