"""A study's worker: asks Optuna for a trial, runs it as an ordinary run process, follows the
run's validation rows through the store to report them and prune, and tells the study how it
ended. It loops until the study has its trials, the study is stopped, or it is told to stop.

Pruning across processes: the trial is the run process; the worker reads its epoch rows and
the evaluations within an epoch that its row shows (RunFollower, Reports), calls
trial.report and should_prune, and stops a pruned run cleanly
(SIGTERM, as `runs stop` does), then marks it `pruned`.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.runs.follow import RunFollower
from rnn_tui.runs.processes import Launch, stop_run
from rnn_tui.runs.recovery import recover_dead_trials
from rnn_tui.runs.space import SearchSpace
from rnn_tui.runs.study import (
    HOST_ATTR,
    REASON_ATTR,
    RUN_ATTR,
    STEPS_PER_EPOCH,
    SURPLUS_ATTR,
    WORKER_ATTR,
    StudySpec,
    distributions,
    has_heartbeat,
    is_surplus,
    journal_path,
    optuna_errors,
    stop_requested,
    sweep_of,
    trials_left,
)
from rnn_tui.runs.trial_run import mark_pruned, start_trial_run, wait_for_run
from rnn_tui.store import RunStore, process_token
from rnn_tui.store.host import this_host

POLL_S = 0.25  # how often the worker reads its run's rows

STOP_CHECK_S = 2.0  # how often it reads the study's stop flag
USER_STOP_REASON = "stopped by the user (rnn-tui runs stop)"
SWEEP_STOP_REASON = "the sweep was stopped"
WORKER_STOP_REASON = "its worker was stopped"


@dataclass
class TrialOutcome:
    number: int
    state: str  # finished | pruned | failed
    run_id: int | None = None
    value: float | None = None
    reason: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0  # the run's training time (a pruned trial's until it stopped)

    def line(self) -> str:
        params = " ".join(f"{k}={_short(v)}" for k, v in self.params.items())
        run = f" (run {self.run_id})" if self.run_id is not None else ""
        if self.state == "finished":
            head = f"trial {self.number} finished: best val ppl {self.value:.3f}"
        elif self.state == "pruned":
            head = f"trial {self.number} pruned: {self.reason}"
        else:
            head = f"trial {self.number} failed: {self.reason}"
        return f"{head}{run} {params}".rstrip()


class Worker:
    """Runs trials of one study until it has its trials. `on_line` gets one line per event."""

    def __init__(
        self,
        study: Any,
        spec: StudySpec,
        store: RunStore,
        *,
        on_line: Callable[[str], None] = print,
        keep_going: Callable[[list[TrialOutcome]], bool] | None = None,
    ) -> None:
        self.study = study
        self.spec = spec
        self.space: SearchSpace = spec.search_space()
        self.store = store
        self.on_line = on_line
        self.keep_going = keep_going  # asked before each trial, e.g. for a budget of seconds
        self.sweep_id = sweep_of(study)
        self.stopping: str | None = None  # the reason, once told to stop
        self.outcomes: list[TrialOutcome] = []
        self._last_stop_check = 0.0
        self._heartbeat = has_heartbeat(study._storage)

    def stop(self, reason: str = WORKER_STOP_REASON) -> None:
        """End the current trial cleanly and leave (a signal handler may call it)."""
        self.stopping = self.stopping or reason

    def run(self) -> list[TrialOutcome]:
        while self.stopping is None:
            self._recover()
            if self._study_stopped(force=True):
                break
            if trials_left(self.study, self.spec) <= 0:
                break
            if self.keep_going is not None and not self.keep_going(self.outcomes):
                break
            outcome = self.run_trial()
            if outcome is None:
                break
            self.outcomes.append(outcome)
            self.on_line(outcome.line())
        return self.outcomes

    # -- one trial

    def run_trial(self) -> TrialOutcome | None:
        """Ask, run, follow and tell one trial; None when the study had no trial left."""
        from optuna.trial import TrialState

        with optuna_errors("cannot start a trial"):
            trial = self.study.ask(distributions(self.space))
            if is_surplus(self.study, self.spec, trial.number):
                trial.set_user_attr(SURPLUS_ATTR, True)
                self.study.tell(trial, state=TrialState.FAIL)
                return None
            trial.set_user_attr(HOST_ATTR, this_host())
            trial.set_user_attr(WORKER_ATTR, [os.getpid(), process_token(os.getpid())])
        with self._heartbeat_thread(trial):
            outcome = self._run(trial)
        with optuna_errors(f"cannot record trial {trial.number}"):
            if outcome.reason:
                trial.set_user_attr(REASON_ATTR, outcome.reason)
            if outcome.state == "finished":
                self.study.tell(trial, outcome.value)
            elif outcome.state == "pruned":
                self.study.tell(trial, state=TrialState.PRUNED)
            else:
                self.study.tell(trial, state=TrialState.FAIL)
        return outcome

    def _run(self, trial: Any) -> TrialOutcome:
        outcome = TrialOutcome(trial.number, "failed", params=dict(trial.params))
        name = f"{self.study.study_name} #{trial.number}"
        try:
            child = start_trial_run(self.space.values(trial.params), self.store, name=name)
        except RnnTuiError as exc:
            outcome.reason = str(exc)
            return outcome
        try:
            run_id = wait_for_run(self.store, child)
            if run_id is None:
                child.process.wait()
                outcome.reason = _refusal(child)
                return outcome
            outcome.run_id = run_id
            self.store.update_run(run_id, sweep_id=self.sweep_id, sweep_index=trial.number)
            with optuna_errors(f"cannot record trial {trial.number}"):
                trial.set_user_attr(RUN_ATTR, run_id)
            self._follow(trial, run_id, outcome)
        finally:
            with contextlib.suppress(Exception):
                child.process.wait(timeout=60)
        return outcome

    def _follow(self, trial: Any, run_id: int, outcome: TrialOutcome) -> None:
        """Report each validation (epoch ends and evaluations within epochs); stop the run
        when pruned or told to stop; fill `outcome` from the run's end."""
        follower = RunFollower(self.store, run_id)
        reports = Reports()
        pruned_at: str | None = None
        stopped_for: str | None = None
        while True:
            try:
                update = follower.poll()
            except StoreError:  # locked or unreachable for now: the next poll retries
                time.sleep(POLL_S)
                continue
            for step, value, where in reports.new(update):
                if pruned_at is not None:
                    break
                with optuna_errors(f"cannot report trial {trial.number}"):
                    trial.report(value, step)
                    prune = trial.should_prune()
                if prune:
                    pruned_at = f"val ppl {value:.3f} {where}"
                    self._stop_run(run_id)
            if update.ended:
                run = update.run
                outcome.seconds = float(run.seconds or 0.0)
                break
            if stopped_for is None and (self.stopping or self._study_stopped()):
                stopped_for = self.stopping or SWEEP_STOP_REASON
                self._stop_run(run_id)
            time.sleep(POLL_S)
        if run.status == "finished":
            if run.best_val_ppl is None:
                outcome.reason = "the run recorded no validation perplexity"
            else:
                outcome.state, outcome.value = "finished", float(run.best_val_ppl)
        elif run.status == "stopped" and pruned_at is not None and stopped_for is None:
            outcome.state = "pruned"
            outcome.reason = f"{pruned_at}, worse than the others"
            mark_pruned(
                self.store, run_id, f"pruned: {outcome.reason}",
                keep_checkpoints=self.spec.keep_checkpoints,
            )  # fmt: skip
        elif run.status == "stopped":
            outcome.reason = stopped_for or USER_STOP_REASON
        else:
            outcome.reason = f"run {run.status}" + (f": {run.message}" if run.message else "")

    def _stop_run(self, run_id: int) -> None:
        with contextlib.suppress(RnnTuiError):  # it ended meanwhile: its own end stands
            stop_run(self.store, run_id)

    # -- the study around it

    def _study_stopped(self, force: bool = False) -> bool:
        now = time.monotonic()
        if not force and now - self._last_stop_check < STOP_CHECK_S:
            return False
        self._last_stop_check = now
        if stop_requested(self.study):
            self.stop(SWEEP_STOP_REASON)
            return True
        return False

    def _recover(self) -> None:
        """Fail and re-queue the trials of dead workers: Optuna's heartbeat on PostgreSQL,
        our liveness rule on the journal file."""
        if self._heartbeat:
            from optuna.storages import fail_stale_trials

            with optuna_errors("cannot recover the study's trials"):
                fail_stale_trials(self.study)
            return
        lock = journal_path(self.store.path).with_suffix(".recover.lock")
        for line in recover_dead_trials(self.study, self.store, lock):
            self.on_line(line)

    def _heartbeat_thread(self, trial: Any) -> Any:
        if not self._heartbeat:
            return contextlib.nullcontext()
        from optuna.storages._heartbeat import get_heartbeat_thread

        return get_heartbeat_thread(trial._trial_id, self.study._storage)


class Reports:
    """The validations a trial reports to the study, with Optuna steps that only grow and
    that line up across trials: epoch k ends at k * STEPS_PER_EPOCH whatever the trial's
    batch size; the j-th evaluation within epoch k (--eval-interval) at
    (k - 1) * STEPS_PER_EPOCH + j. An evaluation within an epoch shows in the run's row (its
    last validation perplexity, final_val_ppl, newer than its last epoch row)."""

    def __init__(self) -> None:
        self.epoch = 0  # the last epoch reported
        self.within = 0  # evaluations reported within the epoch after it
        self.last_value: float | None = None  # the last validation perplexity seen
        self.step = 0

    def new(self, update: Any) -> list[tuple[int, float, str]]:
        """(step, val ppl, where) for each validation the update shows for the first time."""
        found: list[tuple[int, float, str]] = []
        for row in update.epochs:
            value = row.get("val_ppl")
            self.epoch, self.within = int(row["epoch"]), 0
            if value is None or not math.isfinite(value):
                continue
            self.last_value = float(value)
            found.append((self.epoch * STEPS_PER_EPOCH, float(value), f"at epoch {self.epoch}"))
        run = update.run
        value = run.final_val_ppl
        # The row was read before the epoch rows: an epoch that ended in between shows its
        # row now, and the row's value may be an evaluation of that epoch (reported there).
        if (
            not update.ended
            and run.epochs == self.epoch
            and value is not None
            and math.isfinite(value)
            and value != self.last_value
            and self.within < STEPS_PER_EPOCH - 1
        ):
            self.within += 1
            self.last_value = float(value)
            step = self.epoch * STEPS_PER_EPOCH + self.within
            found.append((step, float(value), f"in epoch {self.epoch + 1}"))
        found = [item for item in found if item[0] > self.step]
        if found:
            self.step = found[-1][0]
        return found


def _refusal(child: Launch) -> str:
    line = child.error_line()
    return line.removeprefix("rnn-tui: error: ").removeprefix("rnn-tui: ")


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
