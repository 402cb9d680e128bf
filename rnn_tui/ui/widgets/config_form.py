"""ConfigForm: every TrainConfig field, grouped, validated as the user types.

The fields come from `config.FIELDS` (group, help, choices, bounds), so a new
hyperparameter shows up here without touching this file. Numeric and other sweepable
fields take a comma-separated list ("128,256"): the form then stands for the cross
product of the lists, a sweep, exactly as `rnn-tui train --hidden 128,256` does.

The live "parameters: N" figure needs the vocabulary size of the current corpus after
preprocessing; it is measured once per (corpus, preprocess, file version) in a thread
worker (reading a large text file is slow) and cached.

The form is the Train screen's first frame, so it is built lean: one Grid of label and
field cells (no container per row), an error line mounted under a field only once it has
a problem, and the less-used Run fields (all but epochs) in a collapsed section whose
widgets are built when it is first opened. The form's values live in `_texts`, so a
field that has no widget yet still has a value, and `values()` never queries widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Label, Static

from rnn_tui.config import (
    FIELDS,
    PRESETS,
    SWEEPABLE,
    TrainConfig,
    parse_value,
)
from rnn_tui.errors import ConfigError, RnnTuiError
from rnn_tui.params import report_for_config
from rnn_tui.sweep import build_configs, split_sweep
from rnn_tui.ui.widgets.choice_field import ChoiceField

MAX_SWEEP_RUNS = 64
MODEL_FIELDS = ("cell", "layers", "hidden", "embedding")
# The group whose fields, but for SHOWN_IN_FOLDED_GROUP, sit in a collapsed section.
FOLDED_GROUP = "Run"
SHOWN_IN_FOLDED_GROUP = ("epochs",)

# (corpus, preprocess) -> vocabulary size, or the reason it is unknown. Shared by every form.
_VOCAB_SIZES: dict[tuple[str | None, str], int | str] = {}


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
            value = parse_value(name, part)
            message = TrainConfig().replace(**{name: value}).validate().get(name)
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


@dataclass
class VocabMeasured(Message):
    key: tuple[str | None, str]
    result: int | str  # the size, or why it is unknown


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
            grid-columns: 14 1fr;
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
            padding-left: 14;
        }
        & .field-error.-fixed {
            display: none;
        }
        & #param-count {
            color: $accent;
            text-style: bold;
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

    def __init__(
        self,
        config: TrainConfig | None = None,
        *,
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
        self._errors: dict[str, str] = {}
        self._configs: list[TrainConfig] = []
        self._shown_errors: dict[str, str] = {}
        self._pending_vocab: tuple[str | None, str] | None = None
        self._validated: dict[str, str] | None = None
        self._may_measure = False
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
        yield Static("parameters: …", id="param-count", markup=False)
        yield Static("", id="form-message", classes="-empty", markup=False)
        groups: dict[str, list[str]] = {}
        for spec in FIELDS.values():
            if spec.name not in self._folded:
                groups.setdefault(spec.group, []).append(spec.name)
        for group, names in groups.items():
            yield Static(group, classes="group-title")
            with Grid(classes="form-grid"):
                for name in names:
                    yield from self._field_cells(name)
        if self._folded:
            yield Collapsible(title=self._folded_title(), collapsed=True, id="more")
        yield Static("tab: next field · ctrl+o: jump to a field · a,b,… sweeps", id="field-help")

    def _restore_session(self) -> None:
        """Start from the values the last session left (app.settings), where they fit."""
        settings = getattr(self.app, "settings", None)
        for name, text in (settings.form if settings is not None else {}).items():
            spec = FIELDS.get(name)
            if spec is not None and (not spec.choices or text in spec.choices):
                self._texts[name] = text

    def _folded_title(self) -> str:
        names = [name.replace("_", " ") for name in self._folded]
        return (
            f"{len(names)} more: {', '.join(names[:3])}, …"
            if len(names) > 3
            else (f"more: {', '.join(names)}")
        )

    def _field_cells(self, name: str) -> ComposeResult:
        """A field's label and widget (two grid cells), and its error line if it has one."""
        spec = FIELDS[name]
        value = self._texts[name]
        widget: Widget
        if spec.choices:
            widget = ChoiceField(
                spec.choices,
                value=value if value in spec.choices else spec.choices[0],
                id=f"field-{name}",
                tooltip=spec.help,
            )
        else:
            sweep = " (a,b,… for a sweep)" if name in SWEEPABLE else ""
            widget = Input(
                value,
                placeholder=spec.help if spec.optional else "",
                compact=True,
                id=f"field-{name}",
                tooltip=f"{spec.help}{sweep}",
                classes="-invalid" if name in self._errors else "",
                validate_on=(),  # the form validates and sets -invalid (no restyle per key)
            )
        yield Label(name, classes="field-label", id=f"label-{name}")
        yield widget
        if name in self._errors:
            yield Static(
                self._errors[name], classes="field-error", id=f"error-{name}", markup=False
            )

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

    def start_measuring(self) -> None:
        """Allow the vocabulary to be measured from now on (and measure it now).

        Measuring imports torch in a thread, which holds the GIL for most of a second:
        the screen calls this once its first frame is complete, so the import does not
        delay it.
        """
        if not self._may_measure:
            self._may_measure = True
            self._update_params(self.values())

    # -- public API

    def values(self) -> dict[str, str]:
        """Every field's text, as typed (Select fields: the chosen value)."""
        return dict(self._texts)

    @property
    def is_valid(self) -> bool:
        return not self._errors and bool(self._configs)

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
        """A field's widget; None while it is in the unopened section."""
        if name in self._folded and not self._unfolded:
            return None
        widgets = self.query(f"#field-{name}")
        return widgets.first() if widgets else None  # type: ignore[return-value]

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
            self._revalidate()

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

    # -- validation

    def _revalidate(self, force: bool = False) -> None:
        values = self.values()
        if values == self._validated and not force:
            return  # e.g. the Changed events every Input posts when it is mounted
        self._validated = values
        errors: dict[str, str] = {}
        for name, text in values.items():
            message = field_error(name, text)
            if message:
                errors[name] = message
        configs: list[TrainConfig] = []
        message = ""
        if not errors:
            try:
                configs = build_configs(values)
            except ConfigError as exc:
                errors.update(exc.errors)
            if len(configs) > MAX_SWEEP_RUNS:
                message = f"a sweep of {len(configs)} runs: at most {MAX_SWEEP_RUNS}"
                configs = []
            elif len(configs) > 1:
                message = f"sweep: {len(configs)} runs"
        self._errors = errors
        self._configs = configs
        self._show_errors(errors)
        form_message = self.query_one("#form-message", Static)
        form_message.update(message)
        form_message.set_class(not message, "-empty")
        if configs and hasattr(self.app, "form_config"):
            self.app.form_config = configs[0]
        settings = getattr(self.app, "settings", None)
        if settings is not None:
            settings.form = values  # saved when the app exits
        self._update_params(values)
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
            if widget is None:
                continue
            message = errors.get(name, "")
            if isinstance(widget, Input):
                widget.set_class(bool(message), "-invalid")
            labels = self.query(f"#error-{name}")
            if labels:
                label = labels.first(Static)
                label.update(message)
                label.set_class(not message, "-fixed")
            elif message and widget.parent is not None:
                error = Static(message, classes="field-error", id=f"error-{name}", markup=False)
                widget.parent.mount(error, after=widget)
        self._shown_errors = {
            k: v
            for k, v in errors.items()
            if k in FIELDS and (k not in self._folded or self._unfolded)
        }

    # -- parameter count

    def _model_configs(self, values: dict[str, str]) -> list[TrainConfig] | None:
        """The distinct model shapes of the form (a sweep may hold several); None if invalid."""
        if self._configs:
            return self._configs
        if any(name in self._errors for name in MODEL_FIELDS):
            return None
        try:
            return build_configs({name: values[name] for name in MODEL_FIELDS})
        except RnnTuiError:
            return None

    def _update_params(self, values: dict[str, str]) -> None:
        label = self.query_one("#param-count", Static)
        configs = self._model_configs(values)
        if configs is None:
            label.update("parameters: – (fix the model fields)")
            return
        corpus = values.get("corpus", "").strip() or None
        mode = values.get("preprocess") or "clean"
        key = (corpus, mode)
        size = _VOCAB_SIZES.get(key)
        if size is None:
            label.update("parameters: …")
            if self._may_measure and self._pending_vocab != key:
                self._pending_vocab = key
                self._measure_vocab(key)
            return
        if isinstance(size, str):
            label.update(f"parameters: … ({size})")
            return
        counts = sorted({report_for_config(c, size).total_pytorch for c in configs})
        text = f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,} – {counts[-1]:,}"
        label.update(f"parameters: {text}  (vocab {size})")

    @property
    def param_count_text(self) -> str:
        return str(self.query_one("#param-count", Static).render())

    def refresh_vocab(self) -> None:
        """Measure the corpus again (after the file changed)."""
        _VOCAB_SIZES.pop(self._current_vocab_key(), None)
        self._pending_vocab = None
        self._update_params(self.values())

    def _current_vocab_key(self) -> tuple[str | None, str]:
        values = self.values()
        return (values.get("corpus", "").strip() or None, values.get("preprocess") or "clean")

    @work(thread=True, exclusive=True, group="vocab", exit_on_error=False)
    def _measure_vocab(self, key: tuple[str | None, str]) -> None:
        from rnn_tui.corpus import vocab_size  # reads the file; never imports torch

        try:
            result: int | str = vocab_size(*key)
        except RnnTuiError as exc:
            result = str(exc)
        except OSError as exc:
            result = exc.strerror or str(exc)
        self.post_message(VocabMeasured(key, result))

    def on_vocab_measured(self, message: VocabMeasured) -> None:
        message.stop()
        _VOCAB_SIZES[message.key] = message.result
        if self._pending_vocab == message.key:
            self._pending_vocab = None
        if self.is_mounted:
            self._update_params(self.values())
