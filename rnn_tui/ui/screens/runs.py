"""The Runs screen (F5): every stored run, their perplexity curves overlaid, and actions.

Everything comes from the run database, so a run that `rnn-tui train` records in another
process shows up, and the TUI may come and go. A thread worker reads the store when the
screen is shown, when the user acts, and when the app's watcher says the queue shown
changed (`QueueUpdated`; at most once every `REFRESH_S` seconds, see runs_snapshot.py).
The watcher follows one queue only, so while this screen is on top and no such read came
for `LOOK_S`, the worker reads anyway: a run started elsewhere beside the followed one
(another `rnn-tui train`, a search's worker) shows, and its progress moves, within
`LOOK_S` plus one read. A read is incremental (only new metric rows of charted runs whose
row changed), and nothing is read while another screen is on top. The UI thread then
updates the table in place, so the cursor and the marks stay where they were. The actions
on a run live in runs_actions.py.

The chart overlays the marked runs (space), or the highlighted run when none is marked:
validation perplexity per epoch, and with `t` the training perplexity of every recorded
step. `a` cycles the x axis (step, epoch, training tokens, training seconds).
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static

from rnn_tui.store import RunRow
from rnn_tui.ui.live_messages import QueueUpdated
from rnn_tui.ui.screens.chart_controls import ChartControls
from rnn_tui.ui.screens.runs_actions import RunActions
from rnn_tui.ui.screens.runs_info import detail_line, info_line, queue_line
from rnn_tui.ui.screens.runs_messages import MarkRuns
from rnn_tui.ui.screens.runs_snapshot import (
    RunCurves,
    RunsReader,
    Snapshot,
    apply_metrics,
    known_rows,
)
from rnn_tui.ui.typed_app import app_of, remember
from rnn_tui.ui.widgets.app_footer import AppFooter
from rnn_tui.ui.widgets.key_order import KeysInOrder
from rnn_tui.ui.widgets.runs_chart import RunsChart
from rnn_tui.ui.widgets.runs_table import RunsTable, sort_chooser
from rnn_tui.ui.widgets.text_field import TextField

REFRESH_S = 1.0  # at most one read of the store this often while the queue shown changes
LOOK_S = 1.5  # on top, without the watcher's news: a read this long after the last one


class RunsScreen(KeysInOrder, ChartControls, Screen):
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
        self.reader = RunsReader()
        self.curves: dict[int, RunCurves] = {}
        self.actions = RunActions(self)
        self._reload_timer: Timer | None = None
        self._look_timer: Timer | None = None
        self._loaded_at = 0.0
        self.store_error: str | None = None
        self.loads = 0  # snapshots applied (tests wait on it)
        self._others: dict[int, RunRow] = {}
        self._loading = False
        self._dirty = False
        self._was_running = False

    # -- layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="runs-top"):
            yield TextField(placeholder="/ filter: name, tag, status…", id="runs-filter",
                            compact=True)  # fmt: skip
            yield Static("", id="runs-info", markup=False)
        yield Static("", id="runs-error", markup=False)
        with VerticalScroll(id="runs-body"):
            yield RunsTable(id="runs-table")
            yield Static("", id="runs-detail", markup=False)
            yield RunsChart(id="runs-chart", title="validation perplexity", x_label="step")
        yield AppFooter()

    def on_mount(self) -> None:
        settings = app_of(self).state.settings
        self.table.marked.update(settings.marks)  # the last session's marks and order
        self.table.restore_sort(settings.runs_sort, settings.runs_sort_reverse)
        self.request_load()

    def _remember_marks(self) -> None:
        remember(self, marks=sorted(self.table.marked))

    def on_runs_table_sort_changed(self, event: RunsTable.SortChanged) -> None:
        remember(self, runs_sort=event.column, runs_sort_reverse=event.reverse)

    def on_screen_resume(self) -> None:
        self.request_load()

    def on_screen_suspend(self) -> None:
        if self._look_timer is not None:
            self._look_timer.stop()
            self._look_timer = None

    def on_unmount(self) -> None:
        self.reader.close()

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

    # -- reading the store

    def on_queue_updated(self, message: QueueUpdated) -> None:
        """The queue shown changed: its line now, and a read of the store at most once
        every REFRESH_S (the followed run's rows, a run that started or ended)."""
        self._watch_queue()
        if self._reload_timer is not None:
            return  # a read is due already
        wait = self._loaded_at + REFRESH_S - time.monotonic()
        if wait <= 0:
            self._timed_load()
        else:
            self._reload_timer = self.set_timer(wait, self._timed_load)

    def _timed_load(self) -> None:
        self._reload_timer = None
        if self.is_current:
            self.request_load()

    def _look_later(self) -> None:
        """After a read while on top: the next one in LOOK_S, unless one comes sooner."""
        if self._look_timer is not None:
            self._look_timer.stop()
        self._look_timer = self.set_timer(LOOK_S, self._look) if self.is_current else None

    def _look(self) -> None:
        self._look_timer = None
        if self.is_current:
            self.request_load()

    def request_load(self) -> None:
        """Read the store in a thread worker (at most one at a time)."""
        if self._loading:
            self._dirty = True
            return
        self._loaded_at = time.monotonic()
        self._loading = True
        self._dirty = False
        wanted = set(self.chart_ids())
        highlighted = self.table.highlighted_id
        if highlighted is not None:
            wanted.add(highlighted)  # ready when marks are cleared
        read = self.reader.read
        args = (app_of(self).state.store_path, self.filter_text, sorted(wanted))
        known = known_rows(self.curves)
        self.run_worker(
            lambda: self.post_message(self.Loaded(read(*args, known))),
            name="runs-load",
            group="runs-load",
            thread=True,
            exit_on_error=False,
        )

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
        else:
            self._look_later()

    def _apply(self, snap: Snapshot) -> None:
        apply_metrics(self.curves, snap)
        if snap.gone:
            self.table.marked.difference_update(snap.gone)
            self._remember_marks()
        changed = bool(snap.metrics or snap.gone) or snap.others != self._others
        self._others = snap.others
        if snap.text_filter == self.filter_text:
            shown = {run.id: run for run in self.table.runs}
            changed = changed or {run.id: run for run in snap.runs} != shown
            self.table.set_runs(snap.runs)
        else:
            self._dirty = True  # typed meanwhile: the next read has the new filter
        if changed or self.loads == 1:  # a look that found nothing new repaints nothing
            self.update_chart()
            self.update_info()

    # -- the chart and the info lines

    def update_chart(self) -> None:
        runs = [
            (run_id, self._run_name(run_id), self.curves[run_id])
            for run_id in self.chart_ids()
            if run_id in self.curves
        ]
        self.chart.show_runs(runs, self.x_axis, self.show_train)

    def _run_name(self, run_id: int) -> str:
        run = self.run_for(run_id)
        return run.name if run is not None else ""

    def update_info(self) -> None:
        table = self.table
        filtered = bool(self.filter_text.strip())
        self.query_one("#runs-info", Static).update(
            info_line(
                queue_line(app_of(self).controller),
                len(table.runs),
                filtered,
                len(table.marked),
                table.sort_description(),
                self.show_train,
            )
        )
        self.query_one("#runs-detail", Static).update(detail_line(table.highlighted_run, filtered))

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

    # -- run actions (runs_actions.RunActions)

    async def action_clone(self) -> None:
        """Put the highlighted run's settings in the Train form."""
        await self.actions.clone()

    async def action_resume(self) -> None:
        """Continue a stopped or interrupted run from its last checkpoint."""
        await self.actions.resume()

    async def action_open_sample(self) -> None:
        """Sample from the highlighted run's best checkpoint (else its last)."""
        await self.actions.open_sample()

    def action_rename(self) -> None:
        self.actions.rename()

    def action_tag(self) -> None:
        self.actions.tag()

    def action_delete(self) -> None:
        self.actions.delete()

    def action_stop_run(self) -> None:
        """Stop the highlighted run, whoever started it (it saves a checkpoint)."""
        self.actions.stop_run()

    def action_sweep_summary(self) -> None:
        """The summary table of the highlighted run's sweep."""
        self.actions.sweep_summary()

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

    def on_mark_runs(self, message: MarkRuns) -> None:
        self.mark_runs(message.run_ids)

    def mark_runs(self, run_ids: list[int]) -> None:
        """Mark exactly these runs for the chart (a sweep's trials, overlaid)."""
        self.table.clear_marks()
        for run_id in run_ids:
            self.table.toggle_mark(run_id)
        self._remember_marks()
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

        def sort_by(column: str) -> None:
            self.table.sort_by(column)
            self.update_info()

        def chosen(column: str | None) -> None:
            if column:  # once this screen is back on top: the table measures its cells then
                self.call_after_refresh(sort_by, column)

        self.app.push_screen(sort_chooser(), chosen)

    def action_cycle_sort(self) -> None:
        """Sort by the next column (pressing a column's header sorts by it)."""
        self.table.cycle_sort()
        self.update_info()

    def action_reverse_sort(self) -> None:
        self.table.reverse_sort()
        self.update_info()

    def redraw_chart(self) -> None:
        self.update_chart()
        self.update_info()  # it says whether the training perplexity shows
