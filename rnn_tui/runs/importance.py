"""Which searched parameters mattered: Optuna's PED-ANOVA importances of a study's finished
trials, for the TUI's sweep view (and any other front end).

PED-ANOVA needs no scikit-learn (Optuna's default, fANOVA, does). With too few finished
trials it would call every parameter equally important; we say so instead of showing it.
Optuna is imported when this runs, never when it is imported.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from rnn_tui.plural import plural
from rnn_tui.runs.study import _optuna, optuna_errors

# Below this many finished trials there is nothing to compare.
MIN_FINISHED = 2


@dataclass(frozen=True)
class Importances:
    """(parameter, share) largest first, the shares summing to 1; `note` says why there are
    none (too few finished trials, nothing searched)."""

    shares: list[tuple[str, float]] = field(default_factory=list)
    note: str = ""


def param_importances(study: Any) -> Importances:
    optuna = _optuna()
    from optuna.importance import PedAnovaImportanceEvaluator, get_param_importances

    complete = optuna.trial.TrialState.COMPLETE
    with optuna_errors(f"cannot read study {study.study_name!r}"):
        finished = study.get_trials(deepcopy=False, states=(complete,))
    if len(finished) < MIN_FINISHED:
        return Importances(note=f"importances need {plural(MIN_FINISHED, 'finished trial')}")
    if not any(trial.params for trial in finished):
        return Importances(note="no parameter was searched")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with optuna_errors(f"cannot compute the importances of study {study.study_name!r}"):
            found = get_param_importances(
                study, evaluator=PedAnovaImportanceEvaluator(), normalize=True
            )
    if any("too small" in str(w.message) for w in caught):
        return Importances(note=f"too few finished trials ({len(finished)}) to compare")
    shares = sorted(((name, float(v)) for name, v in found.items()), key=lambda kv: -kv[1])
    return Importances(shares)
