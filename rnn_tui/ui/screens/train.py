"""The Train screen: the hyperparameter form, Start/Stop, and the live run.

The run itself is a process of its own, followed through the run store by
`app.controller` (rnn_tui.ui.training) on the app's repaint tick (`REPAINT_S`); this
screen paints what the controller read, so the repaint rate does not depend on how fast
steps come. The screen is built in layers, each in its own module: the log and its
search (train_log), the live panel (train_live), Start and Stop (train_start); this
module lays them out and binds the keys.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Button, Header, Label, ProgressBar, RichLog, Static

from rnn_tui.ui.screens.train_start import TrainStart
from rnn_tui.ui.screens.train_status import status_text
from rnn_tui.ui.state import SettingsChanged, state_of
from rnn_tui.ui.training_queue import ShownQueue
from rnn_tui.ui.widgets.app_footer import AppFooter
from rnn_tui.ui.widgets.config_form import ConfigForm
from rnn_tui.ui.widgets.reflow_log import ReflowLog

REPAINT_S = 0.25
NARROW_WIDTH = 110  # below this the form and the live panel stack vertically
STOP_ASKS_AFTER_S = 10.0  # a run older than this is worth a question before it stops


class TrainScreen(TrainStart, Screen):
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

    # -- layout

    def compose(self) -> ComposeResult:
        # Decide the layout before the children get their styles: toggling a class on the
        # screen later restyles all ~200 widgets of the form.
        self._apply_width(self.app.size.width)
        state = state_of(self.app)
        if state is not None:  # the x axis the last session used
            self.set_reactive(TrainScreen.x_axis, state.settings.x_axis)
        yield Header()
        with Horizontal(id="train-body"):
            yield ConfigForm(state.form_config if state is not None else None, id="form")
            with Vertical(id="live"):
                with Horizontal(id="controls"):
                    yield Button("Start (^r)", id="start", variant="success", compact=True)
                    yield Button(
                        "Stop (k)", id="stop", variant="error", compact=True, disabled=True
                    )
                    yield Label("", id="queue")
                    yield Static("", id="summary", markup=False)
                yield Static(status_text(ShownQueue()), id="status")
                with Horizontal(id="progress-row"):
                    yield ProgressBar(
                        total=100, id="progress", show_eta=False, show_percentage=True
                    )
                    yield Label("eta --:--", id="eta")
                # The chart (plotext) is mounted after the first frame; until then, this.
                yield Static("no data yet", id="chart-placeholder", classes="chart")
                # min_width: RichLog wraps at 78 columns at least by default, wider than
                # the log is beside the form (lines were cut, with a horizontal scrollbar).
                yield ReflowLog(
                    id="log",
                    wrap=True,
                    markup=False,
                    highlight=False,
                    max_lines=5000,
                    min_width=20,
                )
        yield AppFooter()

    def on_mount(self) -> None:
        # After the first frame: a RichLog wraps what it is given at its width then, and
        # the focus restyles the form. The app's call_after_refresh, not the screen's: at
        # start-up the screen mounts inside the app's batch update, where a screen's
        # "after refresh" callbacks run before anything has been painted.
        self.app.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self._mount_chart()
        self._write_intro()
        form = self.form
        if self.focused is None:
            form.focus()
        form.start_measuring()

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
        self.x_axis = "epoch" if self.x_axis == "step" else "step"
        self.post_message(SettingsChanged(x_axis=self.x_axis))

    def action_leave_field(self) -> None:
        """Escape in the form: focus goes to the log, where the screen's keys work."""
        if self.form.has_focus_within:
            self.query_one("#log", RichLog).focus()

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
        widget = self.chart if which == "chart" else self.query_one("#log", RichLog)
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

    def on_screen_resume(self) -> None:
        self.repaint_live()
