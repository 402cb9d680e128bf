"""ChoiceField: a one-line choice among a few strings, lighter than Textual's Select.

A Select is three widgets (the current value, an overlay and its option list) and lets
letters it does not use bubble up to the screen's bindings, so typing a path while it had
focus could start a run. A ChoiceField is one widget that renders `‹ value ›`; left/right
(or space, enter, or a click) step through the choices, and every printable key stops here.
A letter changes nothing (picking by first letter turned preprocess into `raw` unseen while
a path was typed into the wrong field): it shows how to change the choice instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from rnn_tui.ui.widgets.key_order import forward_paste, run_in_order

CHANGE_HINT = "  ←/→ or space to change"


class ChoiceField(Widget, can_focus=True):
    """One of `choices`, or None when `prompt` is given and nothing is chosen yet."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,space,enter", "step(1)", "Next choice", show=False, id="choice.next"),
        Binding("left", "step(-1)", "Previous choice", show=False, id="choice.previous"),
    ]

    DEFAULT_CSS = """
    ChoiceField {
        height: 1;
        width: 1fr;
        background: $surface;
        color: $text;
        &:focus {
            background: $accent 25%;
            text-style: bold;
        }
        & > .choice-field--prompt {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"choice-field--prompt"}

    value: reactive[str | None] = reactive(None, init=False)
    # A letter was typed here: the field says how it changes, until it changes or loses focus.
    hinting: reactive[bool] = reactive(False, init=False)

    @dataclass
    class Changed(Message):
        """The chosen value changed (by the user or by code)."""

        choice_field: ChoiceField
        value: str | None

        @property
        def control(self) -> ChoiceField:
            return self.choice_field

    def __init__(
        self,
        choices: Sequence[str],
        *,
        value: str | None = None,
        prompt: str | None = None,
        tooltip: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's spelling
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        if not choices:
            raise ValueError("a ChoiceField needs at least one choice")
        self.choices = tuple(choices)
        self.prompt = prompt
        if value not in self.choices:
            value = None if prompt is not None else self.choices[0]
        self.set_reactive(ChoiceField.value, value)
        if tooltip:
            self.tooltip = tooltip

    def render(self) -> Text:
        if self.value is None:
            style = self.get_component_rich_style("choice-field--prompt", partial=True)
            text = Text(f"‹ {self.prompt or ''} ›", style=style, no_wrap=True, end="")
        else:
            text = Text(f"‹ {self.value} ›", no_wrap=True, end="")
        if self.hinting:
            text.append(CHANGE_HINT, style=self.get_component_rich_style("choice-field--prompt"))
        return text

    def watch_value(self, value: str | None) -> None:
        self.hinting = False
        self.post_message(self.Changed(self, value))

    def validate_value(self, value: str | None) -> str | None:
        if value is None and self.prompt is not None:
            return None
        return value if value in self.choices else self.choices[0]

    def action_step(self, delta: int) -> None:
        if self.value is None:
            index = 0 if delta > 0 else len(self.choices) - 1
        else:
            index = (self.choices.index(self.value) + delta) % len(self.choices)
        self.value = self.choices[index]

    async def _on_key(self, event: events.Key) -> None:
        # Printable keys end here: a stray letter never reaches a screen's bindings.
        typed = event.is_printable and event.key != "space"
        if await run_in_order(self, event, consumed=typed) or not typed:
            return
        event.stop()
        event.prevent_default()
        self.hinting = True

    def _on_paste(self, event: events.Paste) -> None:
        if forward_paste(self, event):
            return
        event.stop()
        self.hinting = True

    def _on_blur(self, event: events.Blur) -> None:
        self.hinting = False

    def _on_click(self, event: events.Click) -> None:
        event.stop()
        self.focus()
        self.action_step(1)
