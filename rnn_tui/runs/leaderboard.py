"""A study's leaderboard: one row per trial with its parameters, best validation perplexity,
status (pruned included), host and time, best first. Read from the study and the run store;
the CLI (`rnn-tui sweep show`) and the TUI show the same rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rnn_tui.errors import StoreError
from rnn_tui.runs.study import HOST_ATTR, REASON_ATTR, RUN_ATTR, SURPLUS_ATTR, optuna_errors
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
