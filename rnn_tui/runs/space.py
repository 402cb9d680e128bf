"""A search space from string values (flags or a form): fixed values, comma lists (choices)
and ranges (`128..512`, `1e-4..1e-2:log`). The one rule for reading ranges, used by the
flags and the form; errors are ConfigError naming each bad field.

No Optuna here: this module says what is searched, `runs.study` tells Optuna.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from rnn_tui.config import FIELDS, SWEEPABLE, TrainConfig, _base_type, from_strings
from rnn_tui.errors import ConfigError
from rnn_tui.runs.sweep import SWEEP_MAX_RUNS, split_sweep

SAMPLERS = ("grid", "random", "tpe")
PRUNERS = ("none", "median", "asha")
RANGE_MARK = ".."
LOG_MARK = ":log"


@dataclass(frozen=True)
class Range:
    """A numeric range of one field; `integer` for whole-number fields."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def text(self) -> str:
        return f"{_fmt(self.low)}..{_fmt(self.high)}{LOG_MARK if self.log else ''}"


@dataclass(frozen=True)
class SearchSpace:
    """What a search varies: `choices` (comma lists, as strings) and `ranges`; `fixed` holds
    every other given value as its string."""

    fixed: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    ranges: dict[str, Range] = field(default_factory=dict)

    @property
    def searched(self) -> list[str]:
        return [*self.choices, *self.ranges]

    def grid_points(self) -> list[dict[str, str]]:
        """The cross product of the choices, in the order the fields were given (as a
        comma-list sweep runs them)."""
        names = list(self.choices)
        return [
            dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(self.choices[n] for n in names))
        ]

    def grid_size(self) -> int:
        return math.prod(len(values) for values in self.choices.values())

    def values(self, params: dict[str, Any]) -> dict[str, str]:
        """A trial's string values: the fixed ones and the sampled `params`."""
        return {**self.fixed, **{name: _fmt(value) for name, value in params.items()}}

    def to_dict(self) -> dict[str, Any]:
        return {
            "fixed": dict(self.fixed),
            "choices": {k: list(v) for k, v in self.choices.items()},
            "ranges": {k: r.text() for k, r in self.ranges.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchSpace:
        ranges = {name: parse_range(name, text) for name, text in data.get("ranges", {}).items()}
        return cls(dict(data.get("fixed", {})), dict(data.get("choices", {})), ranges)


def is_range(text: str) -> bool:
    return RANGE_MARK in text


def parse_range(name: str, text: str) -> Range:
    """`low..high` or `low..high:log` for a numeric field; ValueError says what is wrong."""
    spec = FIELDS[name]
    kind = _base_type(name)
    if spec.choices or kind is str:
        raise ValueError(f"{text}: a range needs a numeric setting; give a comma list instead")
    body = text.strip()
    log = body.lower().endswith(LOG_MARK)
    if log:
        body = body[: -len(LOG_MARK)]
    parts = body.split(RANGE_MARK)
    try:
        if len(parts) != 2:
            raise ValueError
        low, high = (float(part.strip().replace("_", "")) for part in parts)
    except ValueError:
        raise ValueError(f"range {text}: both ends must be numbers, as in 1e-4..1e-2") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"range {text}: both ends must be finite")
    if kind is int and not (low.is_integer() and high.is_integer()):
        raise ValueError(f"range {text}: both ends must be whole numbers")
    if log and low <= 0:
        raise ValueError(f"range {text}: a log range needs both ends above 0")
    if low >= high:
        raise ValueError(f"range {text} is empty: its low end must be below its high end")
    if spec.minimum is not None and low < spec.minimum:
        raise ValueError(f"range {text}: must start at {_fmt(spec.minimum)} or more")
    if spec.maximum is not None and high > spec.maximum:
        raise ValueError(f"range {text}: must end at {_fmt(spec.maximum)} or less")
    return Range(low, high, log, integer=kind is int)


def parse_space(
    values: dict[str, str], sampler: str, base: TrainConfig | None = None
) -> SearchSpace:
    """The search space that string values stand for; raises ConfigError naming each bad field
    (a range with the grid sampler, a list of a field that cannot hold one, a bad value).

    Every choice and both ends of every range are checked as a config (with `base` and the
    fixed values), so a trial never starts with a value the flags would refuse.
    """
    fixed: dict[str, str] = {}
    choices: dict[str, list[str]] = {}
    ranges: dict[str, Range] = {}
    errors: dict[str, str] = {}
    for name, text in values.items():
        if name in SWEEPABLE and is_range(text):
            try:
                ranges[name] = parse_range(name, text)
            except ValueError as exc:
                errors[name] = str(exc)
                continue
            if sampler == "grid":
                errors[name] = f"range {text} needs --sampler random or tpe (a grid takes lists)"
        elif name in SWEEPABLE and "," in text:
            parts = split_sweep(text)
            if any(part == "" for part in parts):
                errors[name] = "has an empty item in its list"
            else:
                choices[name] = list(dict.fromkeys(parts))  # a repeated choice counts once
        else:
            fixed[name] = text
    if errors:
        raise ConfigError(errors)
    space = SearchSpace(fixed, choices, ranges)
    if sampler == "grid" and space.grid_size() > SWEEP_MAX_RUNS:
        raise ConfigError({"sweep": f"{space.grid_size():,} grid points, more than the "
                           f"{SWEEP_MAX_RUNS:,} a grid may hold"})  # fmt: skip
    _check_values(space, base)
    return space


def _check_values(space: SearchSpace, base: TrainConfig | None) -> None:
    """Each choice and each range's ends, one at a time over the fixed values."""
    config = from_strings(space.fixed, base)  # ConfigError names the bad fixed fields
    errors: dict[str, str] = {}
    for name, options in space.choices.items():
        for option in options:
            try:
                from_strings({name: option}, config)
            except ConfigError as exc:
                errors[name] = f"{option}: {exc.errors.get(name, exc)}"
                break
    for name, span in space.ranges.items():
        for end in (span.low, span.high):
            try:
                from_strings({name: _fmt(end)}, config)
            except ConfigError as exc:
                errors[name] = f"range {span.text()}: {exc.errors.get(name, exc)}"
                break
    if errors:
        raise ConfigError(errors)


def _fmt(value: Any) -> str:
    """A value as a flag takes it: 3.0 -> 3, 0.001 -> 0.001, 'gru' -> gru."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)
