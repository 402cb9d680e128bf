"""The Sweeps screen (F6, the palette's "Sweeps", `u` on a search's run in Runs): a search's
leaderboard, its trials' validation curves overlaid, and the parameter importances.

The rows and the importances are runs.leaderboard's (the same as `rnn-tui sweep show`);
this screen only shows them. A thread worker reads the study and the
store every REFRESH_S seconds while the screen is shown (sweeps_reader.py), so a search
running in other processes, here or on other hosts, fills in live.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Header, Select, Static

from rnn_tui.reports.compare import fmt_ppl
from rnn_tui.runs.studies import StudySummary
from rnn_tui.ui.screens.chart_controls import ChartControls
from rnn_tui.ui.screens.runs_messages import overlay_in_runs
from rnn_tui.ui.screens.runs_snapshot import RunCurves, apply_metrics, known_rows
from rnn_tui.ui.screens.sweeps_reader import SweepsReader, SweepsSnapshot, charted_runs
from rnn_tui.ui.typed_app import app_of
from rnn_tui.ui.widgets.app_footer import AppFooter
from rnn_tui.ui.widgets.importance_table import ImportanceTable
from rnn_tui.ui.widgets.key_order import KeysInOrder
from rnn_tui.ui.widgets.leaderboard_table import LeaderboardTable, fmt_param
from rnn_tui.ui.widgets.trials_chart import TrialsChart

REFRESH_S = 2.0


def summary_line(summary: StudySummary | None) -> str:
    if summary is None:
        return "no searches yet: fill the Train form's Search group (or a range) and start"
    best = fmt_ppl(summary.best_val_ppl) if summary.best_val_ppl is not None else "-"
    running = f", {summary.running} running" if summary.running else ""
    # What changes first: at 80 columns, beside the study chooser, the end may be cut.
    return (
        f"best {best} · {summary.done}/{summary.trials} done{running}"
        f" · {summary.sampler} · pruner {summary.pruner}"
    )


class SweepsScreen(KeysInOrder, ChartControls, Screen[None]):
    AUTO_FOCUS = "#sweeps-board"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "choose_study", "Study", id="sweeps.study"),
        Binding("n", "new_search", "New search", id="sweeps.new"),
        Binding("o", "overlay", "Overlay in Runs", id="sweeps.overlay", show=False),
        Binding("a", "cycle_x_axis", "X axis", id="sweeps.x_axis"),
        Binding("t", "toggle_train", "Train ppl", id="sweeps.train_ppl"),
        Binding("l", "toggle_log", "Log y", id="sweeps.log_scale", show=False),
        Binding("escape", "focus_board", "Focus the leaderboard", id="sweeps.focus", show=False),
    ]

    DEFAULT_CSS = """
    SweepsScreen {
        #sweeps-top { height: 1; padding: 0 1; }
        #sweeps-study { width: 32; }
        #sweeps-info {
            width: 1fr; height: 1; padding-left: 2; color: $text-muted;
            text-wrap: nowrap; text-overflow: ellipsis;
        }
        #sweeps-error { display: none; height: auto; padding: 0 1; color: $text-error; }
        #sweeps-error.-shown { display: block; }
        #sweeps-board { height: auto; max-height: 45%; min-height: 4; }
        #sweeps-detail {
            height: 1; padding: 0 1; color: $text-muted; background: $panel;
            text-wrap: nowrap; text-overflow: ellipsis;
        }
        #sweeps-bottom { height: 1fr; min-height: 8; }
        #sweeps-chart { width: 1fr; }
        #sweeps-importance-box { width: 34; border-left: vkey $panel; }
        #sweeps-importance-title { height: 1; padding: 0 1; color: $primary; text-style: bold; }
        #sweeps-importance { height: 1fr; }
    }
    """

    x_axis: reactive[str] = reactive("epoch")
    show_train: reactive[bool] = reactive(False)

    class Loaded(Message):
        def __init__(self, snapshot: SweepsSnapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

    def __init__(self) -> None:
        super().__init__()
        self.reader = SweepsReader()
        self.study_name: str | None = None  # the study shown (None: the newest)
        self.curves: dict[int, RunCurves] = {}
        self.snapshot: SweepsSnapshot | None = None
        self.loads = 0  # snapshots applied (tests wait on it)
        self._loading = False
        self._dirty = False
        self._filling_select = False
        self._options: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="sweeps-top"):
            yield Select[str]([], prompt="study", id="sweeps-study", compact=True)
            yield Static("reading the searches…", id="sweeps-info", markup=False)
        yield Static("", id="sweeps-error", markup=False)
        yield LeaderboardTable(id="sweeps-board")
        yield Static("", id="sweeps-detail", markup=False)
        with Horizontal(id="sweeps-bottom"):
            yield TrialsChart(id="sweeps-chart", title="trials' validation ppl", x_label="epoch")
            with Vertical(id="sweeps-importance-box"):
                yield Static("parameter importance", id="sweeps-importance-title")
                yield ImportanceTable(id="sweeps-importance")
        yield AppFooter()

    def on_mount(self) -> None:
        self.request_load()
        self.set_interval(REFRESH_S, self._tick)

    def on_screen_resume(self) -> None:
        self.request_load()

    def on_unmount(self) -> None:
        self.reader.close()

    @property
    def board(self) -> LeaderboardTable:
        return self.query_one("#sweeps-board", LeaderboardTable)

    @property
    def chart(self) -> TrialsChart:
        return self.query_one("#sweeps-chart", TrialsChart)

    def show_study(self, name: str) -> None:
        """Show study `name` (read at once)."""
        self.study_name = name
        self.curves.clear()
        self.request_load()

    # -- reading

    def _tick(self) -> None:
        if self.is_current:
            self.request_load()

    def request_load(self) -> None:
        if self._loading:
            self._dirty = True
            return
        self._loading, self._dirty = True, False
        read = self.reader.read
        args = (app_of(self).state.store_path, self.study_name, known_rows(self.curves))
        self.run_worker(
            lambda: self.post_message(self.Loaded(read(*args))),
            name="sweeps-load",
            group="sweeps-load",
            thread=True,
            exit_on_error=False,
        )

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        snap = message.snapshot
        self._loading = False
        self.loads += 1
        error = self.query_one("#sweeps-error", Static)
        error.update(snap.error or "")
        error.set_class(bool(snap.error), "-shown")
        if snap.error is None and snap.asked == self.study_name:
            self._apply(snap)  # (a read for a study no longer shown is dropped)
        if self._dirty:
            self.request_load()

    def _apply(self, snap: SweepsSnapshot) -> None:
        self.snapshot = snap
        view = snap.view
        if view is not None and view.name != self.study_name:
            self.curves.clear()  # the asked one is gone, or none was asked: the newest
            self.study_name = view.name
        self._fill_select(snap, view.name if view is not None else None)
        summary = view.summary() if view is not None else None
        info = summary_line(summary)
        if view is None and snap.pending:
            info = f"search {snap.pending} is starting: its study appears here in a moment"
        self.query_one("#sweeps-info", Static).update(info)
        if view is None:
            self.board.show_rows([], [])
            self.query_one("#sweeps-importance", ImportanceTable).show({})
            self.update_chart()
            return
        if snap.curves is not None:
            apply_metrics(self.curves, snap.curves)
        self.board.show_rows(view.rows, view.spec.search_space().searched)
        self.query_one("#sweeps-importance", ImportanceTable).show(view.importances)
        self.update_detail()
        self.update_chart()

    def _fill_select(self, snap: SweepsSnapshot, shown: str | None) -> None:
        select = self.query_one("#sweeps-study", Select)
        options = [(s.name, s.name) for s in snap.summaries]
        self._filling_select = True
        try:
            if options != self._options:
                self._options = options
                select.set_options(options)
            if shown is not None and select.value != shown:
                select.value = shown
        finally:
            self._filling_select = False

    # -- the chart and the detail line

    def update_chart(self) -> None:
        view = self.snapshot.view if self.snapshot is not None else None
        trials = []
        if view is not None:
            trial_of = {row.run_id: row.number for row in view.rows}
            trials = [
                (trial_of[run_id], self.curves[run_id])
                for run_id in charted_runs(view)
                if run_id in self.curves
            ]
        self.chart.show_trials(trials, self.x_axis, self.show_train)

    def update_detail(self) -> None:
        row = self.board.highlighted_trial
        text = ""
        if row is not None:
            run = f"run {row.run_id}" if row.run_id is not None else "no run"
            params = " ".join(f"{k}={fmt_param(v)}" for k, v in row.params.items())
            reason = f" · {row.reason}" if row.reason and row.status != "finished" else ""
            text = f"trial {row.number} · {run} · {params}{reason}"
        self.query_one("#sweeps-detail", Static).update(text)

    @on(DataTable.RowHighlighted, "#sweeps-board")
    def _row_highlighted(self) -> None:
        self.update_detail()

    @on(Select.Changed, "#sweeps-study")
    def _study_chosen(self, event: Select.Changed) -> None:
        if self._filling_select or not isinstance(event.value, str):
            return
        if event.value != self.study_name:
            self.show_study(event.value)
            self.board.focus()

    # -- actions

    def action_choose_study(self) -> None:
        """Choose another search."""
        select = self.query_one("#sweeps-study", Select)
        select.focus()
        select.expanded = True

    async def action_new_search(self) -> None:
        """Open the Train form's Search group: sampler, pruner, trials; ranges in fields."""
        from rnn_tui.ui.widgets.search_group import SearchGroup

        await self.app.switch_mode("train")
        groups = self.app.screen.query(SearchGroup)
        if groups:
            groups.first().open()

    async def action_overlay(self) -> None:
        """Mark the study's trials in the Runs screen, whose chart overlays their curves with
        every other run's tools (sort, x axis, training ppl, export)."""
        view = self.snapshot.view if self.snapshot is not None else None
        if view is None:
            return
        run_ids = [row.run_id for row in view.rows if row.run_id is not None]
        await overlay_in_runs(self.app, run_ids)

    def action_focus_board(self) -> None:
        self.board.focus()

    def redraw_chart(self) -> None:
        self.update_chart()
