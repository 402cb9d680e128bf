"""The form's field rules: one field's error, the configs (a sweep) its texts stand for,
how a value is written back, and which fields sit folded."""

from __future__ import annotations

from typing import Any

from rnn_tui.config import FIELDS, SWEEPABLE, parse_value, value_error
from rnn_tui.runs.sweep import build_configs, split_sweep

__all__ = ["build_configs", "field_error", "folded_fields", "folded_title", "format_value"]

MODEL_FIELDS = ("cell", "layers", "hidden", "embedding")
# The group whose fields, but for SHOWN_IN_FOLDED_GROUP, sit in a collapsed section.
FOLDED_GROUP = "Run"
SHOWN_IN_FOLDED_GROUP = ("epochs",)


def field_error(name: str, text: str) -> str | None:
    """The problem with one field's text, as the engine words it; None when it is fine.

    A sweepable field may hold a comma-separated list; each item is checked and a bad
    one is named ("'abc': must be a whole number").
    """
    parts = split_sweep(text) if name in SWEEPABLE else [text]
    listed = len(parts) > 1
    if listed and any(part == "" for part in parts):
        return "has an empty item in its list"
    for part in parts:
        try:
            message = value_error(name, parse_value(name, part))
        except ValueError as exc:
            message = str(exc)
        if message:
            return f"{part!r}: {message}" if listed else message
    return None


def format_value(value: Any) -> str:
    """A field value as the form shows it: '' for None, 1.0 as '1', else str()."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def folded_fields() -> list[str]:
    """The fields built only when the collapsed section is opened."""
    return [
        name
        for name, spec in FIELDS.items()
        if spec.group == FOLDED_GROUP and name not in SHOWN_IN_FOLDED_GROUP
    ]


def folded_title(folded: list[str]) -> str:
    """The collapsed section's title: how many fields it holds, the first few by name."""
    names = [name.replace("_", " ") for name in folded]
    return (
        f"{len(names)} more: {', '.join(names[:3])}, …"
        if len(names) > 3
        else (f"more: {', '.join(names)}")
    )
