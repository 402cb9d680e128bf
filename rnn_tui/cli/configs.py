"""Flags become TrainConfigs: a sweep from the flags (over a preset or the defaults), or on
resume the checkpoint's config with the flags a resume may change."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rnn_tui.config import (
    FIELDS,
    TrainConfig,
    flag,
    parse_value,
    preset,
)
from rnn_tui.errors import ConfigError, RnnTuiError
from rnn_tui.runs.sweep import SWEEP_CONFIRM_RUNS, SweepTooLarge, build_configs

if TYPE_CHECKING:
    from rnn_tui.training.state import Resume


def configs_from_args(args: argparse.Namespace) -> list[TrainConfig]:
    base = preset(args.preset) if args.preset else TrainConfig()
    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    try:
        return build_configs(given, base, confirmed=args.yes)
    except SweepTooLarge as exc:
        if exc.limit == SWEEP_CONFIRM_RUNS:
            raise RnnTuiError(
                f"the sweep would start {exc.runs:,} runs; pass --yes to start more than "
                f"{exc.limit}"
            ) from None
        raise RnnTuiError(f"the sweep would start {exc.errors['sweep']}") from None
    except RnnTuiError as exc:
        errors = getattr(exc, "errors", None)
        if errors:
            raise _flag_errors(errors) from None
        raise


def resume_from_args(checkpoint: str, args: argparse.Namespace) -> tuple[Resume, TrainConfig]:
    """The checkpoint, read once (the run's trainer continues from it), and its config with
    the flags the user gave; an error names any flag that a resume cannot change."""
    from rnn_tui.checkpoints.files import resume_config
    from rnn_tui.training.state import Resume

    if args.preset:
        raise RnnTuiError("--preset cannot be used with --resume: the run keeps its settings")
    resume = Resume.read(checkpoint)
    saved = resume.saved_config
    given: dict[str, object] = {}
    for name in FIELDS:
        value = getattr(args, name)
        if value is not None:
            try:
                given[name] = parse_value(name, value)
            except ValueError as exc:
                raise RnnTuiError(f"{flag(name)}: {exc}") from None
    try:
        return resume, resume_config(saved, given)
    except ConfigError as exc:
        raise _flag_errors(exc.errors) from None


def _flag_errors(errors: dict[str, str]) -> RnnTuiError:
    """One line that names each bad field by its flag."""
    return RnnTuiError("; ".join(f"{flag(name)}: {message}" for name, message in errors.items()))
