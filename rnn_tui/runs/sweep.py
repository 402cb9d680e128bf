"""Sweeps: comma-separated lists in string values (flags or a form) become the cross product
of runs. The one sweep rule lives in `build_configs`.
"""

from __future__ import annotations

import itertools
import math

from rnn_tui.config import SWEEPABLE, TrainConfig, from_strings
from rnn_tui.errors import ConfigError

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


def build_configs(
    values: dict[str, str], base: TrainConfig | None = None, *, confirmed: bool = False
) -> list[TrainConfig]:
    """The run, or the sweep's runs, that string values (flags or a form) stand for; raises
    ConfigError (SweepTooLarge for a sweep too large, see expand_sweep).

    The one sweep rule: only sweepable fields are split at commas, so a corpus path or a
    sample prefix may hold a comma and is taken whole. Every value of every list is checked
    before any config is built, so one ConfigError names every bad field at once.
    """
    fixed = {k: v for k, v in values.items() if k not in SWEEPABLE or "," not in v}
    swept = {k: v for k, v in values.items() if k in SWEEPABLE and "," in v}
    errors: dict[str, str] = {}
    try:
        config = from_strings(fixed, base)
    except ConfigError as exc:
        errors.update(exc.errors)
        config = base or TrainConfig()
    errors.update({k: v for k, v in swept_value_errors(swept, config).items() if k not in errors})
    if errors:
        raise ConfigError(errors)
    return expand_sweep(swept, config, confirmed=confirmed) if swept else [config]


def swept_value_errors(swept: dict[str, str], base: TrainConfig) -> dict[str, str]:
    """Per swept field, what is wrong with its first bad value (each checked on its own
    over `base`); fields whose values are all good are not named."""
    errors: dict[str, str] = {}
    for name, text in swept.items():
        for part in split_sweep(text):
            if part == "":
                errors[name] = "has an empty item in its list"
                break
            try:
                from_strings({name: part}, base)
            except ConfigError as exc:
                message = exc.errors.get(name)  # another field's: the full check names it
                if message:
                    errors[name] = f"{part!r} {message}"
                    break
    return errors


def sweep_label(config: TrainConfig, varied: list[str]) -> str:
    return " ".join(f"{name}={getattr(config, name)}" for name in varied)


def varied_fields(configs: list[TrainConfig]) -> list[str]:
    if len(configs) < 2:
        return []
    first = configs[0].to_dict()
    return [name for name in first if any(c.to_dict()[name] != first[name] for c in configs[1:])]
