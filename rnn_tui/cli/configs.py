"""Flags become a RunPlan through the planner: a run or sweep from the flags (over a preset or
the defaults), or a resume of a stored run or a checkpoint with the flags a resume may change.
Every rule is the planner's; this module only names flags in its messages."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rnn_tui.config import FIELDS, TrainConfig, flag, preset
from rnn_tui.errors import ConfigError, RnnTuiError
from rnn_tui.runs.plan import RunPlan
from rnn_tui.runs.planner import Question, plan_resume, plan_resume_checkpoint, plan_start
from rnn_tui.runs.sweep import SWEEP_CONFIRM_RUNS, SweepTooLarge, build_configs
from rnn_tui.store import looks_like_run_id, parse_run_id, resolve_store_url

if TYPE_CHECKING:
    from rnn_tui.training.state import Resume


def given_values(args: argparse.Namespace) -> dict[str, str]:
    """The settings the user gave as flags, as strings (comma lists included)."""
    return {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}


def store_location(args: argparse.Namespace) -> str | None:
    """Where the runs are recorded (--store, $RNN_TUI_STORE, the settings, the default), as
    text without a password; None with --no-store."""
    if args.no_store:
        return None
    return resolve_store_url(getattr(args, "store", None)).text


def plan_from_args(args: argparse.Namespace) -> tuple[RunPlan, Resume | None]:
    """The plan the flags stand for, and the checkpoint when planning had to read it (a resume
    from a file: the trainer continues from the same read). RnnTuiError in one line."""
    try:
        if args.resume is not None:
            return _resume_plan(args)
        return _start_plan(args), None
    except ConfigError as exc:
        raise _flag_error(exc) from None


def _start_plan(args: argparse.Namespace) -> RunPlan:
    base = preset(args.preset) if args.preset else TrainConfig()
    planned = plan_start(
        given_values(args),
        base=base,
        store=store_location(args),
        name=args.name,
        out_dir=args.out,
        confirmed=args.yes,
    )
    if isinstance(planned, Question):
        raise _flag_error(SweepTooLarge(planned.runs, planned.limit))
    return planned


def _resume_plan(args: argparse.Namespace) -> tuple[RunPlan, Resume | None]:
    if args.preset:
        raise RnnTuiError("--preset cannot be used with --resume: the run keeps its settings")
    given = given_values(args)
    store = store_location(args)
    if looks_like_run_id(args.resume):
        if store is None:
            raise RnnTuiError("--resume RUN_ID needs the run store (drop --no-store)")
        from rnn_tui.store import RunStore

        with RunStore(store) as opened:
            plan = plan_resume(opened, parse_run_id(args.resume), given, out_dir=args.out)
        return plan, None
    from rnn_tui.training.state import Resume

    resume = Resume.read(args.resume)  # torch: a checkpoint file's config is inside it
    plan = plan_resume_checkpoint(
        args.resume, resume.saved_config, given, store=store, out_dir=args.out, name=args.name
    )
    return plan, resume


def configs_from_args(args: argparse.Namespace) -> list[TrainConfig]:
    """The configs the flags stand for, without the corpus and memory checks (the TUI's
    child-process test compares them with the form's)."""
    base = preset(args.preset) if args.preset else TrainConfig()
    try:
        return build_configs(given_values(args), base, confirmed=args.yes)
    except ConfigError as exc:
        raise _flag_error(exc) from None


def _flag_error(exc: ConfigError) -> RnnTuiError:
    """A ConfigError as the CLI says it: a sweep too large names --yes, fields their flags."""
    if isinstance(exc, SweepTooLarge):
        if exc.limit == SWEEP_CONFIRM_RUNS:
            return RnnTuiError(
                f"the sweep would start {exc.runs:,} runs; pass --yes to start more than "
                f"{exc.limit}"
            )
        return RnnTuiError(f"the sweep would start {exc.errors['sweep']}")
    return flag_errors(exc.errors)


def flag_errors(errors: dict[str, str]) -> RnnTuiError:
    """One line that names each bad field by its flag."""
    return RnnTuiError("; ".join(f"{flag(name)}: {message}" for name, message in errors.items()))
