"""Parameter importances as a table: each searched setting's share (runs.leaderboard's
importances, PED-ANOVA), largest first, with a bar; or the line that says when they come."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from rnn_tui.runs.leaderboard import MIN_TRIALS_FOR_IMPORTANCE

NONE_YET = f"after {MIN_TRIALS_FOR_IMPORTANCE} finished trials"

BAR_WIDTH = 10


def share_bar(share: float, width: int = BAR_WIDTH) -> str:
    """A share of 0..1 as a bar of `width` cells (eighths for the last one)."""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")).ljust(width)


class ImportanceTable(DataTable):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="none", zebra_stripes=True, **kwargs)
        self.shown: dict[str, float] | None = None

    def on_mount(self) -> None:
        self.add_column("parameter", key="name")
        self.add_column("share", key="share")
        self.add_column("", key="bar")

    def show(self, importances: dict[str, float]) -> None:
        if importances == self.shown:
            return
        self.shown = dict(importances)
        self.clear()
        if not importances:
            self.add_row(Text(NONE_YET, style="dim"), "", "")
            return
        for name, share in importances.items():
            self.add_row(
                name.replace("_", " "),
                Text(f"{share:.0%}", justify="right"),
                Text(share_bar(share), style="cyan"),
            )
