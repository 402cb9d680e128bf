"""The searches a run store holds, for a viewer: every study's summary, the study behind a
stored sweep, and one study read whole (its spec, its leaderboard, its importances).

The leaderboard's rows and the importances come from runs.leaderboard (as `rnn-tui sweep
show` prints them): a viewer shows them and never recomputes them. Optuna is imported when
these run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.leaderboard import TrialRow, importances, leaderboard
from rnn_tui.runs.study import (
    StudySpec,
    journal_path,
    load_study,
    storage_for,
    study_names,
)
from rnn_tui.store import RunStore

ENDED = ("finished", "pruned", "failed")


@dataclass(frozen=True)
class StudySummary:
    name: str
    sampler: str
    pruner: str
    trials: int
    done: int  # finished, pruned or failed
    running: int
    best_val_ppl: float | None


@dataclass
class StudyView:
    """One study as a viewer shows it."""

    name: str
    spec: StudySpec
    rows: list[TrialRow] = field(default_factory=list)
    importances: dict[str, float] = field(default_factory=dict)  # largest first

    def summary(self) -> StudySummary:
        return summarize(self.name, self.spec, self.rows)


def summarize(name: str, spec: StudySpec, rows: list[TrialRow]) -> StudySummary:
    best = next((r.best_val_ppl for r in rows if r.status == "finished"), None)
    return StudySummary(
        name,
        spec.sampler,
        spec.pruner,
        spec.trials,
        done=sum(1 for r in rows if r.status in ENDED),
        running=sum(1 for r in rows if r.status == "running"),
        best_val_ppl=best,
    )


def study_summaries(storage: Any) -> list[StudySummary]:
    """Every study made by rnn-tui in the storage, in the storage's order."""
    found = []
    for name in study_names(storage):
        try:
            study, spec = load_study(name, storage, wait_s=0)
        except RnnTuiError:
            continue  # not one of ours, or still being set up
        found.append(summarize(name, spec, leaderboard(study)))
    return found


def may_hold_studies(store: RunStore) -> bool:
    """False where a SQLite store has no study journal yet (so no search); needs no Optuna."""
    url = getattr(store, "url", None)
    return bool(getattr(url, "is_postgres", False)) or journal_path(store.path).exists()


def existing_storage(store: RunStore) -> Any | None:
    """The store's study storage, or None where it has none yet: a viewer never creates
    one (reading writes nothing)."""
    return storage_for(store) if may_hold_studies(store) else None


def read_study(store: RunStore, name: str, storage: Any | None = None) -> StudyView:
    """Study `name` of the store's study storage, its leaderboard filled from the store."""
    storage = storage if storage is not None else storage_for(store)
    study, spec = load_study(name, storage, wait_s=0)
    return StudyView(name, spec, leaderboard(study, store), importances(study))
