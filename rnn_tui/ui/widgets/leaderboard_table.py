"""A study's leaderboard as a table: the rows of runs.leaderboard (the same as `rnn-tui sweep
show`), in its order, best first; one column per searched parameter. Updated in place, so
the cursor stays on its trial when the rows change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from rnn_tui.reports.compare import fmt_ppl, fmt_seconds
from rnn_tui.runs.leaderboard import TrialRow

STATUS_STYLES = {
    "finished": "green",
    "pruned": "yellow",
    "failed": "red",
    "running": "bold cyan",
    "waiting": "dim",
}
BEST_MARK = "★"


def fmt_param(value: Any) -> str:
    """A sampled value as `sweep show` prints it: floats in 4 significant digits."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class LeaderboardTable(DataTable):
    """Trial, status, best val ppl, one column per parameter, host, time."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.trials: list[TrialRow] = []
        self._params: tuple[str, ...] = ()

    @property
    def highlighted_trial(self) -> TrialRow | None:
        if not self.trials or not 0 <= self.cursor_row < len(self.trials):
            return None
        return self.trials[self.cursor_row]

    def show_rows(self, rows: Sequence[TrialRow], params: Sequence[str]) -> None:
        """Show these rows (best first, as the leaderboard ranks them)."""
        params = tuple(params) or tuple(dict.fromkeys(k for r in rows for k in r.params))
        if list(rows) == self.trials and params == self._params and self.columns:
            return  # unchanged: the table keeps its scroll and cursor as they are
        highlighted = self.highlighted_trial
        if params != self._params or not self.columns:
            self.clear(columns=True)
            self._params = params
            self.add_column("trial", key="trial")
            self.add_column("status", key="status")
            self.add_column("best ppl", key="best")
            for name in params:
                self.add_column(name.replace("_", " "), key=f"param:{name}")
            self.add_column("host", key="host")
            self.add_column("time", key="time")
        else:
            self.clear()
        self.trials = list(rows)
        best = next((r.number for r in rows if r.status == "finished"), None)
        for row in rows:
            self.add_row(*self._cells(row, best), key=str(row.number))
        if highlighted is not None:
            for index, row in enumerate(self.trials):
                if row.number == highlighted.number:
                    self.move_cursor(row=index)
                    break

    def _cells(self, row: TrialRow, best: int | None) -> list[Any]:
        mark = f"{BEST_MARK} " if row.number == best else "  "
        return [
            Text(f"{mark}{row.number}", justify="right"),
            Text(row.status, style=STATUS_STYLES.get(row.status, "")),
            Text(fmt_ppl(row.best_val_ppl), justify="right"),
            *(Text(fmt_param(row.params.get(name, "-")), justify="right") for name in self._params),
            Text(row.host or "-"),
            Text(fmt_seconds(row.seconds), justify="right"),
        ]
