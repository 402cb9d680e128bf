"""The app's two small modals: one question with a few answers, and one line of text.

Every yes/no (delete a run, stop a run, quit while a run goes, start a large sweep) is a
`ConfirmModal`; rename and tags are a `TextPrompt`. Escape always cancels: it dismisses with
None and never does more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from rnn_tui.ui.widgets.key_order import KeysInOrder, keys_are_held
from rnn_tui.ui.widgets.text_field import TextField


@dataclass(frozen=True)
class Answer:
    """One button: `key` answers it from the keyboard, `value` is what the modal returns."""

    key: str
    label: str
    value: Any
    variant: str = "default"  # a Button variant: default, primary, success, warning, error


class ConfirmModal(KeysInOrder, ModalScreen[Any]):
    """A question and its answers as buttons; the first answer has the focus (enter takes it).

    Dismisses with the chosen answer's value, or None on escape.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    DEFAULT_CSS = """
    ConfirmModal {
        align: center middle;
        #dialog {
            grid-gutter: 1 2;
            grid-rows: auto 1;
            padding: 1 2;
            width: 76;
            max-width: 95%;
            height: auto;
            border: thick $warning;
            background: $surface;
        }
        &.-danger #dialog { border: thick $error; }
        #question { width: 1fr; }
        Button { width: 1fr; }
    }
    """

    def __init__(self, question: str, answers: list[Answer], *, danger: bool = False) -> None:
        super().__init__(classes="-danger" if danger else "")
        if not answers:
            raise ValueError("a question needs at least one answer")
        self.question = question
        self.answers = answers

    def compose(self) -> ComposeResult:
        with Grid(id="dialog") as grid:
            grid.styles.grid_size_columns = len(self.answers)
            question = Label(self.question, id="question", markup=False)
            question.styles.column_span = len(self.answers)
            yield question
            for index, answer in enumerate(self.answers):
                yield Button(
                    f"{answer.label} ({answer.key})",
                    variant=answer.variant,  # type: ignore[arg-type]
                    id=f"answer-{index}",
                    compact=True,
                )

    def on_mount(self) -> None:
        self.query_one("#answer-0", Button).focus()

    def on_key(self, event: Any) -> None:
        if keys_are_held(self.app) or self.app.screen is not self:
            return  # KeysInOrder hands it on in its turn
        for answer in self.answers:
            if event.key == answer.key:
                event.stop()
                event.prevent_default()  # not KeysInOrder's too: it would hand it on
                self.dismiss(answer.value)
                return

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        index = int(str(event.button.id).rsplit("-", 1)[1])
        self.dismiss(self.answers[index].value)


def yes_no(question: str, yes: str, no: str, *, danger: bool = True) -> ConfirmModal:
    """A two-answer question: `no` (the safe answer, focused) returns False, `yes` True."""
    yes_variant = "error" if danger else "warning"
    answers = [Answer("n", no, False, "primary"), Answer("y", yes, True, yes_variant)]
    return ConfirmModal(question, answers, danger=danger)


class TextPrompt(KeysInOrder, ModalScreen["str | None"]):
    """One line of text (rename, tags); enter saves, escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    DEFAULT_CSS = """
    TextPrompt {
        align: center middle;
        #prompt-dialog {
            width: 64;
            max-width: 96%;
            height: auto;
            padding: 0 1;
            border: thick $primary;
            background: $surface;
        }
        #prompt-title { text-style: bold; }
        #prompt-hint { color: $text-muted; }
    }
    """

    def __init__(self, title: str, value: str = "", hint: str = "") -> None:
        super().__init__()
        self.prompt_title = title
        self.value = value
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog"):
            yield Label(self.prompt_title, id="prompt-title", markup=False)
            yield TextField(self.value, id="prompt-input")
            yield Static(self.hint or "enter saves · escape cancels", id="prompt-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
