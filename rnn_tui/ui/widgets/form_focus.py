"""Focus in the form: the focused field's label lights up, its help shows, it stays in view,
and ctrl+o jumps to any field by name."""

from __future__ import annotations

from typing import Any

from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Static

from rnn_tui.config import FIELDS, SWEEPABLE
from rnn_tui.ui.widgets.choice_field import ChoiceField


class FormFocus(VerticalScroll):
    """The focus part of ConfigForm (which builds the fields)."""

    _folded: list[str]

    async def unfold(self, *, expand: bool = False) -> None:
        raise NotImplementedError

    def _widget(self, name: str) -> Input | ChoiceField | None:
        raise NotImplementedError

    def focus(self, scroll_visible: bool = True) -> FormFocus:
        """Focus the first field (the form itself takes no focus)."""
        self.query_one("#preset").focus(scroll_visible)
        return self

    def field_names(self) -> list[str]:
        """Every field the user can reach, in reading order (the preset first)."""
        shown = [name for name in FIELDS if name not in self._folded]
        return ["preset", *shown, *self._folded]

    def action_jump(self) -> None:
        """Open the jump list; the chosen field gets focus (its section opens if folded)."""
        from rnn_tui.ui.widgets.field_jump import JumpScreen

        async def chosen(name: str | None) -> None:
            if name:
                await self.focus_field(name)

        self.app.push_screen(JumpScreen(self.field_names()), chosen)

    async def focus_field(self, name: str) -> None:
        """Focus a field by name, building and opening the folded section when needed."""
        if name in self._folded:
            await self.unfold(expand=True)
        widget = self.query_one("#preset") if name == "preset" else self._widget(name)
        if widget is not None:
            self.call_after_refresh(widget.focus)

    def on_descendant_focus(self, event: Any) -> None:
        widget = event.widget
        widget_id = widget.id or ""
        name = "preset" if widget_id == "preset" else widget_id.removeprefix("field-")
        for label in self.query(".field-label.-focused"):
            label.remove_class("-focused")
        labels = self.query(f"#label-{name}")
        if labels:
            labels.first().add_class("-focused")
        self.call_after_refresh(self._keep_in_view, widget)
        if widget_id.startswith("field-"):
            spec = FIELDS.get(widget_id.removeprefix("field-"))
            if spec is not None:
                sweep = "; a,b,… sweeps" if spec.name in SWEEPABLE and not spec.choices else ""
                self.query_one("#field-help", Static).update(f"{spec.name}: {spec.help}{sweep}")

    def _keep_in_view(self, widget: Widget) -> None:
        """Scroll the focused field above the help line docked at the form's bottom (Textual
        scrolls it into the form's region, which the help line covers the last row of)."""
        if self.app.focused is not widget:
            return
        help_line = self.query_one("#field-help")
        hidden = widget.region.bottom - help_line.region.y
        if hidden > 0:
            self.scroll_relative(y=hidden, animate=False, immediate=True)

    def on_descendant_blur(self, event: Any) -> None:
        # Only the blurred field's label: the next field's focus may have been handled first.
        widget_id = event.widget.id or ""
        name = "preset" if widget_id == "preset" else widget_id.removeprefix("field-")
        if self.app.focused is not event.widget:
            for label in self.query(f"#label-{name}"):
                label.remove_class("-focused")
