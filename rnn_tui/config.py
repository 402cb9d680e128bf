"""TrainConfig: every hyperparameter, its default, its validation and the presets.

The CLI flags, the TUI form and stored runs are all made from this one object.
Each field's metadata (group, help, choices, bounds) lives in `FIELDS`, so front
ends build their widgets and flags from it instead of repeating it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

from rnn_tui.errors import ConfigError
from rnn_tui.hardware import AUTO_NUM_STEPS, auto_batch_size

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


@dataclass
class TrainConfig:
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
        """Every field's problem as a human message; empty when the config is valid."""
        errors: dict[str, str] = {}
        for spec in FIELDS.values():
            message = _check_field(spec, getattr(self, spec.name))
            if message:
                errors[spec.name] = message
        if "embedding" not in errors and embedding_dim(self.embedding, 1) == -1:
            errors["embedding"] = "use onehot, vocab, or a positive whole number"
        return errors

    def checked(self) -> TrainConfig:
        errors = self.validate()
        if errors:
            raise ConfigError(errors)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

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

FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in [
        FieldSpec(
            "corpus", "Data", "text file to train on (empty: The Time Machine)", optional=True
        ),
        FieldSpec("preprocess", "Data", "seed | d2l | clean | raw", choices=PREPROCESS_MODES),
        FieldSpec(
            "val_fraction", "Data", "last fraction of the text held out", minimum=0, maximum=0.5
        ),
        FieldSpec("cell", "Model", "recurrent cell", choices=CELLS),
        FieldSpec("nonlinearity", "Model", "vanilla RNN activation", choices=NONLINEARITIES),
        FieldSpec("layers", "Model", "stacked recurrent layers", minimum=1, maximum=MAX_LAYERS),
        FieldSpec("hidden", "Model", "hidden units per layer", minimum=1, maximum=8192),
        FieldSpec("embedding", "Model", "onehot | vocab | dimension of a learned embedding"),
        FieldSpec(
            "dropout", "Model", "between layers and before the output", minimum=0, maximum=0.9
        ),
        FieldSpec("input_dropout", "Model", "dropout on the input vectors", minimum=0, maximum=0.9),
        FieldSpec(
            "weight_dropout",
            "Model",
            "DropConnect on the hidden-to-hidden weights (AWD-LSTM)",
            minimum=0,
            maximum=0.9,
        ),
        FieldSpec(
            "dropout_mask",
            "Model",
            "step: a new mask each time step | locked: one per sequence (variational)",
            choices=DROPOUT_MASKS,
        ),
        FieldSpec("optimizer", "Optimization", "adam | adamw | sgd | rmsprop", choices=OPTIMIZERS),
        FieldSpec("lr", "Optimization", "learning rate", minimum=1e-8, maximum=100),
        FieldSpec("schedule", "Optimization", "constant | cosine | step", choices=SCHEDULES),
        FieldSpec("clip", "Optimization", "gradient clip by global norm (0: off)", minimum=0),
        FieldSpec(
            "weight_decay",
            "Optimization",
            "weight decay (empty: 0.01 for adamw, 0 for the others)",
            minimum=0,
            maximum=10,
            optional=True,
        ),
        FieldSpec(
            "warmup",
            "Optimization",
            "fraction of the run (of the time budget if set) warming up the lr",
            minimum=0,
            maximum=0.5,
        ),
        FieldSpec(
            "lr_floor",
            "Optimization",
            "cosine and step schedules end at lr times this",
            minimum=0,
            maximum=1,
        ),
        FieldSpec(
            "ema",
            "Optimization",
            "weight averaging decay, e.g. 0.999; evaluation and samples use the average (0: off)",
            minimum=0,
            maximum=0.99999,
        ),
        FieldSpec("batch_size", "Optimization", "sequences per batch", minimum=1, maximum=4096),
        FieldSpec("num_steps", "Optimization", "time steps per sequence", minimum=1, maximum=4096),
        FieldSpec("batching", "Optimization", "random | sequential", choices=BATCHING_MODES),
        FieldSpec("epochs", "Run", "passes over the training text", minimum=1, maximum=100_000),
        FieldSpec(
            "steps",
            "Run",
            "optimizer steps (overrides epochs)",
            minimum=1,
            maximum=10_000_000,
            optional=True,
        ),
        FieldSpec(
            "epoch_steps",
            "Run",
            "steps per reported epoch (empty: one pass)",
            minimum=1,
            maximum=10_000_000,
            optional=True,
        ),
        FieldSpec(
            "time_budget",
            "Run",
            "seconds for the whole run, final evaluation included",
            minimum=1,
            optional=True,
        ),
        FieldSpec(
            "eval_interval",
            "Run",
            "also evaluate every this many seconds (empty: at epoch ends only)",
            minimum=1,
            optional=True,
        ),
        FieldSpec("seed", "Run", "random seed", minimum=0, maximum=2**63 - 1),
        FieldSpec("device", "Run", "auto | cpu | cuda", choices=DEVICES),
        FieldSpec(
            "precision",
            "Run",
            "auto (bf16 where the hardware has it) | fp32 | bf16 (autocast for training)",
            choices=PRECISIONS,
        ),
        FieldSpec("sample_prefix", "Run", "prefix of the text sampled each epoch"),
        FieldSpec(
            "sample_length", "Run", "characters sampled each epoch", minimum=0, maximum=10_000
        ),
    ]
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


def parse_int(text: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number as people type it ("1_000", "2e3"); ValueError says what is wrong.

    The rule behind every integer field and flag; front ends put the field's name first.
    """
    text = text.strip()
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
        try:
            return float(text)
        except ValueError:
            raise ValueError("must be a number") from None
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


# A sweep of more runs than this starts only when the user confirms (--yes, or the TUI asks);
# one of more than SWEEP_MAX_RUNS is never expanded (10^9 combinations would hang here).
SWEEP_CONFIRM_RUNS = 64
SWEEP_MAX_RUNS = 10_000


class SweepTooLarge(ConfigError):
    """The sweep holds more runs than the caller allowed; `runs` says how many."""

    def __init__(self, runs: int, limit: int):
        self.runs = runs
        self.limit = limit
        if limit < SWEEP_MAX_RUNS:
            message = f"{runs:,} runs, more than {limit} without confirmation"
        else:
            message = f"{runs:,} runs, more than the {limit:,} a sweep may hold"
        super().__init__({"sweep": message})


def split_sweep(text: str) -> list[str]:
    return [part.strip() for part in text.split(",")] if "," in text else [text]


def sweep_size(values: dict[str, str]) -> int:
    """How many runs `expand_sweep(values)` makes: the product of the list lengths."""
    return math.prod(len(split_sweep(text)) for text in values.values())


def expand_sweep(
    values: dict[str, str], base: TrainConfig | None = None, *, confirmed: bool = False
) -> list[TrainConfig]:
    """The cross product of every comma-separated list, in the order the fields were given.

    The size is checked before anything is built: above SWEEP_CONFIRM_RUNS runs it raises
    SweepTooLarge unless `confirmed`, above SWEEP_MAX_RUNS always.
    """
    runs = sweep_size(values)
    if runs > SWEEP_MAX_RUNS:
        raise SweepTooLarge(runs, SWEEP_MAX_RUNS)
    if runs > SWEEP_CONFIRM_RUNS and not confirmed:
        raise SweepTooLarge(runs, SWEEP_CONFIRM_RUNS)
    names = list(values)
    options = []
    errors: dict[str, str] = {}
    for name in names:
        parts = split_sweep(values[name])
        if len(parts) > 1 and name not in SWEEPABLE:
            errors[name] = "cannot hold a list"
        if any(p == "" for p in parts) and len(parts) > 1:
            errors[name] = "has an empty item in its list"
        options.append(parts)
    if errors:
        raise ConfigError(errors)
    configs = []
    for combo in itertools.product(*options):
        configs.append(from_strings(dict(zip(names, combo, strict=True)), base))
    return configs


def sweep_label(config: TrainConfig, varied: list[str]) -> str:
    return " ".join(f"{name}={getattr(config, name)}" for name in varied)


def varied_fields(configs: list[TrainConfig]) -> list[str]:
    if len(configs) < 2:
        return []
    first = configs[0].to_dict()
    return [name for name in first if any(c.to_dict()[name] != first[name] for c in configs[1:])]


PRESETS: dict[str, dict[str, Any]] = {
    # The notebook: nn.RNN(hidden 128) on the lowercased, line-joined book, Adam 1e-2,
    # 20 random batches, each reported as an "epoch".
    "seed": dict(
        preprocess="seed",
        cell="rnn",
        nonlinearity="tanh",
        layers=1,
        hidden=128,
        embedding="vocab",
        dropout=0.0,
        optimizer="adam",
        lr=1e-2,
        schedule="constant",
        clip=0.0,
        batch_size=32,
        num_steps=35,
        batching="random",
        epochs=20,
        steps=None,
        epoch_steps=1,
        time_budget=None,
    ),
    # d2l's RNN chapter: letters only, one-hot input, SGD lr 1 with clipping.
    "d2l": dict(
        preprocess="d2l",
        cell="rnn",
        nonlinearity="tanh",
        layers=1,
        hidden=256,
        embedding="onehot",
        dropout=0.0,
        optimizer="sgd",
        lr=1.0,
        schedule="constant",
        clip=1.0,
        batch_size=32,
        num_steps=35,
        batching="sequential",
        epochs=50,
        steps=None,
        epoch_steps=None,
        time_budget=None,
    ),
    # The best validation perplexity we reached on a 2-core CPU in two minutes (README).
    # bf16 autocast is about 1.5x faster where the CPU has bf16 instructions (avx512_bf16).
    "best": dict(
        preprocess="seed",
        val_fraction=0.1,
        cell="lstm",
        layers=2,
        hidden=384,
        embedding="64",
        dropout=0.4,
        optimizer="adamw",
        lr=4e-3,
        schedule="cosine",
        clip=1.0,
        batch_size=auto_batch_size(),  # for this CPU's cores (hardware.py)
        num_steps=AUTO_NUM_STEPS,
        batching="sequential",
        epochs=1000,
        steps=None,
        epoch_steps=None,
        time_budget=120.0,
        precision="auto",
    ),
    # A few seconds on a laptop: for trying the app out.
    "quick": dict(
        preprocess="clean",
        cell="gru",
        layers=1,
        hidden=128,
        embedding="32",
        dropout=0.0,
        optimizer="adam",
        lr=5e-3,
        schedule="constant",
        clip=1.0,
        batch_size=32,
        num_steps=35,
        batching="sequential",
        epochs=3,
        steps=None,
        epoch_steps=None,
        time_budget=None,
    ),
}


def preset(name: str, base: TrainConfig | None = None) -> TrainConfig:
    if name not in PRESETS:
        raise ConfigError({"preset": f"unknown preset {name!r}; choose {', '.join(PRESETS)}"})
    return (base or TrainConfig()).replace(**PRESETS[name])
