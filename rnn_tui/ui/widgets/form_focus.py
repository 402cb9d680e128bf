"""Focus in the form: the focused field's label lights up, its help shows, and it stays in
view above the help line. Functions of the form (rnn_tui.ui.widgets.config_form), which
calls them from its focus events; ctrl+o (jump to a field) is the form's own action."""

from __future__ import annotations

from textual.containers import ScrollableContainer
from textual.widget import Widget
from textual.widgets import Static

from rnn_tui.config import FIELDS, SWEEPABLE


def field_name(widget: Widget) -> str:
    """The form field a widget edits ('preset' for the preset chooser)."""
    widget_id = widget.id or ""
    return "preset" if widget_id == "preset" else widget_id.removeprefix("field-")


def field_focused(form: ScrollableContainer, widget: Widget) -> None:
    """Light the field's label, show its help, and keep it in view."""
    name = field_name(widget)
    for label in form.query(".field-label.-focused"):
        label.remove_class("-focused")
    labels = form.query(f"#label-{name}")
    if labels:
        labels.first().add_class("-focused")
    form.call_after_refresh(keep_in_view, form, widget)
    if (widget.id or "").startswith("field-"):
        spec = FIELDS.get(name)
        if spec is not None:
            sweep = "; a,b,… sweeps" if spec.name in SWEEPABLE and not spec.choices else ""
            form.query_one("#field-help", Static).update(f"{spec.name}: {spec.help}{sweep}")


def field_blurred(form: ScrollableContainer, widget: Widget) -> None:
    # Only the blurred field's label: the next field's focus may have been handled first.
    if form.app.focused is not widget:
        for label in form.query(f"#label-{field_name(widget)}"):
            label.remove_class("-focused")


def keep_in_view(form: ScrollableContainer, widget: Widget) -> None:
    """Scroll the focused field above the help line docked at the form's bottom (Textual
    scrolls it into the form's region, which the help line covers the last row of)."""
    if form.app.focused is not widget:
        return
    help_line = form.query_one("#field-help")
    hidden = widget.region.bottom - help_line.region.y
    if hidden > 0:
        form.scroll_relative(y=hidden, animate=False, immediate=True)
