"""The Runs screen (F5): every stored run, their perplexity curves overlaid, and actions.

Everything comes from the run database, so a run that `rnn-tui train` records in another
process shows up live, and the TUI may come and go. A thread worker reads the store every
`REFRESH_S` seconds (only while the screen is shown): the run list, and for the charted
runs only the metric rows past the ones already read (`after_step`/`after_epoch`), and only
for runs whose row changed (status, steps, epochs) since the last read. The UI thread then
updates the table in place, so the cursor and the marks stay where they were.

The chart overlays the marked runs (space), or the highlighted run when none is marked:
validation perplexity per epoch, and with `t` the training perplexity of every recorded
step. `a` cycles the x axis (step, epoch, training tokens, training seconds).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from rnn_tui.compare import X_AXES, fmt_count, fmt_ppl, fmt_seconds
from rnn_tui.config import TrainConfig
from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.run_checkpoint import sample_checkpoint
from rnn_tui.store import RunRow, RunStore
from rnn_tui.ui.screens.dialogs import TextPrompt, yes_no
from rnn_tui.ui.screens.sweep_summary import show_sweep_summary
from rnn_tui.ui.typed_app import app_of
from rnn_tui.ui.widgets.ppl_chart import FALLBACK_RGB, THEME_PALETTE, PplChart
from rnn_tui.ui.widgets.runs_table import RunsTable, short_name

REFRESH_S = 1.0  # how often the store is read while the screen is shown
RECOVER_S = 5.0  # how often runs whose writer died are marked interrupted
RESUMABLE = ("stopped", "interrupted")
X_LABELS = {"step": "step", "epoch": "epoch", "tokens": "training tokens", "time": "seconds"}
LABEL_NAME_WIDTH = 18


# --------------------------------------------------------------------------- data


@dataclass
class RunCurves:
    """The metric rows of one run read so far, and the run's row state when read."""

    state: tuple[str, int, int] = ("", -1, -1)  # (status, steps, epochs)
    step: list[int] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    tokens: list[Any] = field(default_factory=list)
    elapsed: list[Any] = field(default_factory=list)
    ppl: list[Any] = field(default_factory=list)
    epochs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_step(self) -> int:
        return self.step[-1] if self.step else 0

    @property
    def last_epoch(self) -> int:
        return self.epochs[-1]["epoch"] if self.epochs else 0

    def extend(self, steps: list[dict[str, Any]], epochs: list[dict[str, Any]]) -> None:
        for row in steps:
            self.step.append(row["step"])
            self.epoch.append(row["epoch"])
            self.tokens.append(row["tokens"])
            self.elapsed.append(row["elapsed"])
            self.ppl.append(row["ppl"])
        self.epochs.extend(epochs)

    # -- series

    def val_xy(self, axis: str) -> tuple[list[Any], list[Any]]:
        column = {"step": "step", "epoch": "epoch", "tokens": "tokens", "time": "elapsed"}[axis]
        rows = [e for e in self.epochs if e["val_ppl"] is not None]
        return [e[column] for e in rows], [e["val_ppl"] for e in rows]

    def train_xy(self, axis: str) -> tuple[list[Any], list[Any]]:
        if axis == "step":
            return list(self.step), list(self.ppl)
        if axis == "tokens":
            return list(self.tokens), list(self.ppl)
        if axis == "time":
            return list(self.elapsed), list(self.ppl)
        return self._fractional_epochs(), list(self.ppl)

    def _fractional_epochs(self) -> list[float]:
        """Each step's position in epochs (epoch 2, halfway: 1.5), from the epoch ends."""
        ends = {e["epoch"]: e["step"] for e in self.epochs}
        per_epoch = self.epochs[0]["step"] / self.epochs[0]["epoch"] if self.epochs else None
        out: list[float] = []
        for step, epoch in zip(self.step, self.epoch, strict=True):
            if not per_epoch:
                out.append(float(epoch))
                continue
            start = ends.get(epoch - 1, (epoch - 1) * per_epoch)
            length = ends.get(epoch, start + per_epoch) - start
            out.append(epoch - 1 + (step - start) / length if length > 0 else float(epoch))
        return out


@dataclass
class Snapshot:
    """What one read of the store found (made in the worker, applied on the UI thread)."""

    text_filter: str
    runs: list[RunRow] = field(default_factory=list)
    others: dict[int, RunRow] = field(default_factory=dict)  # charted runs filtered out
    gone: set[int] = field(default_factory=set)  # charted runs no longer in the store
    # run id -> (start afresh?, step rows, epoch rows, row state)
    metrics: dict[int, tuple[bool, list, list, tuple[str, int, int]]] = field(default_factory=dict)
    error: str | None = None


def run_state(run: RunRow) -> tuple[str, int, int]:
    return (run.status, run.steps, run.epochs)


def read_snapshot(
    store: RunStore,
    text_filter: str,
    chart_ids: Sequence[int],
    known: dict[int, tuple[tuple[str, int, int], int, int]],
) -> Snapshot:
    """Read the runs and the new metric rows of the charted ones.

    `known` holds, per run id already read, (row state, last step, last epoch). A run whose
    row state has not changed is not read again; a resumed run (back to running) or one
    with fewer steps than read (its abandoned timeline was dropped) is read afresh.
    """
    snap = Snapshot(text_filter)
    snap.runs = store.list_runs(text_filter)
    by_id = {run.id: run for run in snap.runs}
    for run_id in chart_ids:
        run = by_id.get(run_id)
        if run is None:
            try:
                run = store.get_run(run_id)
            except StoreError:
                snap.gone.add(run_id)
                continue
            snap.others[run_id] = run
        state = run_state(run)
        seen = known.get(run_id)
        if seen is not None and seen[0] == state:
            continue
        fresh = (
            seen is None
            or (state[0] == "running" and seen[0][0] != "running")
            or state[1] < seen[1]
            or state[2] < seen[2]
        )
        after_step, after_epoch = (0, 0) if fresh else (seen[1], seen[2])
        steps = store.step_metrics(run_id, after_step=after_step)
        epochs = store.epoch_metrics(run_id, after_epoch=after_epoch)
        for row in epochs:
            row.pop("sample", None)  # the chart never shows it
        snap.metrics[run_id] = (fresh, steps, epochs, state)
    return snap


def resume_plan(run: RunRow) -> tuple[TrainConfig, str]:
    """(config, checkpoint) to continue a stopped or interrupted run; RnnTuiError if not."""
    if run.status == "running":
        raise RnnTuiError(f"run {run.id} is running: nothing to resume")
    if run.status == "finished":
        raise RnnTuiError(
            f"run {run.id} finished; clone it (c) and raise the epochs to train further"
        )
    if run.status not in RESUMABLE:
        raise RnnTuiError(
            f"run {run.id} {run.status}: only stopped or interrupted runs resume; "
            "clone it (c) to start again"
        )
    if not run.checkpoint:
        raise RnnTuiError(f"run {run.id} has no checkpoint to resume from")
    if not Path(run.checkpoint).is_file():
        raise RnnTuiError(f"run {run.id}'s checkpoint {run.checkpoint} is missing")
    try:
        config = TrainConfig.from_dict(run.config)
    except (TypeError, ValueError) as exc:
        raise RnnTuiError(f"run {run.id}'s settings do not load: {exc}") from None
    return config, run.checkpoint


def series_label(run_id: int, name: str, train: bool = False) -> str:
    label = f"#{run_id} {short_name(name, LABEL_NAME_WIDTH)}"
    return f"{label} train" if train else label


# --------------------------------------------------------------------------- widgets


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
        index = self._run_colour[run_id]
        variables = self.app.theme_variables if self.is_attached else {}
        value = variables.get(THEME_PALETTE[index % len(THEME_PALETTE)])
        if value:
            try:
                from textual.color import Color

                return Color.parse(value).rgb
            except Exception:  # noqa: BLE001 - a theme value we cannot parse
                pass
        return FALLBACK_RGB[index % len(FALLBACK_RGB)]


# --------------------------------------------------------------------------- the screen


class RunsScreen(Screen):
    """Runs table on top, their perplexity curves below; actions on the highlighted run."""

    AUTO_FOCUS = "#runs-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_mark", "Mark", id="runs.mark"),
        Binding("c", "clone", "Clone", id="runs.clone"),
        Binding("r", "resume", "Resume", id="runs.resume"),
        Binding("n", "rename", "Rename", id="runs.rename"),
        Binding("g", "tag", "Tag", id="runs.tag"),
        Binding("d", "delete", "Delete", id="runs.delete"),
        Binding("k", "stop_run", "Stop run", id="runs.stop", show=False),
        Binding("p", "open_sample", "Sample", id="runs.sample"),
        Binding("u", "sweep_summary", "Sweep", id="runs.sweep_summary"),
        Binding("slash", "focus_filter", "Filter", id="runs.filter"),
        Binding("o", "choose_sort", "Sort by…", id="runs.sort"),
        Binding("O", "reverse_sort", "Reverse sort", id="runs.reverse_sort", show=False),
        Binding("a", "cycle_x_axis", "X axis", id="runs.x_axis"),
        Binding("t", "toggle_train", "Train ppl", id="runs.train_ppl"),
        Binding("l", "toggle_log", "Log y", id="runs.log_scale", show=False),
        Binding("M", "clear_marks", "Clear marks", id="runs.clear_marks", show=False),
        Binding("escape", "focus_table", "Focus the table", id="runs.focus_table", show=False),
    ]

    DEFAULT_CSS = """
    RunsScreen {
        #runs-body {
            height: 1fr;
        }
        #runs-top {
            height: 1;
            padding: 0 1;
        }
        #runs-filter {
            width: 30;
            background: $boost;
        }
        #runs-info {
            width: 1fr;
            height: 1;
            padding-left: 2;
            color: $text-muted;
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
        #runs-error {
            display: none;
            height: auto;
            padding: 0 1;
            color: $text-error;
            background: $error 15%;
        }
        #runs-error.-shown {
            display: block;
        }
        #runs-table {
            height: auto;
            max-height: 50%;
            min-height: 4;
        }
        #runs-detail {
            height: 1;
            padding: 0 1;
            color: $text-muted;
            background: $panel;
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
        #runs-chart {
            height: 1fr;
            min-height: 9;
        }
    }
    """

    x_axis: reactive[str] = reactive("step")
    show_train: reactive[bool] = reactive(False)

    class Loaded(Message):
        def __init__(self, snapshot: Snapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

    def __init__(self) -> None:
        super().__init__()
        self.store: RunStore | None = None
        self.store_error: str | None = None
        self.curves: dict[int, RunCurves] = {}
        self.loads = 0  # snapshots applied (tests wait on it)
        self._others: dict[int, RunRow] = {}
        self._loading = False
        self._dirty = False
        self._last_recover = 0.0
        self._was_running = False
        self._chart_key: tuple[Any, ...] | None = None

    # -- layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="runs-top"):
            yield Input(placeholder="/ filter: name, tag, status…", id="runs-filter",
                        compact=True)  # fmt: skip
            yield Static("", id="runs-info", markup=False)
        yield Static("", id="runs-error", markup=False)
        with VerticalScroll(id="runs-body"):
            yield RunsTable(id="runs-table")
            yield Static("", id="runs-detail", markup=False)
            yield RunsChart(id="runs-chart", title="validation perplexity", x_label="step")
        yield Footer()

    def on_mount(self) -> None:
        self.table.marked.update(app_of(self).settings.marks)  # the last session's marks
        self.request_load()
        self.set_interval(REFRESH_S, self._tick)

    def _remember_marks(self) -> None:
        app_of(self).settings.marks = sorted(self.table.marked)

    def on_screen_resume(self) -> None:
        self.request_load()

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()

    # -- helpers

    @property
    def table(self) -> RunsTable:
        return self.query_one("#runs-table", RunsTable)

    @property
    def chart(self) -> RunsChart:
        return self.query_one("#runs-chart", RunsChart)

    @property
    def filter_text(self) -> str:
        return self.query_one("#runs-filter", Input).value

    def chart_ids(self) -> list[int]:
        """The runs the chart overlays: the marked ones, else the highlighted one."""
        table = self.table
        if table.marked:
            return sorted(table.marked)
        run_id = table.highlighted_id
        return [] if run_id is None else [run_id]

    def run_for(self, run_id: int) -> RunRow | None:
        return self.table.run_by_id(run_id) or self._others.get(run_id)

    def _highlighted(self, action: str) -> RunRow | None:
        run = self.table.highlighted_run
        if run is None:
            self.notify(f"no run to {action}", severity="warning")
        return run

    # -- reading the store

    def _tick(self) -> None:
        self._watch_queue()
        if self.is_current:
            self.request_load()

    def request_load(self) -> None:
        """Read the store in a thread worker (at most one at a time)."""
        if self._loading:
            self._dirty = True
            return
        self._loading = True
        self._dirty = False
        wanted = set(self.chart_ids())
        highlighted = self.table.highlighted_id
        if highlighted is not None:
            wanted.add(highlighted)  # ready when marks are cleared
        known = {
            run_id: (curves.state, curves.last_step, curves.last_epoch)
            for run_id, curves in self.curves.items()
        }
        self.run_worker(
            lambda: self._load(self.filter_text, sorted(wanted), known),
            name="runs-load",
            group="runs-load",
            thread=True,
            exit_on_error=False,
        )

    def _load(
        self,
        text_filter: str,
        chart_ids: list[int],
        known: dict[int, tuple[tuple[str, int, int], int, int]],
    ) -> None:
        """The worker: open the store if needed, read, post the snapshot. Never raises."""
        try:
            if self.store is None:
                self.store = RunStore(app_of(self).store_path)
            store = self.store
            now = time.monotonic()
            if now - self._last_recover >= RECOVER_S:
                self._last_recover = now
                # Runs whose `rnn-tui train` process died become 'interrupted' (the store
                # does this when opened; this screen keeps one store open).
                store.recover()
            snapshot = read_snapshot(store, text_filter, chart_ids, known)
        except RnnTuiError as exc:
            snapshot = Snapshot(text_filter, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug: show it, keep the app up
            snapshot = Snapshot(text_filter, error=f"{type(exc).__name__}: {exc}")
        self.post_message(self.Loaded(snapshot))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        snap = message.snapshot
        self._loading = False
        self.loads += 1
        error = self.query_one("#runs-error", Static)
        self.store_error = snap.error
        error.update(snap.error or "")
        error.set_class(bool(snap.error), "-shown")
        if snap.error is None:
            self._apply(snap)
        if self._dirty:
            self.request_load()

    def _apply(self, snap: Snapshot) -> None:
        for run_id in snap.gone:
            self.curves.pop(run_id, None)
            self.table.marked.discard(run_id)
        if snap.gone:
            self._remember_marks()
        for run_id, (fresh, steps, epochs, state) in snap.metrics.items():
            curves = self.curves.get(run_id)
            if fresh or curves is None:
                curves = self.curves[run_id] = RunCurves()
            curves.extend(steps, epochs)
            curves.state = state
        self._others = snap.others
        if snap.text_filter == self.filter_text:
            self.table.set_runs(snap.runs)
        else:
            self._dirty = True  # typed meanwhile: the next read has the new filter
        self.update_chart()
        self.update_info()

    # -- the chart and the info lines

    def update_chart(self) -> None:
        ids = self.chart_ids()
        key = (
            tuple((i, len(self.curves[i].step), len(self.curves[i].epochs), self._run_name(i))
                  if i in self.curves else (i,) for i in ids),
            self.x_axis,
            self.show_train,
        )  # fmt: skip
        if key == self._chart_key:
            return
        self._chart_key = key
        series: list[tuple[int, str, Sequence, Sequence]] = []
        for run_id in ids:
            curves = self.curves.get(run_id)
            if curves is None:
                continue
            name = self._run_name(run_id)
            xs, ys = curves.val_xy(self.x_axis)
            if xs:
                series.append((run_id, series_label(run_id, name), xs, ys))
            if self.show_train:
                xs, ys = curves.train_xy(self.x_axis)
                if xs:
                    series.append((run_id, series_label(run_id, name, train=True), xs, ys))
        chart = self.chart
        chart.title = "validation" + (" and training" if self.show_train else "") + " perplexity"
        chart.x_label = X_LABELS[self.x_axis]
        chart.set_run_series(series)

    def _run_name(self, run_id: int) -> str:
        run = self.run_for(run_id)
        return run.name if run is not None else ""

    def update_info(self) -> None:
        table = self.table
        parts: list[str] = []
        queue = self._queue_text()
        if queue:
            parts.append(queue)
        n = len(table.runs)
        where = " matching" if self.filter_text.strip() else ""
        parts.append(f"{n} run{'s' if n != 1 else ''}{where}")
        if table.marked:
            parts.append(f"{len(table.marked)} marked")
        parts.append(f"sort {table.sort_description()}")
        if not self.show_train:
            parts.append("t: train ppl")
        self.query_one("#runs-info", Static).update(" · ".join(parts))
        self.query_one("#runs-detail", Static).update(self._detail_text())

    def _detail_text(self) -> str:
        run = self.table.highlighted_run
        if run is None:
            if self.filter_text.strip():
                return "no run matches the filter"
            return "no runs yet: start one on the Train screen (F2) or with `rnn-tui train`"
        parts = [f"#{run.id} {run.name}", run.status]
        if run.message:
            parts[-1] += f" ({run.message})"
        if run.params:
            parts.append(f"{fmt_count(run.params)} params")
        parts.append(f"{run.epochs} epoch{'s' if run.epochs != 1 else ''}")
        parts.append(f"{fmt_seconds(run.seconds)}")
        if run.final_val_ppl is not None:
            parts.append(f"final val {fmt_ppl(run.final_val_ppl)}")
        if run.tags:
            parts.append("tags: " + ", ".join(run.tags))
        if run.sweep_id is not None:
            parts.append(f"sweep {run.sweep_id} #{(run.sweep_index or 0) + 1} (u)")
        return " · ".join(parts)

    def _queue_text(self) -> str:
        controller = app_of(self).controller
        if not controller.running:
            return ""
        total = controller.queue_total
        current = controller.current
        run_id = getattr(current, "run_id", None) if current is not None else None
        which = f" (#{run_id})" if run_id is not None else ""
        if total > 1:
            return f"sweep run {controller.queue_index + 1}/{total}{which}"
        return f"training{which}"

    def _watch_queue(self) -> None:
        """Follow this app's training queue: its progress in the info line, and a fresh
        read when it ends (the controller itself opens a sweep's summary then)."""
        controller = app_of(self).controller
        running = controller.running
        if self._was_running and not running:
            self.request_load()
        self._was_running = running
        if self.is_current:
            self.update_info()

    # -- table events

    @on(DataTable.RowHighlighted, "#runs-table")
    def _row_highlighted(self) -> None:
        self.update_info()
        if self.table.marked:
            return
        run_id = self.table.highlighted_id
        if run_id is not None and run_id not in self.curves:
            self.request_load()
        self.update_chart()

    @on(DataTable.RowSelected, "#runs-table")
    async def _row_selected(self) -> None:
        await self.action_open_sample()

    @on(Input.Changed, "#runs-filter")
    def _filter_changed(self) -> None:
        self.request_load()

    @on(Input.Submitted, "#runs-filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    # -- view actions

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted run for the chart."""
        run_id = self.table.highlighted_id
        if run_id is None:
            return
        self.table.toggle_mark(run_id)
        self._remember_marks()
        if run_id not in self.curves:
            self.request_load()
        self.update_chart()
        self.update_info()

    def action_clear_marks(self) -> None:
        self.table.clear_marks()
        self._remember_marks()
        self.update_chart()
        self.update_info()

    def action_focus_filter(self) -> None:
        self.query_one("#runs-filter", Input).focus()

    def action_focus_table(self) -> None:
        self.table.focus()

    def action_choose_sort(self) -> None:
        """Sort by a column in two keys: o, then the column's key (the same again reverses)."""
        from rnn_tui.ui.widgets.field_jump import JumpScreen
        from rnn_tui.ui.widgets.runs_table import COLUMNS, SORT_KEYS

        labels = {name: COLUMNS[name][0] if name in COLUMNS else "marked" for name in COLUMNS}
        labels["mark"] = "marked"

        def sort_by(column: str) -> None:
            self.table.sort_by(column)
            self.update_info()

        def chosen(column: str | None) -> None:
            if column:  # once this screen is back on top: the table measures its cells then
                self.call_after_refresh(sort_by, column)

        self.app.push_screen(
            JumpScreen(
                list(SORT_KEYS.values()),
                title="sort by: press a column's key (again: reverse; esc closes)",
                hints=SORT_KEYS,
                labels=labels,
            ),
            chosen,
        )

    def action_cycle_sort(self) -> None:
        """Sort by the next column (pressing a column's header sorts by it)."""
        self.table.cycle_sort()
        self.update_info()

    def action_reverse_sort(self) -> None:
        self.table.reverse_sort()
        self.update_info()

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
            self.update_chart()

    def watch_show_train(self) -> None:
        if self.is_mounted:
            self.update_chart()
            self.update_info()

    # -- run actions

    async def action_clone(self) -> None:
        """Put the highlighted run's settings in the Train form."""
        run = self._highlighted("clone")
        if run is None:
            return
        try:
            config = TrainConfig.from_dict(run.config)
        except (TypeError, ValueError) as exc:
            self.notify(
                f"run {run.id}'s settings do not load: {exc}", severity="error", markup=False
            )
            return
        await app_of(self).clone_into_form(config)
        self.app.notify(f"run {run.id}'s settings are in the Train form: change them, then s")

    async def action_resume(self) -> None:
        """Continue a stopped or interrupted run from its last checkpoint."""
        run = self._highlighted("resume")
        if run is None:
            return
        try:
            resume_plan(run)
        except RnnTuiError as exc:
            self.notify(str(exc), severity="warning", title="cannot resume", markup=False)
            return
        await app_of(self).resume_run(run.id)

    async def action_open_sample(self) -> None:
        """Sample from the highlighted run's best checkpoint (else its last)."""
        run = self._highlighted("sample from")
        if run is None:
            return
        try:
            checkpoint = sample_checkpoint(run)
        except RnnTuiError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        await app_of(self).open_in_sample(checkpoint)

    def action_rename(self) -> None:
        run = self._highlighted("rename")
        if run is None:
            return

        def renamed(name: str | None) -> None:
            if name is None or name.strip() == run.name:
                return
            self._store_action(lambda store: store.rename(run.id, name))

        self.app.push_screen(TextPrompt(f"Rename run {run.id}", run.name), renamed)

    def action_tag(self) -> None:
        run = self._highlighted("tag")
        if run is None:
            return

        def tagged(text: str | None) -> None:
            if text is None:
                return
            tags = [t.strip() for t in text.split(",")]
            self._store_action(lambda store: store.set_tags(run.id, tags))

        self.app.push_screen(
            TextPrompt(
                f"Tags of run {run.id}",
                ", ".join(run.tags),
                "comma-separated; empty removes them · enter saves · escape cancels",
            ),
            tagged,
        )

    def action_delete(self) -> None:
        run = self._highlighted("delete")
        if run is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if self._store_action(lambda store: store.delete_run(run.id)):
                self.table.marked.discard(run.id)
                self.curves.pop(run.id, None)
                self.notify(f"run {run.id} deleted")

        question = (
            f"Delete run {run.id} ({run.name}), its metrics and its checkpoints? "
            "This cannot be undone."
        )
        self.app.push_screen(yes_no(question, "Delete", "Keep"), answered)

    def action_stop_run(self) -> None:
        """Stop the highlighted run, whoever started it (it saves a checkpoint)."""
        run = self._highlighted("stop")
        if run is None:
            return
        from rnn_tui.processes import stop_run

        outcome: list[str] = []
        if self._store_action(lambda store: outcome.append(stop_run(store, run.id))):
            if outcome == ["stopping"]:
                self.notify(f"run {run.id} is stopping: it saves a checkpoint and ends")
            else:
                self.notify(f"run {run.id}'s process was gone: marked interrupted")

    def action_sweep_summary(self) -> None:
        """The summary table of the highlighted run's sweep."""
        run = self._highlighted("summarize")
        if run is None:
            return
        if run.sweep_id is None:
            self.notify(f"run {run.id} is not part of a sweep", severity="warning")
            return
        show_sweep_summary(app_of(self), run.sweep_id)

    def _store_action(self, do: Any) -> bool:
        """Run a store write on the UI thread (they take milliseconds); errors notify."""
        try:
            if self.store is None:
                self.store = RunStore(app_of(self).store_path)
            do(self.store)
        except RnnTuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return False
        self.request_load()
        return True
