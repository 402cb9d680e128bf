"""The Train screen: the hyperparameter form, Start/Stop, and the live run.

The run itself is a process of its own, followed through the run store by
`app.controller` (rnn_tui.ui.training) on the app's repaint tick (`REPAINT_S`); this
screen paints what the controller read, so the repaint rate does not depend on how fast
steps come.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, ProgressBar, RichLog, Static

from rnn_tui.config import SWEEPABLE, TrainConfig
from rnn_tui.errors import RnnTuiError
from rnn_tui.report import ago
from rnn_tui.sweep import SWEEP_CONFIRM_RUNS, SWEEP_MAX_RUNS, sweep_size
from rnn_tui.ui.state import SettingsChanged, state_of
from rnn_tui.ui.widgets.config_form import ConfigForm

if TYPE_CHECKING:
    from rnn_tui.ui.training import TrainingController, WatchedRun
    from rnn_tui.ui.widgets.ppl_chart import PplChart

REPAINT_S = 0.25
NARROW_WIDTH = 110  # below this the form and the live panel stack vertically
STOP_ASKS_AFTER_S = 10.0  # a run older than this is worth a question before it stops


def fmt_duration(seconds: float | None) -> str:
    """mm:ss, or h:mm:ss from an hour; '--:--' when unknown."""
    if seconds is None or seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def status_text(
    live: WatchedRun | None,
    queue_index: int,
    queue_total: int,
    *,
    starting: bool = False,
    error: str | None = None,
) -> str:
    """The one-line status: run k/n (or 'attached to run 7 (started 12 min ago)'), state,
    device, tokens/s, best val ppl, elapsed."""
    if live is None:
        if error:
            return error
        if starting:
            return "starting the training process…"
        return "idle: set the hyperparameters, then press ctrl+r to start"
    run = live.run
    last = live.last_step
    parts = []
    if live.attached and not live.ended:
        parts.append(f"attached to run {run.id} (started {ago(time.time() - run.created)})")
    elif queue_total > 1:
        parts.append(f"run {queue_index + 1}/{queue_total} (#{run.id})")
    else:
        parts.append(f"run {run.id}")
    parts.append(run.status)
    if run.device and not live.attached:
        parts.append(run.device)
    tokens = run.tokens_per_s if live.ended else (last["tokens_per_s"] if last else None)
    if tokens is not None:
        parts.append(f"{tokens:,.0f} tok/s")
    best = live.best_val_ppl
    parts.append(f"best val ppl {best:.3f}" if best is not None else "best val ppl –")
    elapsed = run.seconds if live.ended else (last["elapsed"] if last else None)
    if elapsed is not None and not live.attached:
        parts.append(f"elapsed {fmt_duration(elapsed)}")
    return " · ".join(parts)  # one line of ~70 columns beside the form


def bar_progress(live: WatchedRun) -> tuple[float | None, float]:
    """(total, done) steps for the bar: a finished run is full, a run stopped early shows
    how far it got (148 of 300 steps, not 100%)."""
    total, done = live.progress()
    if not live.ended or live.status == "finished":
        return total, done
    step = float(live.last_step["step"]) if live.last_step else 0.0
    planned = live.total_steps()
    return (float(planned) if planned and planned > step else max(step, 1.0)), step


def config_summary(config: dict[str, object], run_id: int) -> str:
    """The running config in one line, for the folded form."""
    cell, layers, hidden = config.get("cell", "?"), config.get("layers", "?"), config.get("hidden")
    parts = [f"run {run_id}: {cell} {layers}x{hidden}"]
    for name, label in (("batch_size", "batch"), ("num_steps", "steps"), ("lr", "lr")):
        if config.get(name) is not None:
            parts.append(f"{label} {config[name]}")
    if config.get("epochs") is not None:
        parts.append(f"{config['epochs']} ep")
    return " · ".join(parts) + " · f: form"


class TrainScreen(Screen):
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

    x_axis: reactive[str] = reactive("step")

    def __init__(self) -> None:
        super().__init__()
        self._shown_run: WatchedRun | None = None
        self._shown_version = -1
        self._log_index = 0
        self._log_version = -1
        self._chart_mounted = False
        self._chart_key: tuple[int, int, str, int] | None = None
        self._start_label = "Start (^r)"
        self._texts: dict[str, str] = {}
        self._form_folded: bool | None = None  # None: folded while a run goes, if narrow
        self._log_texts: list[Text] = []  # what the log holds, to highlight a search in
        self._search = ""
        self._match_line = -1

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
                yield Static(status_text(None, 0, 0), id="status")
                with Horizontal(id="progress-row"):
                    yield ProgressBar(
                        total=100, id="progress", show_eta=False, show_percentage=True
                    )
                    yield Label("eta --:--", id="eta")
                # The chart (plotext) is mounted after the first frame; until then, this.
                yield Static("no data yet", id="chart-placeholder", classes="chart")
                # min_width: RichLog wraps at 78 columns at least by default, wider than
                # the log is beside the form (lines were cut, with a horizontal scrollbar).
                yield RichLog(
                    id="log",
                    wrap=True,
                    markup=False,
                    highlight=False,
                    max_lines=5000,
                    min_width=20,
                )
        yield Footer()

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

    def _write_intro(self) -> None:
        self._write_log(
            Text(
                "Each epoch logs its perplexities and a text sample here. "
                "Fill the form (or pick a preset), then press ctrl+r.",
                style="dim",
            )
        )

    def on_resize(self, event: Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = width < NARROW_WIDTH
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")

    # -- helpers

    @property
    def controller(self) -> TrainingController:
        return self.app.controller  # type: ignore[attr-defined]

    @property
    def form(self) -> ConfigForm:
        return self.query_one("#form", ConfigForm)

    @property
    def chart(self) -> PplChart:
        from rnn_tui.ui.widgets.ppl_chart import PplChart

        self._mount_chart()  # if asked for before the first frame
        return self.query_one("#chart", PplChart)

    # -- actions (the app's start/stop actions call these)

    def start_training(self) -> bool:
        """Start the form's run or sweep; False (with a notification) when it cannot."""
        if self.controller.running:
            self.notify("a run is already going: stop it first (k)", severity="warning")
            return False
        form = self.form
        values = form.values()
        if set(form.errors) == {"sweep"}:  # too many runs to start without a question
            swept = {k: v for k, v in values.items() if k in SWEEPABLE and "," in v}
            runs = sweep_size(swept)
            if SWEEP_CONFIRM_RUNS < runs <= SWEEP_MAX_RUNS:
                self._ask_large_sweep(values, runs)
                return False
        if not form.is_valid:
            bad = ", ".join(f"{name} {message}" for name, message in form.errors.items())
            self.notify(
                f"fix the form first: {bad}", severity="error", title="cannot start", markup=False
            )
            return False
        return self._check_and_start(values, form.configs)

    def _ask_large_sweep(self, values: dict[str, str], runs: int) -> None:
        from rnn_tui.ui.screens.dialogs import yes_no
        from rnn_tui.ui.widgets.config_form import build_configs

        def answered(start: bool | None) -> None:
            if not start:
                return
            try:
                configs = build_configs(values, confirmed=True)
            except RnnTuiError as exc:
                self.notify(str(exc), severity="error", title="cannot start", markup=False)
                return
            self._check_and_start(values, configs, confirmed=True)

        question = (
            f"Start a sweep of {runs:,} runs? That is more than {SWEEP_CONFIRM_RUNS}; "
            "they run one after another."
        )
        self.app.push_screen(yes_no(question, "Start them", "Cancel", danger=False), answered)

    def _check_and_start(
        self, values: dict[str, str], configs: list[TrainConfig], *, confirmed: bool = False
    ) -> bool:
        """Check every run of the queue (corpus, sizes, memory) before a process starts."""
        from rnn_tui.preflight import check_configs

        try:
            check_configs(configs)
        except RnnTuiError as exc:
            self.controller.refuse(f"rnn-tui: error: {exc}")
            self.clear_live()
            return False
        return self.start_queue(values, count=len(configs), confirmed=confirmed)

    def start_queue(
        self,
        values: dict[str, str] | None,
        *,
        count: int = 1,
        resume_run_id: int | None = None,
        confirmed: bool = False,
    ) -> bool:
        """Launch the run (or sweep) and show it from a clean log: the one way a queue
        starts (Start, the palette, and resuming a run from the Runs screen). False (with a
        notification) when the controller refuses."""
        try:
            self.controller.start(
                values, count=count, resume_run_id=resume_run_id, confirmed=confirmed
            )
        except RnnTuiError as exc:
            self.notify(str(exc), severity="error", title="cannot start")
            return False
        self.clear_live()
        return True

    def clear_live(self) -> None:
        """Forget what was shown: the controller's log and run start again."""
        self._clear_log()
        self._form_folded = None
        self._shown_run = None
        self._log_index = 0
        self._log_version = -1
        self._chart_key = None
        self._update_buttons()
        self.repaint_live()

    def stop_training(self) -> None:
        """Write that the run is stopping (the app's action sent the signal)."""
        self._write_log(Text("stopping: the run saves a checkpoint after this step…", style="bold"))
        self._update_buttons()

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

    def action_search_log(self) -> None:
        """Ask for a text; the log highlights it and jumps to its first match (n: next)."""
        from rnn_tui.ui.screens.dialogs import TextPrompt

        def searched(text: str | None) -> None:
            if text is not None:
                self.search_log(text)

        hint = "enter finds it (n: next match) · empty: no search · escape cancels"
        self.app.push_screen(TextPrompt("Search the log", self._search, hint), searched)

    def search_log(self, text: str) -> int:
        """Highlight `text` in the log and jump to its first match; how many lines match."""
        self._search = text.strip()
        self._match_line = -1
        log = self.query_one("#log", RichLog)
        log.clear()
        for line in self._log_texts:
            log.write(self._highlighted(line))
        log.auto_scroll = not self._search  # a search holds the log still
        if not self._search:
            log.scroll_end(animate=False)
            return 0
        return self.action_next_match()

    def action_next_match(self) -> int:
        """Jump to the next line holding the search text (from the top after the last)."""
        if not self._search:
            return 0
        log = self.query_one("#log", RichLog)
        needle = self._search.lower()
        matches = [y for y, strip in enumerate(log.lines) if needle in strip.text.lower()]
        if not matches:
            self.notify(f"not in the log: {self._search}", severity="warning", markup=False)
            return 0
        later = [y for y in matches if y > self._match_line]
        self._match_line = later[0] if later else matches[0]
        log.scroll_to(y=max(self._match_line - 1, 0), animate=False)
        self.notify(f"match {matches.index(self._match_line) + 1} of {len(matches)}", timeout=2)
        return len(matches)

    def _highlighted(self, line: Text) -> Text:
        if not self._search:
            return line
        marked = line.copy()
        marked.highlight_regex(re.compile(re.escape(self._search), re.IGNORECASE), "reverse")
        return marked

    def _write_log(self, line: Text) -> None:
        self._log_texts.append(line)
        self.query_one("#log", RichLog).write(self._highlighted(line))

    def _clear_log(self) -> None:
        self._log_texts = []
        self.query_one("#log", RichLog).clear()

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

    def watch_x_axis(self) -> None:
        self._chart_key = None
        if self.is_mounted:
            self.chart.x_label = self.x_axis
            self._repaint_chart()

    @on(Button.Pressed, "#start")
    async def _start_pressed(self) -> None:
        await self.app.run_action("start_training")

    @on(Button.Pressed, "#stop")
    async def _stop_pressed(self) -> None:
        await self.app.run_action("stop_training")

    @on(ConfigForm.Changed)
    def _form_changed(self) -> None:
        self._update_buttons()

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

    # -- the live view (on a timer)

    def on_screen_resume(self) -> None:
        self.repaint_live()

    def repaint_live(self) -> None:
        if not self.is_current:
            return  # hidden, or under a modal: repainting would only cost the run time
        controller = self.controller
        live = controller.current
        self._update_buttons()
        self._set_text(
            "#queue",
            f"run {controller.queue_index + 1}/{controller.queue_total}"
            if controller.queue_total > 1
            else "",
        )
        self._set_text(
            "#status",
            status_text(
                live,
                controller.queue_index,
                controller.queue_total,
                starting=controller.running,
                error=controller.error,
            ),
        )
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

    def _repaint_log(self) -> None:
        controller = self.controller
        if controller.log_version == self._log_version:
            return
        self._log_version = controller.log_version
        if self._log_index > len(controller.log):  # the controller started a new log
            self._clear_log()
            self._log_index = 0
        new_lines = controller.log[self._log_index :]
        if new_lines:
            self._log_index += len(new_lines)
            variables = self.app.theme_variables
            for line in new_lines:
                style = variables.get(line.style, line.style) if line.style else ""
                self._write_log(Text(line.text, style=style))

    def _repaint_progress(self, live: WatchedRun) -> None:
        total, done = bar_progress(live)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=total, progress=done)
        eta = live.eta_seconds()
        self._set_text("#eta", live.status if live.ended else f"eta {fmt_duration(eta)}")

    def _repaint_chart(self) -> None:
        live = self._shown_run
        if live is None:
            return
        key = (id(live), len(live.step_x), self.x_axis, len(live.epochs))
        if key == self._chart_key:
            return
        self._chart_key = key
        epochs = live.epochs
        val = [(p, p.val_ppl) for p in epochs if p.val_ppl is not None]
        if self.x_axis == "epoch":
            series = [
                ("train", [p.epoch for p in epochs], [p.train_ppl for p in epochs]),
                ("validation", [p.epoch for p, _ in val], [v for _, v in val]),
            ]
        else:
            xs, ys = live.step_x, live.step_ppl
            series = [
                ("train", xs, ys),
                ("validation", [p.step for p, _ in val], [v for _, v in val]),
            ]
        self.chart.set_series([s for s in series if s[1]])
