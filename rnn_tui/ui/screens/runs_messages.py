"""What other screens ask of the Runs screen, as messages (no screen imports another)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App


class MarkRuns(Message):
    """Mark exactly these runs in the Runs screen, whose chart overlays their curves (a
    sweep's or a study's runs)."""

    def __init__(self, run_ids: list[int]) -> None:
        super().__init__()
        self.run_ids = run_ids


async def overlay_in_runs(app: App, run_ids: list[int]) -> None:
    """Show the Runs screen (its mode) with these runs marked."""
    await app.switch_mode("runs")
    app.screen.post_message(MarkRuns(run_ids))
