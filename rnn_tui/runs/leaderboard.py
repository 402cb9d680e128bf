"""A study's leaderboard: one row per trial with its parameters, best validation perplexity,
status (pruned included), host and time, best first. Read from the study and the run store;
the CLI (`rnn-tui sweep show`) and the TUI show the same rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rnn_tui.errors import StoreError
from rnn_tui.runs.study import (
    HOST_ATTR,
    REASON_ATTR,
    RUN_ATTR,
    SURPLUS_ATTR,
    SWEEP_ATTR,
    journal_path,
    load_study,
    optuna_errors,
    storage_for,
    study_names,
)
from rnn_tui.store import RunStore

# Optuna's trial states as a leaderboard says them.
STATUS = {
    "COMPLETE": "finished",
    "PRUNED": "pruned",
    "FAIL": "failed",
    "RUNNING": "running",
    "WAITING": "waiting",
}


@dataclass
class TrialRow:
    number: int
    status: str
    params: dict[str, Any] = field(default_factory=dict)
    best_val_ppl: float | None = None
    host: str = ""
    seconds: float | None = None
    run_id: int | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def leaderboard(study: Any, store: RunStore | None = None) -> list[TrialRow]:
    """Every trial but surplus ones; finished trials by best val ppl, then the others by
    their best so far, then by number."""
    with optuna_errors(f"cannot read study {study.study_name!r}"):
        trials = study.get_trials(deepcopy=False)
    rows = []
    for trial in trials:
        attrs = trial.user_attrs
        if attrs.get(SURPLUS_ATTR):
            continue
        row = TrialRow(
            number=trial.number,
            status=STATUS.get(trial.state.name, trial.state.name.lower()),
            params=dict(trial.params),
            best_val_ppl=trial.value if trial.state.name == "COMPLETE" else None,
            host=str(attrs.get(HOST_ATTR, "")),
            run_id=attrs.get(RUN_ATTR),
            reason=str(attrs.get(REASON_ATTR, "")),
        )
        if trial.datetime_start is not None and trial.datetime_complete is not None:
            row.seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
        if store is not None and row.run_id is not None:
            _fill_from_run(row, store)
        rows.append(row)
    rows.sort(key=_rank)
    return rows


MIN_TRIALS_FOR_IMPORTANCE = 3


def study_of_sweep(store: RunStore, sweep_id: int) -> Any | None:
    """The study whose trials are the runs of sweep `sweep_id`; None for a comma-list sweep.
    Optuna is imported only when the store keeps studies (a journal file beside it, or a
    database that holds them)."""
    path = getattr(store, "path", None)
    if path is not None and not journal_path(path).exists():
        return None  # no search ever ran on this store
    name = store.sweep_name(sweep_id)
    storage = storage_for(store)
    if name not in study_names(storage):
        return None
    study, _ = load_study(name, storage, wait_s=0)
    return study if study.user_attrs.get(SWEEP_ATTR) == sweep_id else None


def importances(study: Any) -> dict[str, float]:
    """Each searched setting's importance to the best validation perplexity (PED-ANOVA, which
    needs no scikit-learn), largest first, summing to 1; {} before 3 finished trials or when
    fewer than two settings vary."""
    from optuna.importance import PedAnovaImportanceEvaluator, get_param_importances
    from optuna.trial import TrialState

    with optuna_errors(f"cannot read study {study.study_name!r}"):
        done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    names = {name for trial in done for name in trial.params}
    varied = [n for n in names if len({str(t.params.get(n)) for t in done}) > 1]
    if len(done) < MIN_TRIALS_FOR_IMPORTANCE or not varied:
        return {}
    with optuna_errors("cannot compute the parameter importances"):
        found = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
    return dict(sorted(found.items(), key=lambda item: -item[1]))


def _fill_from_run(row: TrialRow, store: RunStore) -> None:
    try:
        run = store.get_run(int(row.run_id))  # type: ignore[arg-type]
    except StoreError:
        return  # deleted, or in another host's store
    if row.best_val_ppl is None:
        row.best_val_ppl = run.best_val_ppl
    if run.seconds is not None:
        row.seconds = run.seconds


def _rank(row: TrialRow) -> tuple[int, float, int]:
    first = 0 if row.status == "finished" else 1
    value = row.best_val_ppl if row.best_val_ppl is not None else float("inf")
    return first, value, row.number
