"""Parameter importances as a table: each searched parameter's share (runs.importance,
PED-ANOVA), largest first, with a bar; or the one line that says why there are none."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from rnn_tui.runs.importance import Importances

BAR_WIDTH = 10


def share_bar(share: float, width: int = BAR_WIDTH) -> str:
    """A share of 0..1 as a bar of `width` cells (eighths for the last one)."""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")).ljust(width)


class ImportanceTable(DataTable):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="none", zebra_stripes=True, **kwargs)
        self.shown: Importances | None = None

    def on_mount(self) -> None:
        self.add_column("parameter", key="name")
        self.add_column("share", key="share")
        self.add_column("", key="bar")

    def show(self, importances: Importances) -> None:
        if importances == self.shown:
            return
        self.shown = importances
        self.clear()
        if not importances.shares:
            self.add_row(Text(importances.note or "none yet", style="dim"), "", "")
            return
        for name, share in importances.shares:
            self.add_row(
                name.replace("_", " "),
                Text(f"{share:.0%}", justify="right"),
                Text(share_bar(share), style="cyan"),
            )
