"""Jump to a field: one key opens a list of the form's fields, each with a one-key hint.

Like posting's jump mode: ctrl+o, then the field's hint, so any field of the form is two
keystrokes away however far down it is. Escape (or any key without a field) closes it.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import ModalScreen
from textual.widgets import Static

from rnn_tui.ui.widgets.key_order import KeysInOrder, keys_are_held

HINT_KEYS = string.ascii_lowercase + string.digits


def jump_hints(names: Sequence[str]) -> dict[str, str]:
    """hint key -> field name, in reading order; at most len(HINT_KEYS) fields get one."""
    return dict(zip(HINT_KEYS, names, strict=False))


class JumpScreen(KeysInOrder, ModalScreen[str | None]):
    """Shows `hint name` for every choice; dismisses with the chosen name (None: closed).

    The form's fields by default; the Runs screen lists its columns with it to sort by one.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close", id="jump.close"),
    ]

    DEFAULT_CSS = """
    JumpScreen {
        align: center middle;
        #jump-grid {
            grid-size: 3;
            grid-gutter: 0 2;
            grid-rows: 1;
            width: 72;
            max-width: 100%;
            height: auto;
            max-height: 100%;
            padding: 0 1;
            border: round $accent;
            border-title-color: $accent;
            background: $surface;
        }
        .jump-item {
            width: 1fr;
            height: 1;
        }
    }
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        title: str = "jump to a field: press its key (esc closes)",
        hints: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.hints = hints if hints is not None else jump_hints(names)
        self.labels = labels or {}
        self.title_text = title

    def compose(self) -> ComposeResult:
        grid = Grid(id="jump-grid")
        grid.border_title = self.title_text
        with grid:
            for key, name in self.hints.items():
                shown = self.labels.get(name, name)
                label = Text.assemble((f" {key} ", "reverse bold"), " ", shown)
                yield Static(label, classes="jump-item", markup=False)

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" or keys_are_held(self.app) or self.app.screen is not self:
            return  # escape is a binding; KeysInOrder hands a held key on in its turn
        event.stop()
        event.prevent_default()
        self.dismiss(self.hints.get(event.character or ""))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
