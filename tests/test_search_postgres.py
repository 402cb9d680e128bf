"""Searches on a PostgreSQL store: the same database holds the runs and the study, workers see
each other only through it, and a dead worker's trial is failed and re-run once by Optuna's
heartbeat (its interval and grace shortened here)."""

from __future__ import annotations

import time

from cli_calls import call_cli
from test_search import tiny

from rnn_tui.runs.space import parse_space
from rnn_tui.runs.study import (
    StudySpec,
    create_study,
    distributions,
    load_study,
    storage_for,
    trial_heartbeat_seconds,
)
from rnn_tui.runs.worker import Worker
from rnn_tui.store import RunStore


def test_two_workers_share_a_grid_through_postgresql(tmp_path, tiny_corpus, pg_url, monkeypatch):
    monkeypatch.setenv("RNN_TUI_STORE", pg_url)  # the workers and their trials inherit it
    args = [*tiny(tiny_corpus), "--hidden", "8,16", "--lr", "0.01,0.02"]
    done = call_cli([*args, "--workers", "2", "--sweep", "pg"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with RunStore() as store:
        assert store.path is None  # the runs are in PostgreSQL
        runs = store.list_runs()
        argument = store.url.text  # what a worker and a trial get as --store
        study, _ = load_study("pg", storage_for(store), wait_s=0)
    assert len(runs) == len({(r.hidden, r.lr) for r in runs}) == 4
    assert {t.state.name for t in study.get_trials()} == {"COMPLETE"}
    assert "s3cret" not in argument and "s3cret" not in done.stdout + done.stderr


def test_a_trial_without_heartbeat_is_failed_and_rerun_once(tiny_corpus, pg_url, monkeypatch):
    monkeypatch.setenv("RNN_TUI_STORE", pg_url)
    # The run heartbeat's settings time the trial heartbeat too.
    monkeypatch.setenv("RNN_TUI_HEARTBEAT_S", "1")
    monkeypatch.setenv("RNN_TUI_HEARTBEAT_GRACE_S", "2")
    values = {"corpus": str(tiny_corpus), "cell": "rnn", "batch_size": "4", "num_steps": "8",
              "sample_length": "0", "epochs": "1", "hidden": "8..16"}  # fmt: skip
    spec = StudySpec(parse_space(values, "random").to_dict(), "random", "none", 2)
    with RunStore() as store:
        storage = storage_for(store)
        assert (storage.heartbeat_interval, storage.grace_period) == (1, 2)
        create_study("hb", spec, storage, store.create_sweep("hb", []))
        study, spec = load_study("hb", storage)
        lost = study.ask(distributions(spec.search_space()))  # a worker that dies at once
        storage.record_heartbeat(lost._trial_id)
        time.sleep(3)  # past the grace period
        Worker(study, spec, store, on_line=lambda line: None).run()
        trials = study.get_trials()
    states = [(t.number, t.state.name, t.system_attrs.get("failed_trial")) for t in trials]
    assert states == [(0, "FAIL", None), (1, "COMPLETE", 0), (2, "COMPLETE", None)]
    assert trials[1].params == trials[0].params


def test_the_trial_heartbeat_takes_the_run_heartbeat_settings(monkeypatch):
    monkeypatch.setenv("RNN_TUI_HEARTBEAT_S", "0.3")  # Optuna takes whole seconds
    monkeypatch.setenv("RNN_TUI_HEARTBEAT_GRACE_S", "2.5")
    assert trial_heartbeat_seconds() == (1, 3)
    monkeypatch.delenv("RNN_TUI_HEARTBEAT_S")
    monkeypatch.setenv("RNN_TUI_HEARTBEAT_GRACE_S", "4")  # never shorter than the interval
    assert trial_heartbeat_seconds() == (10, 10)
    monkeypatch.delenv("RNN_TUI_HEARTBEAT_GRACE_S")
    assert trial_heartbeat_seconds() == (10, 60)  # the defaults: 10 s beats, 60 s grace
