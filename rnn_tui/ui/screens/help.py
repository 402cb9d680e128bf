"""Help screen (F1 or ?): every key of the app and of the screen it was opened from.

The list is read from the live bindings (with the user's keymap applied), never from a
copy kept here, so it cannot drift from what the keys really do.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from rnn_tui.ui.widgets.key_order import KeysInOrder

INTRO = (
    "F2–F6 switch screens; ctrl+p searches every command, preset and theme. "
    "Letter keys act when no text field has focus: escape leaves a field, enter submits it."
)

SCREEN_NAMES = {
    "TrainScreen": "Train",
    "SampleScreen": "Sample",
    "ParamsScreen": "Parameters",
    "RunsScreen": "Runs",
    "SweepsScreen": "Sweeps",
}


def screen_title(screen: Screen) -> str:
    name = type(screen).__name__
    return SCREEN_NAMES.get(name, name.removesuffix("Screen") or name)


def bindings_of(screen: Screen, node: DOMNode) -> list[Binding]:
    """The bindings `node` holds among the screen's active ones (the keymap applied, keys a
    priority binding or the focused field takes first left out)."""
    return [active.binding for active in screen.active_bindings.values() if active.node is node]


def describe(binding: Binding) -> str:
    if binding.description:
        return binding.description
    action = binding.action.split(".")[-1].split("(")[0]
    return action.replace("_", " ").capitalize()


# Modifiers no terminal sends over SSH (the desktop takes them): such keys are not listed.
UNSENDABLE_MODIFIERS = ("super+", "hyper+")


def help_rows(bindings: list[Binding], app: App) -> list[tuple[str, str]]:
    """(keys, description) per action: keys bound to the same action share one row."""
    rows: dict[tuple[str, str], list[str]] = {}
    for binding in bindings:
        if binding.key.startswith(UNSENDABLE_MODIFIERS):
            continue
        group = (binding.action, describe(binding))
        key = app.get_key_display(binding)
        keys = rows.setdefault(group, [])
        if key not in keys:
            keys.append(key)
    return [(" / ".join(keys), description) for (_action, description), keys in rows.items()]


class HelpScreen(KeysInOrder, ModalScreen[None]):
    """A list of keys over the screen it was opened from; escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "close", "Close", id="help.close"),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
        #help-dialog {
            width: 90;
            max-width: 95%;
            height: auto;
            max-height: 95%;
            padding: 0 1;
            background: $panel;
            border: round $primary;
            border-title-color: $primary;
            border-title-style: bold;
            border-subtitle-color: $text-muted;
        }
        #help-intro { height: auto; margin-bottom: 1; color: $text-muted; }
        #help-keys { height: auto; max-height: 70vh; background: $panel; }
    }
    """

    def __init__(self, target: Screen | None = None) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(INTRO, id="help-intro")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        target = self.target or self.app.screen_stack[max(len(self.app.screen_stack) - 2, 0)]
        dialog = self.query_one("#help-dialog")
        dialog.border_title = f"Keys · {screen_title(target)}"
        dialog.border_subtitle = "escape closes"
        table = self.query_one(DataTable)
        table.add_column("key", key="key")
        table.add_column("what it does", key="action")
        sections = [(f"On the {screen_title(target)} screen", target), ("Everywhere", self.app)]
        for title, node in sections:
            rows = help_rows(bindings_of(target, node), self.app)
            if not rows:
                continue
            table.add_row(Text(title, style="bold"), "", key=f"section:{title}")
            for keys, description in rows:
                table.add_row(Text(keys, style="bold"), description)
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def key_lines(self) -> list[str]:
        """The table as "keys  description" lines (for tests and debugging)."""
        table = self.query_one(DataTable)
        lines = []
        for row_key in table.rows:
            keys, description = table.get_row(row_key)
            lines.append(f"{keys}  {description}".strip())
        return lines
