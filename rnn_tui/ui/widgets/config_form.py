"""ConfigForm: every TrainConfig field, grouped, validated as the user types.

The fields come from `config.FIELDS` (group, help, choices, bounds), so a new
hyperparameter shows up here without touching this file. Numeric and other sweepable
fields take a comma-separated list ("128,256"): the form then stands for the cross
product of the lists, a sweep, exactly as `rnn-tui train --hidden 128,256` does.

The live "parameters: N" figure needs the vocabulary size of the current corpus after
preprocessing; the ParamCount widget measures it once per (corpus, preprocess) in a thread
worker (reading a large text file is slow) and caches it (form_params.py). Focus (the lit
label, the help line) is form_focus.py's.

The form is the Train screen's first frame, so it is built lean: one Grid of label and
field cells (no container per row), an error line mounted under a field only once it has
a problem, and the less-used Run fields (all but epochs) in a collapsed section whose
widgets are built when it is first opened. The fields below the form's visible rows
(`visible_rows`, the screen's estimate) are mounted right after the first frame
(form_fold.py). The form's values live in `_texts`, so a field that has no widget yet still
has a value, and `values()` never queries widgets.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Label, Static

from rnn_tui.config import FIELDS, PRESETS, TrainConfig
from rnn_tui.errors import ConfigError
from rnn_tui.runs.study import StudySpec
from rnn_tui.ui.state import state_of
from rnn_tui.ui.typed_app import share_form_config
from rnn_tui.ui.widgets.choice_field import ChoiceField
from rnn_tui.ui.widgets.form_cells import field_cells, show_field_error
from rnn_tui.ui.widgets.form_fields import (
    build_configs,
    field_error,
    folded_fields,
    folded_title,
    format_value,
)
from rnn_tui.ui.widgets.form_focus import field_blurred, field_focused
from rnn_tui.ui.widgets.form_fold import Part, split_at_fold
from rnn_tui.ui.widgets.form_params import ParamCount, model_configs
from rnn_tui.ui.widgets.search_group import SearchGroup, check_search, describe


class ConfigForm(VerticalScroll, can_focus=False):
    """The Train screen's form. Read `configs` when `is_valid`; listen for `Changed`.

    The form itself never takes focus (it would be a stop where nothing shows focus); its
    fields do, in reading order, and the focused one is scrolled into view.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "jump", "Jump to field", id="form.jump", show=False),
    ]

    DEFAULT_CSS = """
    ConfigForm {
        padding: 0 1;
        scrollbar-size-vertical: 1;
        /* Focus you can see: an accent bar left of the field, a tint, and its label lit. */
        & Input.-textual-compact, & ChoiceField {
            border-left: outer $surface !important;
        }
        & Input.-textual-compact:focus, & ChoiceField:focus {
            border-left: outer $accent !important;
            background: $accent 25%;
        }
        & .field-label.-focused {
            color: $accent;
            text-style: bold reverse;
        }
        & .form-grid {
            grid-size: 2;
            grid-columns: 15 1fr;  /* the longest name (weight_dropout) and a space */
            grid-rows: auto;
            height: auto;
        }
        & .group-title {
            margin-top: 1;
            color: $primary;
            text-style: bold;
        }
        & .field-label {
            padding-right: 1;
            color: $text-muted;
        }
        & .field-error {
            column-span: 2;
            color: $error;
            padding-left: 15;
        }
        & .field-error.-fixed {
            display: none;
        }
        & #form-message {
            color: $warning;
        }
        & #form-message.-empty {
            display: none;
        }
        & #more {
            margin-top: 1;
            padding: 0;
            border: none;
            background: transparent;
        }
        & #more Contents {
            padding: 0;
        }
        & #field-help {
            dock: bottom;
            height: 1;
            color: $text-muted;
            text-style: italic;
            background: $panel;
        }
    }
    """

    @dataclass
    class Changed(Message):
        """The form's values changed; `form.is_valid` and `form.configs` are current."""

        form: ConfigForm

        @property
        def control(self) -> ConfigForm:
            return self.form

    class Edited(Message):
        """The user changed a field (a preset or a cloned run does not count)."""

    def __init__(
        self,
        config: TrainConfig | None = None,
        *,
        visible_rows: int | None = None,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's spelling
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        initial = config or TrainConfig()
        # Every field's text, as typed: the form's values, whether or not it has a widget.
        self._texts = {name: format_value(getattr(initial, name)) for name in FIELDS}
        self._folded = folded_fields()
        self._unfolded = False  # the collapsed section's widgets are built
        self._visible_rows = visible_rows  # None: build every group before the first frame
        self._later: list[Part] = []  # the fields mounted after the first frame
        self._later_mounting = False
        self._later_mounted = asyncio.Event()
        self._errors: dict[str, str] = {}
        self._configs: list[TrainConfig] = []
        self._shown_errors: dict[str, str] = {}
        self._validated: tuple[dict[str, str], dict[str, str]] | None = None
        self._field_errors: dict[str, str] = {}  # each field's own problem, by its last text
        self.search: StudySpec | None = None  # the search the form stands for, if valid
        self._loading = False

    # -- layout

    def compose(self) -> ComposeResult:
        self._restore_session()
        with Grid(classes="form-grid", id="preset-grid"):
            yield Label("preset", classes="field-label", id="label-preset")
            yield ChoiceField(
                list(PRESETS),
                prompt="fill from a preset",
                id="preset",
                tooltip="fill the form with a preset's values (the corpus is kept)",
            )
        yield ParamCount(id="param-count")
        yield Static("", id="form-message", classes="-empty", markup=False)
        groups: dict[str, list[str]] = {}
        for spec in FIELDS.values():
            if spec.name not in self._folded:
                groups.setdefault(spec.group, []).append(spec.name)
        now, self._later = split_at_fold(groups, self._visible_rows)
        for part in now:
            yield Static(part.group, classes="group-title")
            with Grid(classes="form-grid"):
                for name in part.names:
                    yield from self._field_cells(name)
        if self._later:  # stands in for them: the same height, the same scrollbar
            blank = Static("", id="form-later")
            blank.styles.height = sum(part.rows for part in self._later)
            yield blank
        if self._folded:
            yield Collapsible(title=folded_title(self._folded), collapsed=True, id="more")
        yield SearchGroup(id="search")
        yield Static("tab next field · ctrl+o jump · a,b,… sweeps", id="field-help", markup=False)

    def _restore_session(self) -> None:
        """Start from the values the last session left (the app's settings), where they fit."""
        state = state_of(self.app)
        for name, text in (state.settings.form if state is not None else {}).items():
            spec = FIELDS.get(name)
            if spec is not None and (not spec.choices or text in spec.choices):
                self._texts[name] = text

    def _field_cells(self, name: str) -> list[Widget]:
        return field_cells(name, self._texts[name], self._errors.get(name))

    # -- the collapsed section

    @on(Collapsible.Expanded, "#more")
    async def _more_expanded(self, event: Collapsible.Expanded) -> None:
        event.stop()
        await self.unfold()

    async def unfold(self, *, expand: bool = False) -> None:
        """Build the collapsed section's fields (once); `expand` also opens it."""
        more = self.query_one("#more", Collapsible)
        if expand and more.collapsed:
            more.collapsed = False
        if self._unfolded:
            return
        self._unfolded = True
        cells = [cell for name in self._folded for cell in self._field_cells(name)]
        grid = Grid(*cells, classes="form-grid", id="more-grid")
        await more.query_one(Collapsible.Contents).mount(grid)
        self._shown_errors.update({k: v for k, v in self._errors.items() if k in self._folded})

    def on_mount(self) -> None:
        self._revalidate()
        if self._later:  # the app's "after refresh": after the first frame is painted
            self.app.call_after_refresh(self._mount_later)

    async def _mount_later(self) -> None:
        """Mount the groups below the fold in place of their blank (once)."""
        if self._later_mounting:  # e.g. a jump to one of them while they are mounted
            await self._later_mounted.wait()
            return
        if not self._later or not self.is_attached:
            return
        self._later_mounting = True
        parts = self._later
        widgets: list[Widget] = []
        built: dict[str, str] = {}  # the errors their cells are built with
        for part in parts:
            cells = [cell for name in part.names for cell in self._field_cells(name)]
            built.update({n: self._errors[n] for n in part.names if n in self._errors})
            if part.titled:
                widgets.append(Static(part.group, classes="group-title"))
            widgets.append(Grid(*cells, classes="form-grid"))
        blank = self.query_one("#form-later")
        with self.app.batch_update():
            await self.mount_all(widgets, before=blank)
            await blank.remove()
        self._later = []
        self._later_mounted.set()
        later = {name for part in parts for name in part.names}
        self._shown_errors = {k: v for k, v in self._shown_errors.items() if k not in later} | built
        self._show_errors(self._errors)  # what changed while they were being mounted

    def start_measuring(self) -> None:
        """Let the parameter count measure the vocabulary from now on (the screen calls
        this once its first frame is complete)."""
        self.param_count.start_measuring()

    @property
    def param_count(self) -> ParamCount:
        return self.query_one("#param-count", ParamCount)

    @property
    def param_count_text(self) -> str:
        return self.param_count.text

    def refresh_vocab(self) -> None:
        """Measure the corpus again (after the file changed)."""
        self.param_count.forget_vocab()

    # -- focus (form_focus.py lights the label and shows the help)

    def focus(self, scroll_visible: bool = True) -> ConfigForm:
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
        if any(name in part.names for part in self._later):
            await self._mount_later()
        if name in self._folded:
            await self.unfold(expand=True)
        widget = self.query_one("#preset") if name == "preset" else self._widget(name)
        if widget is not None:
            self.call_after_refresh(widget.focus)

    def on_descendant_focus(self, event: Any) -> None:
        field_focused(self, event.widget)

    def on_descendant_blur(self, event: Any) -> None:
        field_blurred(self, event.widget)

    # -- public API

    def values(self) -> dict[str, str]:
        """Every field's text, as typed (Select fields: the chosen value)."""
        return dict(self._texts)

    @property
    def is_valid(self) -> bool:
        return not self._errors and (bool(self._configs) or self.search is not None)

    @property
    def errors(self) -> dict[str, str]:
        """field -> message for every field with a problem now."""
        return dict(self._errors)

    @property
    def configs(self) -> list[TrainConfig]:
        """The run, or the sweep's runs, the form stands for; empty while invalid."""
        return list(self._configs)

    def error_for(self, name: str) -> str:
        """The message shown under a field ('' when none)."""
        return self._errors.get(name, "")

    def load_config(self, config: TrainConfig) -> None:
        """Fill every field from a config (used by presets and "clone into form")."""
        self.set_values({name: format_value(getattr(config, name)) for name in FIELDS})

    def set_values(self, values: dict[str, str]) -> None:
        """Set some fields' text; unknown names (and unknown choices) are ignored."""
        self._loading = True
        try:
            for name, text in values.items():
                spec = FIELDS.get(name)
                if spec is None or (spec.choices and text not in spec.choices):
                    continue
                self._texts[name] = text
                widget = self._widget(name)
                if widget is not None and widget.value != text:
                    widget.value = text
        finally:
            self._loading = False
        self._revalidate()

    def _widget(self, name: str) -> Input | ChoiceField | None:
        """A field's widget; None while it is in the unopened section or not yet mounted."""
        if not self._built(name):
            return None
        widgets = self.query(f"#field-{name}")
        return widgets.first() if widgets else None  # type: ignore[return-value]

    def _built(self, name: str) -> bool:
        """Whether a field's widget has been built (it may be mounting still)."""
        if name in self._folded:
            return self._unfolded
        return not any(name in part.names for part in self._later)

    def apply_preset(self, name: str) -> None:
        """Overwrite the preset's fields; the others (corpus, seed, ...) stay as typed."""
        if name not in PRESETS:
            raise ConfigError({"preset": f"unknown preset {name!r}; choose {', '.join(PRESETS)}"})
        self.set_values({field: format_value(value) for field, value in PRESETS[name].items()})
        self.app.notify(f"preset {name!r} applied", timeout=2)

    # -- events

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        name = (event.input.id or "").removeprefix("field-")
        if name in self._texts:
            self._texts[name] = event.input.value  # now, not when the event was posted
        if not self._loading:
            if event.input.has_focus:
                self.post_message(self.Edited())
            self._revalidate()

    @on(ChoiceField.Changed)
    def _choice_changed(self, event: ChoiceField.Changed) -> None:
        event.stop()
        if event.choice_field.id == "preset":
            if event.value is not None:
                self.apply_preset(event.value)
            return
        name = (event.choice_field.id or "").removeprefix("field-")
        value = event.choice_field.value
        if name in self._texts and value is not None:
            self._texts[name] = value
        if not self._loading:
            if event.choice_field.has_focus:
                self.post_message(self.Edited())
            self._revalidate()

    # -- validation

    def _revalidate(self, force: bool = False) -> None:
        values = self.values()
        group = self.query_one("#search", SearchGroup)
        search_texts = group.texts()
        if (values, search_texts) == self._validated and not force:
            return  # e.g. the Changed events every Input posts when it is mounted
        before_values = self._validated[0] if self._validated else {}
        self._validated = (values, search_texts)
        # Only the fields whose text changed are checked again (no field's rule reads
        # another's); the cross-field rules and the sweep come with build_configs below.
        for name, text in values.items():
            if force or before_values.get(name) != text:
                message = field_error(name, text)
                if message:
                    self._field_errors[name] = message
                else:
                    self._field_errors.pop(name, None)
        errors = dict(self._field_errors)
        configs: list[TrainConfig] = []
        message = ""
        wanted, self.search, search_errors = check_search(values, search_texts)
        group.show(self.search, search_errors, self)
        if wanted:  # a search: the engine's search rule reads every value, ranges included
            errors = search_errors
            message = describe(self.search) if self.search else errors.get("sweep", "")
        else:
            if not errors:
                try:
                    configs = build_configs(values)
                except ConfigError as exc:
                    errors.update(exc.errors)
                if len(configs) > 1:
                    message = f"sweep: {len(configs)} runs"
        self._errors = errors
        self._configs = configs
        self._show_errors(errors)
        form_message = self.query_one("#form-message", Static)
        form_message.update(message)
        form_message.set_class(not message, "-empty")
        share_form_config(self, configs[0] if configs else None, values)
        self.param_count.show(values, model_configs(values, configs, errors))
        self.post_message(self.Changed(self))

    def _show_errors(self, errors: dict[str, str]) -> None:
        """Mark the fields whose text changed between valid and not, and their error lines.

        An error line is mounted under its field the first time it has a problem, then
        hidden while it has none. A problem in the unopened section opens it.
        """
        changed = [
            name for name in FIELDS if self._shown_errors.get(name, "") != errors.get(name, "")
        ]
        if not changed:
            return
        if not self._unfolded and any(name in errors for name in self._folded):
            self.run_worker(self.unfold(expand=True), group="unfold")  # shows them when built
        for name in changed:
            widget = self._widget(name)
            if widget is not None:
                show_field_error(self, widget, name, errors.get(name, ""))
        self._shown_errors = {k: v for k, v in errors.items() if k in FIELDS and self._built(k)}
