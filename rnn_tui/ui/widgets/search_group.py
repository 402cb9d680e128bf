"""The Train form's folded Search group: sampler, pruner and trials, built from the engine's
SEARCH_FIELDS as the other fields are from the config's. With a sampler, a pruner, a trial
count or a range in a field (hidden 64..512, lr 1e-4..1e-2:log) the form stands for a
search, validated by the engine's rule (runs.search_spec, which reads ranges with
runs.space): the same words as the flags, one line under the field.
"""

from __future__ import annotations

from typing import Any

from textual.containers import Grid
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Label

from rnn_tui.config import FieldSpec
from rnn_tui.errors import ConfigError
from rnn_tui.plural import plural
from rnn_tui.runs.search_spec import (
    SEARCH_FIELDS,
    SearchOptions,
    search_spec,
    search_wanted,
)
from rnn_tui.runs.study import StudySpec
from rnn_tui.ui.widgets.choice_field import ChoiceField
from rnn_tui.ui.widgets.form_cells import show_field_error

PREFIX = "search-"  # widget ids: search-sampler, label-search-sampler, error-search-sampler
OFF_TITLE = "Search: off (or a range: 64..512)"


def check_search(
    values: dict[str, str], texts: dict[str, str]
) -> tuple[bool, StudySpec | None, dict[str, str]]:
    """(wanted, spec, errors by field) for the form's values and the group's texts: wanted
    is False for a plain run or a comma-list sweep."""
    try:
        options = SearchOptions.from_strings(texts)
    except ConfigError as exc:
        return True, None, dict(exc.errors)
    if not search_wanted(values, options):
        return False, None, {}
    try:
        return True, search_spec(values, options), {}
    except ConfigError as exc:
        return True, None, dict(exc.errors)


def describe(spec: StudySpec) -> str:
    space = spec.search_space()
    searched = [f"{k} {','.join(v)}" for k, v in space.choices.items()]
    searched += [f"{k} {r.text()}" for k, r in space.ranges.items()]
    return (
        f"search: {spec.sampler}, pruner {spec.pruner}, {plural(spec.trials, 'trial')} "
        f"over {', '.join(searched)}"
    )


def _cells(spec: FieldSpec, text: str) -> list[Widget]:
    widget: Widget
    if spec.choices:
        value = text if text in spec.choices else spec.choices[0]
        widget = ChoiceField(spec.choices, value=value, id=PREFIX + spec.name, tooltip=spec.help)
    else:
        widget = Input(
            text, placeholder="auto", compact=True, id=PREFIX + spec.name, tooltip=spec.help,
            validate_on=(),
        )  # fmt: skip
    return [Label(spec.name, classes="field-label", id=f"label-{PREFIX}{spec.name}"), widget]


class SearchGroup(Collapsible):
    """Folded until opened; its texts are read by the form on every change."""

    DEFAULT_CSS = """
    SearchGroup {
        margin-top: 1;
        padding: 0;
        border: none;
        background: transparent;
        & Contents { padding: 0; }
    }
    """

    def __init__(self, texts: dict[str, str] | None = None, **kwargs: Any) -> None:
        given = texts or {}
        cells = [c for spec in SEARCH_FIELDS for c in _cells(spec, given.get(spec.name, ""))]
        super().__init__(
            Grid(*cells, classes="form-grid"), title=OFF_TITLE, collapsed=True, **kwargs
        )

    def texts(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for spec in SEARCH_FIELDS:
            widget = self.query_one(f"#{PREFIX}{spec.name}")
            value = widget.value if isinstance(widget, ChoiceField | Input) else ""
            found[spec.name] = value or ""
        return found

    def show(self, spec: StudySpec | None, errors: dict[str, str], form: Widget) -> None:
        """The title says the search (or off); each field's error line says its problem."""
        self.title = describe(spec) if spec is not None else OFF_TITLE
        for field in SEARCH_FIELDS:
            widget = self.query_one(f"#{PREFIX}{field.name}")
            assert isinstance(widget, ChoiceField | Input)
            show_field_error(form, widget, PREFIX + field.name, errors.get(field.name, ""))
        if any(field.name in errors for field in SEARCH_FIELDS):
            self.collapsed = False

    def open(self) -> None:
        """Unfold and focus the sampler."""
        self.collapsed = False
        self.call_after_refresh(self.query_one(f"#{PREFIX}sampler").focus)
