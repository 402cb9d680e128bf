"""TrainConfig: every hyperparameter, its default, its validation and the presets.

The CLI flags, the TUI form and stored runs are all made from this one object.
Each field's metadata (group, help, choices, bounds) lives in `FIELDS`, so front
ends build their widgets and flags from it instead of repeating it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from rnn_tui import strict_json
from rnn_tui.errors import ConfigError
from rnn_tui.presets import PRESETS

PREPROCESS_MODES = ("clean", "seed", "d2l", "raw")
CELLS = ("rnn", "gru", "lstm")
NONLINEARITIES = ("tanh", "relu")
BATCHING_MODES = ("random", "sequential")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("constant", "cosine", "step")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16")
DROPOUT_MASKS = ("step", "locked")
MAX_LAYERS = 8


@dataclass(frozen=True)
class FieldSpec:
    name: str
    group: str
    help: str
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False  # None (an empty form field) is allowed


@dataclass(frozen=True)
class TrainConfig:
    """Frozen, so a config that passed `validate` once stays valid, and is not checked again
    on its way from the flags or the form to the trainer."""

    # Data
    corpus: str | None = None  # None: The Time Machine shipped in the package
    preprocess: str = "clean"
    val_fraction: float = 0.1
    # Model
    cell: str = "rnn"
    nonlinearity: str = "tanh"
    layers: int = 1
    hidden: int = 128
    embedding: str = "onehot"  # "onehot", "vocab" (an nn.Embedding(V, V)) or a dimension
    dropout: float = 0.0
    input_dropout: float = 0.0  # on the input vectors (embedding or one-hot)
    weight_dropout: float = 0.0  # DropConnect on the hidden-to-hidden matrices
    dropout_mask: str = "step"  # locked: one mask per sequence, as in variational dropout
    # Optimization
    optimizer: str = "adam"
    lr: float = 1e-2
    schedule: str = "constant"
    clip: float = 1.0
    weight_decay: float | None = None  # None: 0.01 for adamw, 0 for the others
    warmup: float = 0.0  # fraction of the run spent rising linearly to lr
    lr_floor: float = 0.0  # cosine and step schedules end at lr * lr_floor
    ema: float = 0.0  # decay of an exponential moving average of the weights; 0: off
    batch_size: int = 32
    num_steps: int = 35
    batching: str = "sequential"
    # Run
    epochs: int = 10
    steps: int | None = None  # counts optimizer steps instead of epochs
    epoch_steps: int | None = None  # steps per reported epoch; None: one pass over the text
    time_budget: float | None = None  # seconds, the final evaluation and checkpoint included
    eval_interval: float | None = None  # seconds between evaluations within an epoch
    seed: int = 0
    device: str = "auto"
    precision: str = "fp32"  # bf16: autocast in training, evaluation stays fp32; auto: bf16 if fast
    # Epoch-end text sample
    sample_prefix: str = "the time traveller"
    sample_length: int = 60

    def validate(self) -> dict[str, str]:
        """Every field's problem as a human message; empty when the config is valid. A config
        that passed is not checked again (`field_errors` runs once per config)."""
        if self.__dict__.get("_valid"):
            return {}
        errors = field_errors(self)
        if not errors:
            object.__setattr__(self, "_valid", True)  # not a field: replace() makes a new one
        return errors

    def checked(self) -> TrainConfig:
        """This config when it is valid; ConfigError naming each bad field otherwise."""
        errors = self.validate()
        if errors:
            raise ConfigError(errors)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return strict_json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from stored values, ignoring keys this version does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    @property
    def corpus_label(self) -> str:
        return self.corpus or "The Time Machine"


_TYPES: dict[str, type] = {f.name: f.type for f in dataclasses.fields(TrainConfig)}  # type: ignore[misc]


# A field's spec by its kind; FIELDS sets the group.
def _number(
    name: str, text: str, minimum: float, maximum: float | None = None, *, optional: bool = False
) -> FieldSpec:
    return FieldSpec(name, "", text, minimum=minimum, maximum=maximum, optional=optional)


def _choice(name: str, text: str, choices: tuple[str, ...]) -> FieldSpec:
    return FieldSpec(name, "", text, choices=choices)


def _text(name: str, text: str, *, optional: bool = False) -> FieldSpec:
    return FieldSpec(name, "", text, optional=optional)


# Every field's metadata, by the group the flags' help and the form show it in, in order.
_GROUPS: dict[str, list[FieldSpec]] = {
    "Data": [
        _text("corpus", "text file to train on (empty: The Time Machine)", optional=True),
        _choice("preprocess", "seed | d2l | clean | raw", PREPROCESS_MODES),
        _number("val_fraction", "last fraction of the text held out", 0, 0.5),
    ],
    "Model": [
        _choice("cell", "recurrent cell", CELLS),
        _choice("nonlinearity", "vanilla RNN activation", NONLINEARITIES),
        _number("layers", "stacked recurrent layers", 1, MAX_LAYERS),
        _number("hidden", "hidden units per layer", 1, 8192),
        _text("embedding", "onehot | vocab | dimension of a learned embedding"),
        _number("dropout", "between layers and before the output", 0, 0.9),
        _number("input_dropout", "dropout on the input vectors", 0, 0.9),
        _number("weight_dropout", "DropConnect on the hidden-to-hidden weights (AWD-LSTM)", 0, 0.9),
        _choice(
            "dropout_mask",
            "step: a new mask each time step | locked: one per sequence (variational)",
            DROPOUT_MASKS,
        ),
    ],
    "Optimization": [
        _choice("optimizer", "adam | adamw | sgd | rmsprop", OPTIMIZERS),
        _number("lr", "learning rate", 1e-8, 100),
        _choice("schedule", "constant | cosine | step", SCHEDULES),
        _number("clip", "gradient clip by global norm (0: off)", 0),
        _number(
            "weight_decay",
            "weight decay (empty: 0.01 for adamw, 0 for the others)",
            0,
            10,
            optional=True,
        ),
        _number(
            "warmup", "fraction of the run (of the time budget if set) warming up the lr", 0, 0.5
        ),
        _number("lr_floor", "cosine and step schedules end at lr times this", 0, 1),
        _number(
            "ema",
            "weight averaging decay, e.g. 0.999; evaluation and samples use the average (0: off)",
            0,
            0.99999,
        ),
        _number("batch_size", "sequences per batch", 1, 4096),
        _number("num_steps", "time steps per sequence", 1, 4096),
        _choice("batching", "random | sequential", BATCHING_MODES),
    ],
    "Run": [
        _number("epochs", "passes over the training text", 1, 100_000),
        _number("steps", "optimizer steps (overrides epochs)", 1, 10_000_000, optional=True),
        _number(
            "epoch_steps",
            "steps per reported epoch (empty: one pass)",
            1,
            10_000_000,
            optional=True,
        ),
        _number(
            "time_budget", "seconds for the whole run, final evaluation included", 1, optional=True
        ),
        _number(
            "eval_interval",
            "also evaluate every this many seconds (empty: at epoch ends only)",
            1,
            optional=True,
        ),
        _number("seed", "random seed", 0, 2**63 - 1),
        _choice("device", "auto | cpu | cuda", DEVICES),
        _choice(
            "precision",
            "auto (bf16 where the hardware has it) | fp32 | bf16 (autocast for training)",
            PRECISIONS,
        ),
        _text("sample_prefix", "prefix of the text sampled each epoch"),
        _number("sample_length", "characters sampled each epoch", 0, 10_000),
    ],
}
FIELDS: dict[str, FieldSpec] = {
    spec.name: dataclasses.replace(spec, group=group)
    for group, specs in _GROUPS.items()
    for spec in specs
}


def _base_type(name: str) -> type:
    annotation = str(_TYPES[name])
    for candidate in (int, float, str):
        if annotation.startswith(candidate.__name__):
            return candidate
    raise AssertionError(f"unknown type for {name}: {annotation}")


def _check_field(spec: FieldSpec, value: Any) -> str | None:
    if value is None:
        return None if spec.optional else "is required"
    kind = _base_type(spec.name)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        return "must be a whole number"
    if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return "must be a number"
    if kind is float and value != value:  # NaN
        return "must be a number"
    if kind is str and not isinstance(value, str):
        return "must be text"
    if spec.choices and value not in spec.choices:
        return f"must be one of {', '.join(spec.choices)}"
    if spec.minimum is not None and value < spec.minimum:
        return f"must be at least {_fmt(spec.minimum)}"
    if spec.maximum is not None and value > spec.maximum:
        return f"must be at most {_fmt(spec.maximum)}"
    return None


def field_errors(config: TrainConfig) -> dict[str, str]:
    """Every field's problem as a human message (see TrainConfig.validate)."""
    errors: dict[str, str] = {}
    for name in FIELDS:
        message = value_error(name, getattr(config, name))
        if message:
            errors[name] = message
    return errors


def value_error(name: str, value: Any) -> str | None:
    """One field's problem (type, choices, range) as field_errors words it; None if fine.
    No field's rule reads another's, so a form checks only the field that changed."""
    message = _check_field(FIELDS[name], value)
    if message is None and name == "embedding" and embedding_dim(value, 1) == -1:
        message = "use onehot, vocab, or a positive whole number"
    return message


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def embedding_dim(embedding: str, vocab_size: int) -> int | None:
    """None for one-hot input, else the learned embedding's dimension; -1 if unparseable."""
    text = str(embedding).strip().lower()
    if text == "onehot":
        return None
    if text == "vocab":
        return vocab_size
    try:
        dim = int(text)
    except ValueError:
        return -1
    return dim if dim > 0 else -1


def flag(name: str) -> str:
    """The command-line flag of a field: batch_size -> --batch-size (the TUI's child gets
    the form's values as these flags)."""
    return "--" + name.replace("_", "-")


def parse_int(text: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number as people type it ("1_000", "2e3"); ValueError says what is wrong.

    The rule behind every integer field and flag; front ends put the field's name first.
    """
    text = text.strip()
    if not text.isascii():  # int() would read other scripts' digits: "١٢" is not 12 here
        raise ValueError("must be a whole number")
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        try:
            as_float = float(text)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if not as_float.is_integer():
            raise ValueError("must be a whole number") from None
        value = int(as_float)
    if minimum is not None and value < minimum:
        raise ValueError(f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"must be at most {maximum:,}")
    return value


def parse_float(text: str, minimum: float | None = None) -> float:
    """A finite number as people type it ("1e-3", "0.5"); ValueError says what is wrong.

    The rule behind every number field and flag; front ends put the field's name first.
    """
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("must be a number") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if minimum is not None and value < minimum:
        raise ValueError(f"must be {_fmt(minimum)} or more")
    return value


def parse_value(name: str, text: str) -> Any:
    """Turn one form or flag string into a field value; raises ValueError with a human message."""
    if name not in FIELDS:
        raise ValueError(f"unknown setting {name!r}")
    spec = FIELDS[name]
    text = text.strip()
    if text == "" or text.lower() == "none":
        if spec.optional:
            return None
        raise ValueError("is required")
    kind = _base_type(name)
    if kind is int:
        return parse_int(text)
    if kind is float:
        return parse_float(text)
    return text.lower() if spec.choices else text


def from_strings(values: dict[str, str], base: TrainConfig | None = None) -> TrainConfig:
    """A config from string values (a form, flags); raises ConfigError listing every bad field."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for name, text in values.items():
        try:
            changes[name] = parse_value(name, text)
        except ValueError as exc:
            errors[name] = str(exc)
    config = (base or TrainConfig()).replace(**changes)
    errors.update({k: v for k, v in config.validate().items() if k not in errors})
    if errors:
        raise ConfigError(errors)
    return config


# Fields that may hold a comma-separated list in a sweep.
SWEEPABLE = tuple(name for name in FIELDS if name not in ("corpus", "sample_prefix", "device"))

# What may change when a run is resumed: how long it runs and where; never the model or data.
RESUME_OVERRIDES = ("epochs", "steps", "time_budget", "device")


def preset(name: str, base: TrainConfig | None = None) -> TrainConfig:
    if name not in PRESETS:
        raise ConfigError({"preset": f"unknown preset {name!r}; choose {', '.join(PRESETS)}"})
    return (base or TrainConfig()).replace(**PRESETS[name])
