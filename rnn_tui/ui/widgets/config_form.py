"""ConfigForm: every TrainConfig field, grouped, validated as the user types.

The fields come from `config.FIELDS` (group, help, choices, bounds), so a new
hyperparameter shows up here without touching this file. Numeric and other sweepable
fields take a comma-separated list ("128,256"): the form then stands for the cross
product of the lists, a sweep, exactly as `rnn-tui train --hidden 128,256` does.

The live "parameters: N" figure needs the vocabulary size of the current corpus after
preprocessing; it is measured once per (corpus, preprocess, file version) in a thread
worker (reading a text file is slow, and rnn_tui.corpus imports torch) and cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from rnn_tui.config import (
    FIELDS,
    PRESETS,
    SWEEPABLE,
    TrainConfig,
    expand_sweep,
    from_strings,
    parse_value,
    split_sweep,
)
from rnn_tui.errors import ConfigError, RnnTuiError
from rnn_tui.params import report_for_config

MAX_SWEEP_RUNS = 64
MODEL_FIELDS = ("cell", "layers", "hidden", "embedding")

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


def build_configs(values: dict[str, str]) -> list[TrainConfig]:
    """The run (or the sweep's runs) a form's values stand for; raises ConfigError.

    Only sweepable fields are split at commas, so a corpus path or a sample prefix may
    hold a comma.
    """
    fixed = {k: v for k, v in values.items() if k not in SWEEPABLE or "," not in v}
    swept = {k: v for k, v in values.items() if k in SWEEPABLE and "," in v}
    base = from_strings(fixed)
    return expand_sweep(swept, base) if swept else [base]


def format_value(value: Any) -> str:
    """A field value as the form shows it: '' for None, 1.0 as '1', else str()."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def measure_vocab(corpus: str | None, mode: str) -> int:
    """The vocabulary size of a corpus after preprocessing (slow: reads the whole file).

    Runs in a worker thread: rnn_tui.corpus imports torch. Never downloads: without a
    cached Time Machine it raises CorpusError saying the first run will fetch it.
    """
    from rnn_tui.corpus import TIMEMACHINE_FILE, cache_dir, preprocess, read_text
    from rnn_tui.errors import CorpusError

    if corpus is None:
        path = cache_dir() / TIMEMACHINE_FILE
        if not path.is_file():
            raise CorpusError("The Time Machine is downloaded at the first run")
        return len(set(preprocess(read_text(path), mode)))
    return len(set(preprocess(read_text(corpus), mode)))


class FieldValidator(Validator):
    """Validates one field's text with the engine's own parsing and bounds."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def validate(self, value: str) -> ValidationResult:
        message = field_error(self.name, value)
        return self.success() if message is None else self.failure(message)


@dataclass
class VocabMeasured(Message):
    key: tuple[str | None, str]
    result: int | str  # the size, or why it is unknown


class ConfigForm(VerticalScroll):
    """The Train screen's form. Read `configs` when `is_valid`; listen for `Changed`."""

    DEFAULT_CSS = """
    ConfigForm {
        padding: 0 1;
        scrollbar-size-vertical: 1;
        & .group-title {
            margin-top: 1;
            color: $primary;
            text-style: bold;
        }
        & .form-row {
            height: auto;
        }
        & .field-label {
            width: 14;
            padding-right: 1;
            color: $text-muted;
        }
        & .form-row Input, & .form-row Select {
            width: 1fr;
        }
        & .field-error {
            display: none;
            color: $error;
            padding-left: 14;
        }
        & .field-error.-shown {
            display: block;
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
        self._initial = config or TrainConfig()
        self._errors: dict[str, str] = {}
        self._configs: list[TrainConfig] = []
        self._shown_errors: dict[str, str] = {}
        self._pending_vocab: tuple[str | None, str] | None = None
        self._validated: dict[str, str] | None = None
        self._may_measure = False
        self._loading = False

    # -- layout

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("preset", classes="field-label")
            yield Select(
                [(name, name) for name in PRESETS],
                prompt="fill from a preset",
                id="preset",
                compact=True,
                tooltip="fill the form with a preset's values (the corpus is kept)",
            )
        yield Static("parameters: …", id="param-count")
        yield Static("", id="form-message", classes="-empty")
        group = None
        for spec in FIELDS.values():
            if spec.group != group:
                group = spec.group
                yield Static(group, classes="group-title")
            yield from self._field_row(spec.name)
        yield Static("tab: next field · a,b,… in a number field sweeps", id="field-help")

    def _field_row(self, name: str) -> ComposeResult:
        spec = FIELDS[name]
        value = format_value(getattr(self._initial, name))
        widget: Widget
        if spec.choices:
            widget = Select(
                [(choice, choice) for choice in spec.choices],
                value=value,
                allow_blank=False,
                compact=True,
                id=f"field-{name}",
            )
        else:
            sweep = " (a,b,… for a sweep)" if name in SWEEPABLE else ""
            widget = Input(
                value,
                placeholder=spec.help if spec.optional else "",
                validators=[FieldValidator(name)],
                compact=True,
                id=f"field-{name}",
                tooltip=f"{spec.help}{sweep}",
            )
        widget.tooltip = widget.tooltip or spec.help
        with Horizontal(classes="form-row", id=f"row-{name}"):
            yield Label(name, classes="field-label")
            yield widget
        yield Static("", classes="field-error", id=f"error-{name}")

    def on_mount(self) -> None:
        self._revalidate()
        # Measuring the vocabulary imports torch in a thread: start only after the first
        # frame, or the import competes with it for the GIL.
        self.call_after_refresh(self._first_frame_shown)

    def _first_frame_shown(self) -> None:
        self._may_measure = True
        self._update_params(self.values())

    # -- public API

    def values(self) -> dict[str, str]:
        """Every field's text, as typed (Select fields: the chosen value)."""
        out: dict[str, str] = {}
        for name, spec in FIELDS.items():
            if spec.choices:
                value = self.query_one(f"#field-{name}", Select).value
                out[name] = "" if value is Select.BLANK else str(value)
            else:
                out[name] = self.query_one(f"#field-{name}", Input).value
        return out

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
        """Set some fields' text; unknown names are ignored."""
        self._loading = True
        try:
            for name, text in values.items():
                spec = FIELDS.get(name)
                if spec is None:
                    continue
                if spec.choices:
                    select = self.query_one(f"#field-{name}", Select)
                    if text in spec.choices:
                        select.value = text
                else:
                    self.query_one(f"#field-{name}", Input).value = text
        finally:
            self._loading = False
        self._revalidate()

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
        if not self._loading:
            self._revalidate()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "preset":
            if event.value is not Select.BLANK:
                self.apply_preset(str(event.value))
            return
        if not self._loading:
            self._revalidate()

    def on_descendant_focus(self, event: Any) -> None:
        widget = event.widget
        widget_id = widget.id or ""
        if widget_id.startswith("field-"):
            spec = FIELDS.get(widget_id.removeprefix("field-"))
            if spec is not None:
                sweep = "; a,b,… sweeps" if spec.name in SWEEPABLE and not spec.choices else ""
                self.query_one("#field-help", Static).update(f"{spec.name}: {spec.help}{sweep}")

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
        self._update_params(values)
        self.post_message(self.Changed(self))

    def _show_errors(self, errors: dict[str, str]) -> None:
        for name in FIELDS:
            message = errors.get(name, "")
            if self._shown_errors.get(name, "") == message:
                continue
            label = self.query_one(f"#error-{name}", Static)
            label.update(message)
            label.set_class(bool(message), "-shown")
        self._shown_errors = {k: v for k, v in errors.items() if k in FIELDS}

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
        """Measure the corpus again (after the file changed, or once it was downloaded)."""
        _VOCAB_SIZES.pop(self._current_vocab_key(), None)
        self._pending_vocab = None
        self._update_params(self.values())

    def _current_vocab_key(self) -> tuple[str | None, str]:
        values = self.values()
        return (values.get("corpus", "").strip() or None, values.get("preprocess") or "clean")

    @work(thread=True, exclusive=True, group="vocab", exit_on_error=False)
    def _measure_vocab(self, key: tuple[str | None, str]) -> None:
        try:
            result: int | str = measure_vocab(*key)
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
