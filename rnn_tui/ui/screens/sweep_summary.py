"""The sweep summary: one row per configuration of a sweep, the best one marked.

Built from `compare.summary_rows(store.sweep_runs(sweep_id))`, the same rows as
`rnn-tui runs compare`: the settings that differ between the runs as columns, then the
best and final validation perplexity, the final training perplexity, time, tokens/s and
parameter count. `show_sweep_summary(app, sweep_id)` reads the sweep in a thread worker and
opens it; the app calls it when its queue (a sweep) ends, and the Runs screen's `u` key opens
it for the highlighted run's sweep when that is a comma-list sweep. A search's sweep (an
Optuna study) is shown by the Sweeps screen, the one view of a study.
"""

from __future__ import annotations

import weakref
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
from rnn_tui.ui.screens.runs_messages import overlay_in_runs
from rnn_tui.ui.typed_app import app_of
from rnn_tui.ui.widgets.key_order import KeysInOrder

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

    def __init__(self, sweep_id: int, runs: list[RunRow]) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.runs = runs
        self.varied, self.rows, self.best = summary_rows(runs)

    def compose(self) -> ComposeResult:
        with Vertical(id="summary-dialog"):
            yield Static(self.title_text(), id="summary-title", markup=False)
            yield DataTable(id="summary-table", cursor_type="row", zebra_stripes=True)
            yield Static(
                f"{BEST_MARK} lowest best validation perplexity · c clone into the Train form "
                "· o overlay the curves in Runs · escape close",
                id="summary-hint",
            )

    def title_text(self) -> str:
        n = len(self.runs)
        text = f"Sweep {self.sweep_id}: {n} run{'s' if n != 1 else ''}"
        if self.best is not None:
            row = self.rows[self.best]
            text += f" · best #{row['id']} {row['name']} (val ppl {fmt_ppl(row['best_val_ppl'])})"
        return text

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(" ", key="best")
        table.add_column(Text("Run", justify="right"), key="id")
        for name in self.varied:
            table.add_column(name, key=f"config.{name}")
        for key, header, _ in METRIC_COLUMNS:
            table.add_column(Text(header, justify="right"), key=key)
        table.add_column("Status", key="status")
        best_style = self._best_style()
        for row in self.rows:
            style = best_style if row["best"] else ""
            cells: list[Any] = [
                Text(BEST_MARK if row["best"] else "", style=best_style),
                Text(f"#{row['id']}", justify="right", style=style),
            ]
            cells += [Text(fmt_value(row["config"][name]), style=style) for name in self.varied]
            cells += [
                Text(fmt(row[key]), justify="right", style=style) for key, _, fmt in METRIC_COLUMNS
            ]
            cells.append(Text(row["status"], style=style))
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
        app = self.app
        self.dismiss(None)
        # On the app's queue: this screen's own task ends as it closes.
        app.call_later(overlay_in_runs, app, [run.id for run in self.runs])

    def action_close(self) -> None:
        self.dismiss(None)

    async def action_clone(self) -> None:
        run = self.highlighted_run()
        if run is not None and await app_of(self).clone_into_form(run):
            self.dismiss(None)


# Sweeps whose summary came up by itself, per app: the end of a queue shows it once.
_SHOWN: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()


def show_sweep_summary(app: RnnTuiApp, sweep_id: int, *, once: bool = False) -> None:
    """Read the sweep's runs in a thread worker, then open its summary, unless it is open
    already. Errors notify.

    `once`: only if it was never shown with `once` in this app (for end-of-queue hooks,
    so that two of them never show it twice).
    """
    if _summary_open(app, sweep_id):
        return
    if once:
        shown = _SHOWN.setdefault(app, set())
        if sweep_id in shown:
            return
        shown.add(sweep_id)
    store_path = app.store_path

    def read() -> None:
        try:
            with RunStore(store_path) as store:
                runs = store.sweep_runs(sweep_id)
        except RnnTuiError as exc:
            app.call_from_thread(
                app.notify, str(exc), severity="error", title="sweep summary", markup=False
            )
            return
        app.call_from_thread(_open, app, sweep_id, runs)

    app.run_worker(read, thread=True, group="sweep-summary", exit_on_error=False)


def _summary_open(app: RnnTuiApp, sweep_id: int) -> bool:
    return any(
        isinstance(screen, SweepSummaryScreen) and screen.sweep_id == sweep_id
        for screen in app.screen_stack
    )


def _open(app: RnnTuiApp, sweep_id: int, runs: list[RunRow]) -> None:
    if not runs:
        app.notify(f"sweep {sweep_id} has no recorded runs", severity="warning")
    elif not _summary_open(app, sweep_id):  # opened meanwhile by another key or hook
        app.push_screen(SweepSummaryScreen(sweep_id, runs))
