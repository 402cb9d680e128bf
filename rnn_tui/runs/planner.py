"""The planner: the one answer, for every front end, to "what would this start, resume or
sweep run, and may it?".

The CLI (`rnn-tui train`), the TUI (Start, a resume from the Runs screen) and a search (each
sampled trial) call these and hand the RunPlan they get to the one executor (`rnn-tui train
--plan PATH` in a run process, or the same loop in the CLI's own process):

    plan_start(values, *, base=None, store=None, name=None, out_dir=None, confirmed=False)
        -> RunPlan | Question
        `values` are strings as typed in the form or given as flags, comma lists included (a
        sweep). A Question means the sweep is larger than SWEEP_CONFIRM_RUNS: ask, then plan
        again with confirmed=True. Raises ConfigError (a field's problem, by field name) or
        RnnTuiError (a run cannot train: corpus too short, memory too small) in one line.
    plan_resume(store, run_id, values=None) -> RunPlan
        Continue a stored run under its own id; `values` may hold the fields a resume may
        change (epochs, steps, time budget, device, corpus path). PlanRefused says why not.
    plan_resume_checkpoint(path, saved, values=None, *, store=None) -> RunPlan
        Continue from a checkpoint file whose config `saved` the caller read.
    resume_refusal(run, requested, *, alive) -> str | None
        The resume rule itself: `stopped` and `interrupted` runs resume; a `finished` one only
        with a larger budget; `error` and `diverged` runs, a live run, another host's run and
        a run whose checkpoint is gone are refused with the reason.
    default_sample_checkpoint(run) -> str
        The checkpoint a sample of a stored run opens by default: the best, else the last.

A search trial is `plan_start(sampled_values, base=study_base, store=..., confirmed=True)`; a
ConfigError or RnnTuiError from it is a failed trial whose reason is `str(error)`.

Planning reads the store and the corpus's length and vocabulary (`corpus_stats`, cached) and
never writes: a refused resume changes nothing. No torch and no Textual here: the TUI plans
in a worker thread of its own process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnn_tui.checkpoints.choice import sample_checkpoint
from rnn_tui.checkpoints.resume_changes import resume_config
from rnn_tui.config import FIELDS, TrainConfig, parse_value
from rnn_tui.errors import ConfigError, RnnTuiError
from rnn_tui.runs.plan import ResumeRef, RunPlan
from rnn_tui.runs.preflight import check_configs
from rnn_tui.runs.processes import run_is_alive
from rnn_tui.runs.sweep import SWEEP_CONFIRM_RUNS, SweepTooLarge, build_configs
from rnn_tui.store import RunRow, is_this_host
from rnn_tui.store.host import this_host

RESUMABLE = ("stopped", "interrupted")


class PlanRefused(RnnTuiError):
    """The planner's no: `str()` is the one line that says why."""


@dataclass(frozen=True)
class Question:
    """What the user must confirm before the plan is made: a sweep of `runs` runs, more than
    `limit` (SWEEP_CONFIRM_RUNS). Plan again with confirmed=True after a yes."""

    runs: int
    limit: int = SWEEP_CONFIRM_RUNS

    @property
    def text(self) -> str:
        return (
            f"Start a sweep of {self.runs:,} runs? That is more than {self.limit}; "
            "they run one after another."
        )


# --------------------------------------------------------------------------- start


def plan_start(
    values: Mapping[str, str],
    *,
    base: TrainConfig | None = None,
    store: str | Path | None = None,
    name: str | None = None,
    out_dir: str | Path | None = None,
    confirmed: bool = False,
) -> RunPlan | Question:
    """The plan of a new run or sweep from string values; see the module docstring."""
    try:
        configs = build_configs(dict(values), base, confirmed=confirmed)
    except SweepTooLarge as exc:
        if exc.limit == SWEEP_CONFIRM_RUNS:
            return Question(exc.runs)
        raise
    if out_dir is not None and len(configs) > 1:
        raise PlanRefused("--out takes one run; a sweep writes each run to the run store")
    check_configs(configs)
    question = Question(len(configs)).text if len(configs) > SWEEP_CONFIRM_RUNS else None
    return RunPlan(
        configs=tuple(configs),
        store=_text(store),
        name=name or None,
        out_dir=_text(out_dir),
        confirmed=question,
    )


# --------------------------------------------------------------------------- resume


def stored_config(run: RunRow) -> TrainConfig:
    """The run's settings as a TrainConfig; RnnTuiError when they no longer load."""
    try:
        return TrainConfig.from_dict(run.config)
    except (TypeError, ValueError) as exc:
        raise RnnTuiError(f"run {run.id}'s settings do not load: {exc}") from None


def resume_refusal(run: RunRow, requested: TrainConfig, *, alive: bool) -> str | None:
    """Why `run` may not resume with the config `requested`, or None when it may.

    `alive`: the run's writer process still lives (a `running` row whose process died is an
    interrupted run that the store has not marked yet).
    """
    if run.status == "running" and alive:
        pid = run.pid
        return (
            f"run {run.id} is still running (pid {pid}); stop it first "
            f"(rnn-tui runs stop {run.id}) or follow it (rnn-tui runs watch {run.id})"
        )
    if not is_this_host(run.hostname):  # its checkpoints are on that machine's disk
        return (
            f"run {run.id} ran on host {run.hostname}: its checkpoints are on that machine's "
            f"disk; resume it there (this is {this_host()})"
        )
    if run.status == "finished":
        saved = stored_config(run)
        if not (_larger_budget(saved, requested) and _trains_further(run, requested)):
            more = (
                f"--steps {run.steps + 1}"
                if saved.steps is not None
                else f"--epochs {run.epochs + 1}"
            )
            return (
                f"run {run.id} finished; clone it (c) and raise the epochs to train further, "
                f"or resume it with a larger budget (rnn-tui train --resume {run.id} {more})"
            )
    elif run.status not in (*RESUMABLE, "running"):
        return (
            f"run {run.id} {run.status}: only stopped or interrupted runs resume "
            "(and finished ones with a larger budget); clone it (c) to start again"
        )
    if not run.checkpoint:
        return f"run {run.id} has no checkpoint to resume from"
    if not Path(run.checkpoint).is_file():
        return f"run {run.id}'s checkpoint {run.checkpoint} is missing"
    return None


def _larger_budget(saved: TrainConfig, requested: TrainConfig) -> bool:
    """Whether `requested` gives the run more than it had: more epochs, more steps, or a
    longer (or no) time budget."""
    if requested.epochs > saved.epochs:
        return True
    if requested.steps is not None and (saved.steps is None or requested.steps > saved.steps):
        return True
    limit = requested.time_budget
    return saved.time_budget is not None and (limit is None or limit > saved.time_budget)


def _trains_further(run: RunRow, requested: TrainConfig) -> bool:
    """Whether a finished run resumed with `requested` has steps left to train: its step or
    epoch target lies beyond what it did, and its time budget (a total over every session)
    is not spent."""
    if requested.steps is not None:
        further = requested.steps > run.steps
    else:
        further = requested.epochs > run.epochs
    budget = requested.time_budget
    if budget is not None and run.seconds is not None:
        further = further and budget > run.seconds
    return further


def plan_resume(
    store: Any,
    run_id: int,
    values: Mapping[str, str] | None = None,
    *,
    out_dir: str | Path | None = None,
) -> RunPlan:
    """The plan that continues stored run `run_id` (`store` is an open RunStore), or
    PlanRefused; reads the store and never writes to it."""
    run = store.get_run(run_id)
    requested = resume_config(stored_config(run), _resume_values(values))
    refusal = resume_refusal(run, requested, alive=run_is_alive(store, run.id))
    if refusal is not None:
        raise PlanRefused(refusal)
    check_configs([requested])
    assert run.checkpoint is not None  # resume_refusal refuses a run without one
    return RunPlan(
        configs=(requested,),
        store=store.url.text,  # no password: the plan file never holds one
        out_dir=_text(out_dir),
        resume=ResumeRef(checkpoint=run.checkpoint, run_id=run.id),
    )


def plan_resume_checkpoint(
    path: str | Path,
    saved: TrainConfig,
    values: Mapping[str, str] | None = None,
    *,
    store: str | Path | None = None,
    out_dir: str | Path | None = None,
    name: str | None = None,
) -> RunPlan:
    """The plan that continues the checkpoint file `path`, whose config `saved` the caller
    read (reading it needs torch). Recorded as a new run when there is a store."""
    requested = resume_config(saved, _resume_values(values))
    check_configs([requested])
    return RunPlan(
        configs=(requested,),
        store=_text(store),
        name=name or None,
        out_dir=_text(out_dir),
        resume=ResumeRef(checkpoint=str(path)),
    )


def _resume_values(values: Mapping[str, str] | None) -> dict[str, Any]:
    """String values parsed one by one; a bad one is a ConfigError by field name."""
    given: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, text in (values or {}).items():
        if name not in FIELDS:
            raise ConfigError({name: "is not a setting"})
        try:
            given[name] = parse_value(name, text)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ConfigError(errors)
    return given


# --------------------------------------------------------------------------- sample


def default_sample_checkpoint(run: RunRow) -> str:
    """The checkpoint a sample of `run` opens when none is named: its best, else its last
    (RnnTuiError when none is saved or none is on disk). The CLI's `sample RUN_ID` and the
    Sample and Runs screens open this one."""
    return sample_checkpoint(run, prefer="best")


def _text(value: str | Path | None) -> str | None:
    return None if value is None else str(value)
