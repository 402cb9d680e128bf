"""A search's study written straight into a store's study journal, with matching stored runs:
finished, pruned and failed trials with fixed numbers, no process. Deterministic, so the
sweep view's rows, curves and importances can be checked (and snapshotted) in a second."""

from __future__ import annotations

import math
from pathlib import Path

from rnn_tui.config import TrainConfig
from rnn_tui.runs.space import parse_space
from rnn_tui.runs.study import (
    HOST_ATTR,
    REASON_ATTR,
    RUN_ATTR,
    StudySpec,
    create_study,
    storage_for,
)
from rnn_tui.runs.study import distributions as study_distributions
from rnn_tui.store import RunStore
from rnn_tui.training.events import EpochEnd

HOST = "lab-1"
# (state, hidden, lr, validation perplexity per epoch, seconds)
TRIALS = (
    ("finished", 256, 0.003, (9.0, 6.5, 5.2), 41.0),
    ("pruned", 64, 0.0002, (14.0,), 12.5),
    ("finished", 512, 0.001, (8.0, 6.0, 4.9), 63.0),
    ("failed", 128, 0.009, (), 3.0),
    ("finished", 96, 0.0005, (12.0, 9.5, 7.75), 30.0),
)
SPACE = {"hidden": "64..512", "lr": "1e-4..1e-2:log", "epochs": "3"}


def fake_study(store_path: Path | str, name: str = "demo") -> list[int]:
    """Study `name` (tpe, median pruning, 5 trials over hidden and lr) with the store at
    `store_path` (beside a SQLite file, in a PostgreSQL database), each trial with a stored
    run of its epochs; the runs' ids in trial order."""
    import optuna

    space = parse_space(SPACE, "tpe")
    spec = StudySpec(space.to_dict(), "tpe", "median", len(TRIALS))
    run_ids = []
    with RunStore(store_path) as store:
        storage = storage_for(store)
        sweep_id = store.create_sweep(name, [])
        study = create_study(name, spec, storage, sweep_id)
        for number, (state, hidden, lr, ppls, seconds) in enumerate(TRIALS):
            run_id = _stored_run(store, f"{name} #{number}", hidden, lr, ppls, seconds, state)
            store.update_run(run_id, sweep_id=sweep_id, sweep_index=number)
            run_ids.append(run_id)
            attrs = {RUN_ATTR: run_id, HOST_ATTR: HOST}
            if state != "finished":
                attrs[REASON_ATTR] = "val ppl 14.000 at epoch 1" if ppls else "run diverged"
            trial_state = {
                "finished": optuna.trial.TrialState.COMPLETE,
                "pruned": optuna.trial.TrialState.PRUNED,
                "failed": optuna.trial.TrialState.FAIL,
            }[state]
            study.add_trial(
                optuna.trial.create_trial(
                    state=trial_state,
                    value=min(ppls) if state == "finished" else None,
                    params={"hidden": hidden, "lr": lr},
                    distributions=study_distributions(space),
                    user_attrs=attrs,
                    intermediate_values={i + 1: p for i, p in enumerate(ppls)},
                )
            )
    return run_ids


def _stored_run(store, name, hidden, lr, ppls, seconds, state) -> int:
    config = TrainConfig().replace(hidden=hidden, lr=lr, epochs=3).to_dict()
    run_id = store.create_run(config, name=name, device="cpu", params=1000 + hidden)
    recorder = store.recorder(run_id)
    for epoch, ppl in enumerate(ppls, start=1):
        step = epoch * 10
        recorder(
            EpochEnd(epoch, step, math.log(ppl + 1), ppl + 1, math.log(ppl), ppl, 900.0,
                     step * 32, seconds * epoch / 3, "", True, None)
        )  # fmt: skip
    recorder.flush()
    status = "diverged" if state == "failed" else ("stopped" if state == "pruned" else "finished")
    store.finish_run(
        run_id, status, best_val_ppl=min(ppls) if ppls else None, seconds=seconds,
        epochs=len(ppls),
    )  # fmt: skip
    if state == "pruned":
        store.update_run(run_id, status="pruned", message="pruned: val ppl 14.000 at epoch 1")
    return run_id
