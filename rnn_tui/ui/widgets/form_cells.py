"""A field's cells in the form's grid: its label, its widget (an Input, or a ChoiceField for a
field with choices) and its error line, which is mounted under it the first time it has a
problem and hidden while it has none."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input, Label, Static

from rnn_tui.config import FIELDS, SWEEPABLE
from rnn_tui.ui.widgets.choice_field import ChoiceField
from rnn_tui.ui.widgets.text_field import TextField


def field_cells(name: str, text: str, error: str | None) -> list[Widget]:
    """The label and the widget of a field holding `text`, and its error line if it has one."""
    spec = FIELDS[name]
    widget: Widget
    if spec.choices:
        widget = ChoiceField(
            spec.choices,
            value=text if text in spec.choices else spec.choices[0],
            id=f"field-{name}",
            tooltip=spec.help,
        )
    else:
        sweep = " (a,b,… for a sweep)" if name in SWEEPABLE else ""
        widget = TextField(
            text,
            placeholder=spec.help if spec.optional else "",
            compact=True,
            id=f"field-{name}",
            tooltip=f"{spec.help}{sweep}",
            classes="-invalid" if error else "",
            validate_on=(),  # the form validates and sets -invalid (no restyle per key)
        )
    cells = [Label(name, classes="field-label", id=f"label-{name}"), widget]
    if error:
        cells.append(_error_line(name, error))
    return cells


def _error_line(name: str, message: str) -> Static:
    return Static(message, classes="field-error", id=f"error-{name}", markup=False)


def show_field_error(form: Widget, widget: Input | ChoiceField, name: str, message: str) -> None:
    """Show a field's problem ('' for none) on its widget and in its error line."""
    if isinstance(widget, Input):
        widget.set_class(bool(message), "-invalid")
    lines = form.query(f"#error-{name}")
    if lines:
        line = lines.first(Static)
        line.update(message)
        line.set_class(not message, "-fixed")
    elif message and widget.parent is not None:
        widget.parent.mount(_error_line(name, message), after=widget)
