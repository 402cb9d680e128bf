"""argparse value types and help for the CLI: a bad value is one line that names its range.

argparse turns the ArgumentTypeError into `rnn-tui ...: error: argument --x: <message>`,
one line with exit code 2 (see `OneLineParser`).
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from rnn_tui.config import FieldSpec, TrainConfig
from rnn_tui.errors import RnnTuiError
from rnn_tui.sampling.options import SAMPLE_OPTIONS, parse_sample_option
from rnn_tui.store import parse_run_id

T = TypeVar("T")


def sample_option(name: str) -> Callable[[str], Any]:
    """A sampling option's flag type: the range the Sample screen checks too (sample_options)."""
    kind = "integer" if SAMPLE_OPTIONS[name][0] == "int" else "number"
    return _flag_type(lambda text: parse_sample_option(name, text), kind)


def _flag_type(read: Callable[[str], T], name: str) -> Callable[[str], T]:
    """An argparse type from one of the config's parsers: its message, then the value."""

    def parse(text: str) -> T:
        try:
            return read(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{exc}, got {text!r}") from None

    parse.__name__ = name  # argparse names the type in its own messages
    return parse


def run_id(text: str) -> int:
    """A run id in the store: ASCII digits from 1 to SQLite's largest integer."""
    try:
        return parse_run_id(text)
    except RnnTuiError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


run_id.__name__ = "run id"


# Metavars that say what a value is; other fields get N (whole number), X (number) or TEXT.
_METAVARS = {
    "corpus": "PATH",
    "embedding": "onehot|vocab|DIM",
    "time_budget": "SECONDS",
    "seed": "SEED",
    "lr": "RATE",
    "val_fraction": "FRACTION",
    "dropout": "P",
    "clip": "NORM",
    "sample_prefix": "TEXT",
    "input_dropout": "P",
    "weight_dropout": "P",
    "weight_decay": "DECAY",
    "warmup": "FRACTION",
    "lr_floor": "FACTOR",
    "ema": "DECAY",
    "eval_interval": "SECONDS",
}
# Help for fields whose own help is only their list of choices (the metavar shows those).
_CHOICE_HELP = {
    "preprocess": "how the text is cleaned",
    "optimizer": "optimizer",
    "schedule": "learning-rate schedule",
    "batching": "how batches are cut from the text",
    "device": "where to train",
    "precision": "number format",
    "embedding": "input encoding: one-hot, a learned vocab-size table, or a DIM-d embedding",
}
_NONE_DEFAULTS = {"corpus": "The Time Machine"}
_FIELD_TYPES = {field.name: field.type for field in dataclasses.fields(TrainConfig)}


def field_help(spec: FieldSpec) -> tuple[str, str]:
    """The metavar and help of a train flag: what the value is, choices once, the default."""
    text = spec.help
    if spec.name == "embedding":  # a choice or a number: the metavar lists both
        text = _CHOICE_HELP[spec.name]
    if spec.choices:
        metavar = "|".join(spec.choices)
        head, _, rest = text.partition("(")
        if {word.strip() for word in head.split("|")} == set(spec.choices):
            # The help was the list of choices, which the metavar already shows.
            text = rest.rstrip(") ") or _CHOICE_HELP.get(spec.name, spec.name.replace("_", " "))
    else:
        annotation = str(_FIELD_TYPES[spec.name])
        fallback = "N" if annotation.startswith("int") else "X"
        fallback = "TEXT" if annotation.startswith("str") else fallback
        metavar = _METAVARS.get(spec.name, fallback)
    default = getattr(TrainConfig(), spec.name)
    if default is None:
        shown = None if "(empty:" in text else _NONE_DEFAULTS.get(spec.name, "none")
    elif isinstance(default, str) and not spec.choices:
        shown = repr(default)
    else:
        shown = str(default)
    if shown is not None:
        text = f"{text} (default: {shown})"
    return metavar, text.replace("%", "%%")
