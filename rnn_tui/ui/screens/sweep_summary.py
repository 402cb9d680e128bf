"""The sweep summary: one row per configuration of a sweep, the best one marked.

Built from `compare.summary_rows(store.sweep_runs(sweep_id))`, the same rows as
`rnn-tui runs compare`: the settings that differ between the runs as columns, then the
best and final validation perplexity, the final training perplexity, time, tokens/s and
parameter count. `show_sweep_summary(app, sweep_id)` opens it; the training queue calls it
when a sweep ends, and the Runs screen's `u` key opens it for the highlighted run's sweep.

A search's sweep (an Optuna study) is shown as its leaderboard: each run's trial number and
host too, and the settings' importances (PED-ANOVA) under the table.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from rnn_tui.errors import RnnTuiError
from rnn_tui.reports.compare import (
    fmt_count,
    fmt_ppl,
    fmt_rate,
    fmt_seconds,
    fmt_value,
    summary_rows,
)
from rnn_tui.store import RunRow, RunStore
from rnn_tui.ui.typed_app import app_of
from rnn_tui.ui.widgets.key_order import KeysInOrder


@dataclass(frozen=True)
class StudyView:
    """What a search's sweep shows beyond a plain sweep's summary."""

    name: str
    trials: dict[int, tuple[int, str]]  # run id -> (trial number, host)
    importances: dict[str, float]

    def importance_line(self) -> str:
        if not self.importances:
            return "importances: after 3 finished trials"
        shares = " · ".join(f"{name} {share:.2f}" for name, share in self.importances.items())
        return f"importance to best val ppl (PED-ANOVA): {shares}"


if TYPE_CHECKING:
    from rnn_tui.ui.app import RnnTuiApp

BEST_MARK = "★"

# (column key, header, the row's field, formatter)
METRIC_COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("best_val_ppl", "Best val", fmt_ppl),
    ("final_val_ppl", "Final val", fmt_ppl),
    ("final_train_ppl", "Train", fmt_ppl),
    ("seconds", "Time", fmt_seconds),
    ("tokens_per_s", "Tok/s", fmt_rate),
    ("params", "Params", fmt_count),
)


class SweepSummaryScreen(KeysInOrder, ModalScreen[None]):
    """A modal table of a sweep's configurations and their results."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="summary.close"),
        Binding("c", "clone", "Clone into form", id="summary.clone"),
        Binding("o", "overlay", "Overlay curves", id="summary.overlay"),
    ]

    DEFAULT_CSS = """
    SweepSummaryScreen {
        align: center middle;
        #summary-dialog {
            width: auto;
            min-width: 50;
            max-width: 96%;
            height: auto;
            max-height: 90%;
            padding: 0 1;
            border: thick $primary;
            background: $surface;
        }
        #summary-title {
            text-style: bold;
            color: $text-primary;
            width: auto;
        }
        #summary-table {
            height: auto;
            max-height: 20;
            width: auto;
            max-width: 100%;
        }
        #summary-hint {
            color: $text-muted;
            width: auto;
        }
    }
    """

    def __init__(self, sweep_id: int, runs: list[RunRow], study: StudyView | None = None) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.runs = runs
        self.study = study
        self.varied, self.rows, self.best = summary_rows(runs)

    def compose(self) -> ComposeResult:
        with Vertical(id="summary-dialog"):
            yield Static(self.title_text(), id="summary-title", markup=False)
            yield DataTable(id="summary-table", cursor_type="row", zebra_stripes=True)
            if self.study is not None:
                yield Static(self.study.importance_line(), id="summary-importances", markup=False)
            yield Static(
                f"{BEST_MARK} lowest best validation perplexity · c clone into the Train form "
                "· o overlay the curves in Runs · escape close",
                id="summary-hint",
            )

    def title_text(self) -> str:
        n = len(self.runs)
        text = f"Sweep {self.sweep_id}: {n} run{'s' if n != 1 else ''}"
        if self.study is not None:
            text = f"Study {self.study.name}: {n} trial{'s' if n != 1 else ''}"
        if self.best is not None:
            row = self.rows[self.best]
            text += f" · best #{row['id']} {row['name']} (val ppl {fmt_ppl(row['best_val_ppl'])})"
        return text

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(" ", key="best")
        table.add_column(Text("Run", justify="right"), key="id")
        if self.study is not None:
            table.add_column(Text("Trial", justify="right"), key="trial")
        for name in self.varied:
            table.add_column(name, key=f"config.{name}")
        for key, header, _ in METRIC_COLUMNS:
            table.add_column(Text(header, justify="right"), key=key)
        table.add_column("Status", key="status")
        if self.study is not None:
            table.add_column("Host", key="host")
        best_style = self._best_style()
        for row in self.rows:
            style = best_style if row["best"] else ""
            cells: list[Any] = [
                Text(BEST_MARK if row["best"] else "", style=best_style),
                Text(f"#{row['id']}", justify="right", style=style),
            ]
            trial = self.study.trials.get(row["id"]) if self.study is not None else None
            if self.study is not None:
                cells.append(Text(str(trial[0]) if trial else "-", justify="right", style=style))
            cells += [Text(fmt_value(row["config"][name]), style=style) for name in self.varied]
            cells += [
                Text(fmt(row[key]), justify="right", style=style) for key, _, fmt in METRIC_COLUMNS
            ]
            cells.append(Text(row["status"], style=style))
            if self.study is not None:
                cells.append(Text(trial[1] if trial else "-", style=style))
            table.add_row(*cells, key=str(row["id"]))
        if self.best is not None:
            table.move_cursor(row=self.best, animate=False)
        table.focus()

    def _best_style(self) -> Style | str:
        colour = self.app.theme_variables.get("success")
        try:
            return Style(color=colour, bold=True) if colour else "bold"
        except Exception:  # noqa: BLE001 - a theme value rich cannot parse
            return "bold"

    @property
    def best_run(self) -> RunRow | None:
        return None if self.best is None else self.runs[self.best]

    def highlighted_run(self) -> RunRow | None:
        table = self.query_one(DataTable)
        if not self.runs or not 0 <= table.cursor_row < len(self.runs):
            return None
        return self.runs[table.cursor_row]

    def action_overlay(self) -> None:
        """Mark the sweep's runs in the Runs screen, whose chart overlays their curves."""
        for screen in reversed(self.app.screen_stack):
            mark = getattr(screen, "mark_runs", None)
            if mark is not None:
                self.dismiss(None)
                mark([run.id for run in self.runs])
                return
        self.notify("open the Runs screen to overlay the curves", severity="warning")

    def action_close(self) -> None:
        self.dismiss(None)

    async def action_clone(self) -> None:
        run = self.highlighted_run()
        if run is not None and await app_of(self).clone_into_form(run):
            self.dismiss(None)


# Sweeps whose summary came up by itself, per app: the end of a queue shows it once.
_SHOWN: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()


def show_sweep_summary(
    app: RnnTuiApp, sweep_id: int, *, once: bool = False
) -> SweepSummaryScreen | None:
    """Open the summary of a sweep, unless it is open already. Errors notify.

    `once`: only if it was never shown with `once` in this app (for end-of-queue hooks,
    so that two of them never show it twice).
    """
    for screen in app.screen_stack:
        if isinstance(screen, SweepSummaryScreen) and screen.sweep_id == sweep_id:
            return None
    if once:
        shown = _SHOWN.setdefault(app, set())
        if sweep_id in shown:
            return None
        shown.add(sweep_id)
    try:
        with RunStore(app.store_path) as store:
            runs = store.sweep_runs(sweep_id)
            study = study_view(store, sweep_id)
    except RnnTuiError as exc:
        app.notify(str(exc), severity="error", title="sweep summary", markup=False)
        return None
    if not runs:
        app.notify(f"sweep {sweep_id} has no recorded runs", severity="warning")
        return None
    screen = SweepSummaryScreen(sweep_id, runs, study)
    app.push_screen(screen)
    return screen


def study_view(store: RunStore, sweep_id: int) -> StudyView | None:
    """The leaderboard's extras when the sweep is a search's study (Optuna is imported only
    when the store keeps studies)."""
    from rnn_tui.runs.leaderboard import importances, leaderboard, study_of_sweep

    study = study_of_sweep(store, sweep_id)
    if study is None:
        return None
    trials = {
        int(row.run_id): (row.number, row.host)
        for row in leaderboard(study)
        if row.run_id is not None
    }
    return StudyView(study.study_name, trials, importances(study))
