"""The one question quitting asks while a run goes: leave it running, stop it, or cancel."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class QuitScreen(ModalScreen["str | None"]):
    """Asks once before quitting while a run is going: leave it running (the default),
    stop it and quit, or cancel. Dismisses with "leave", "stop" or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l,enter", "answer('leave')", "Leave it running", id="quit.leave"),
        Binding("s", "answer('stop')", "Stop and quit", id="quit.stop"),
        Binding("c,escape", "answer(None)", "Cancel", id="quit.cancel"),
    ]

    DEFAULT_CSS = """
    QuitScreen {
        align: center middle;
        #dialog {
            grid-size: 3;
            grid-gutter: 1 2;
            grid-rows: auto 1;
            padding: 1 2;
            width: 76;
            max-width: 95%;
            height: auto;
            border: thick $warning;
            background: $surface;
        }
        #question {
            column-span: 3;
            width: 1fr;
        }
        Button {
            width: 1fr;
        }
    }
    """

    def __init__(self, run_id: int | None = None) -> None:
        super().__init__()
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        which = f"Run {self.run_id}" if self.run_id is not None else "A run"
        with Grid(id="dialog"):
            yield Label(
                f"{which} is going. It can go on without this window "
                "(follow it later with rnn-tui runs watch), or stop now and save its checkpoint.",
                id="question",
            )
            yield Button("Leave it running (l)", variant="primary", id="leave", compact=True)
            yield Button("Stop and quit (s)", variant="warning", id="stop", compact=True)
            yield Button("Cancel (c)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#leave", Button).focus()

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id if event.button.id in ("leave", "stop") else None)
