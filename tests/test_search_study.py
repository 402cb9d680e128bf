"""The study's bookkeeping without processes: what counts toward --trials, surplus trials,
the leaderboard's order and the parameter importances."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

from rnn_tui.runs.leaderboard import importances, leaderboard
from rnn_tui.runs.space import parse_space
from rnn_tui.runs.study import (
    RETRIED_ATTR,
    SURPLUS_ATTR,
    StudySpec,
    counted_trials,
    is_surplus,
    trials_left,
)

DISTRIBUTIONS = {"hidden": IntDistribution(8, 64), "lr": FloatDistribution(1e-4, 1e-1, log=True)}


def spec(trials: int) -> StudySpec:
    return StudySpec(parse_space({"hidden": "8..64"}, "random").to_dict(), "random", "none", trials)


def add(study, state=TrialState.COMPLETE, value=None, attrs=None, system=None, **params):
    params = {"hidden": 16, "lr": 0.01, **params}
    study.add_trial(
        create_trial(
            state=state, value=value if state == TrialState.COMPLETE else None, params=params,
            distributions=DISTRIBUTIONS, user_attrs=attrs or {}, system_attrs=system or {},
        )
    )  # fmt: skip


def test_retried_and_surplus_trials_do_not_count_toward_trials():
    study = optuna.create_study()
    add(study, value=5.0)
    add(study, TrialState.FAIL, attrs={RETRIED_ATTR: True})  # our retry rule re-queued it
    add(study, TrialState.FAIL)  # retried by Optuna's heartbeat callback, below
    add(study, TrialState.WAITING, system={"failed_trial": 2})
    add(study, TrialState.FAIL, attrs={SURPLUS_ATTR: True})
    add(study, TrialState.PRUNED)
    trials = study.get_trials()
    assert [t.number for t in counted_trials(trials)] == [0, 3, 5]
    # 3 counted, of which one waits: 5 - 3 + 1 left to start
    assert trials_left(study, spec(5)) == 3
    assert trials_left(study, spec(2)) == 1  # only the waiting one
    # A trial 6 asked now: three counted trials come before it.
    assert not is_surplus(study, spec(4), 6)
    assert is_surplus(study, spec(3), 6)


def test_the_leaderboard_puts_finished_trials_first_by_best_val_ppl():
    study = optuna.create_study()
    add(study, value=7.0, hidden=8)
    add(study, TrialState.PRUNED, attrs={"reason": "worse"})
    add(study, value=5.5, hidden=32)
    add(study, TrialState.FAIL, attrs={SURPLUS_ATTR: True})
    rows = leaderboard(study)
    assert [(r.number, r.status, r.best_val_ppl) for r in rows] == [
        (2, "finished", 5.5), (0, "finished", 7.0), (1, "pruned", None),
    ]  # fmt: skip
    assert rows[2].reason == "worse" and rows[0].params == {"hidden": 32, "lr": 0.01}


def test_importances_name_the_setting_that_matters():
    study = optuna.create_study()
    assert importances(study) == {}  # no finished trial yet
    for i in range(12):
        hidden = 8 + 4 * i
        add(study, value=100.0 / hidden, hidden=hidden, lr=1e-3 * (1 + (i * 7) % 5))
    found = importances(study)
    assert list(found) == ["hidden", "lr"]  # the value depends on hidden alone
    assert sum(found.values()) == pytest.approx(1.0)
    assert found["hidden"] > 0.5


def test_a_run_that_ended_long_ago_with_its_trial_untold_has_no_worker(tmp_path):
    from types import SimpleNamespace

    from rnn_tui.runs.recovery import UNTOLD_GRACE_S, run_ended_untold
    from rnn_tui.runs.study import RUN_ATTR
    from rnn_tui.store import RunStore

    with RunStore(tmp_path / "runs.sqlite3") as store:
        ended, running = store.create_run({}), store.create_run({})
        store.finish_run(ended, "finished")
        at = store.get_run(ended).ended
        trial = SimpleNamespace(user_attrs={RUN_ATTR: ended})
        assert not run_ended_untold(trial, store, now=at + 1)  # its worker is telling it
        assert run_ended_untold(trial, store, now=at + UNTOLD_GRACE_S + 1)
        assert not run_ended_untold(SimpleNamespace(user_attrs={RUN_ATTR: running}), store)
        assert not run_ended_untold(SimpleNamespace(user_attrs={}), store)
        assert not run_ended_untold(SimpleNamespace(user_attrs={RUN_ATTR: 999}), store)
