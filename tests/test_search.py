"""Searches with real processes: each trial is a run process, each worker may be one too.

Tiny corpus, a few epochs, one torch thread (conftest). The study lives in the journal file
beside the test's run store.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_calls import REPO, call_cli
from run_processes import wait_until

from rnn_tui.runs import study as study_module
from rnn_tui.runs.study import (
    REASON_ATTR,
    RETRIED_ATTR,
    RETRY_OF_ATTR,
    StudySpec,
    create_study,
    load_study,
    open_storage,
    storage_for,
)
from rnn_tui.store import RunStore, default_db_path


def tiny(corpus: Path, epochs: int = 1) -> list[str]:
    return [
        "train", "--corpus", str(corpus), "--cell", "rnn", "--batch-size", "4",
        "--num-steps", "8", "--sample-length", "0", "--epochs", str(epochs),
    ]  # fmt: skip


@pytest.fixture
def leftovers():
    """Kill any run process a failed test left running (each leads its own session)."""
    yield
    path = default_db_path()
    if not path.exists():
        return
    with RunStore(path) as store:
        for run in store.list_runs():
            if run.status == "running" and run.pid:
                try:
                    os.killpg(run.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def trials_of(name: str):
    study, _ = load_study(name, open_storage(default_db_path()), wait_s=0)
    return study.get_trials(deepcopy=False)


@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_a_search_runs_its_trials_as_stored_runs(tmp_path, tiny_corpus, leftovers, sampler):
    args = [*tiny(tiny_corpus), "--hidden", "8..16", "--lr", "1e-3..2e-2:log", "--trials", "2"]
    done = call_cli([*args, "--sampler", sampler, "--sweep", "s"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "study s: 2 trials (2 finished)" in done.stdout
    with RunStore() as store:
        runs = sorted(store.list_runs(), key=lambda r: r.sweep_index)
    assert [r.status for r in runs] == ["finished", "finished"]
    assert [r.sweep_index for r in runs] == [0, 1]
    assert len({r.sweep_id for r in runs}) == 1
    trials = trials_of("s")
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE"]
    for trial, run in zip(trials, runs, strict=True):
        assert trial.value == run.best_val_ppl  # the objective: the run's best val ppl
        assert run.config["hidden"] == trial.params["hidden"] and 8 <= run.hidden <= 16
        assert run.lr == pytest.approx(trial.params["lr"]) and 1e-3 <= run.lr <= 2e-2
        assert run.name == f"s #{trial.number}"
    shown = call_cli(["sweep", "show", "s"], cwd=tmp_path)
    assert shown.returncode == 0 and "study s: 2 trials (2 finished)" in shown.stdout
    best = min(runs, key=lambda r: r.best_val_ppl)
    first_row = shown.stdout.splitlines()[2].split()
    assert first_row[:4] == [
        str(best.sweep_index),
        "finished",
        f"{best.best_val_ppl:.3f}",
        str(best.id),
    ]
    listed = call_cli(["sweep", "list", "--json"], cwd=tmp_path)
    (study,) = json.loads(listed.stdout)
    assert (study["name"], study["sampler"], study["done"], study["trials"]) == ("s", sampler, 2, 2)


def test_median_pruning_stops_a_clearly_bad_trial(tmp_path, tiny_corpus, leftovers, monkeypatch):
    monkeypatch.setattr(study_module, "MEDIAN_STARTUP_TRIALS", 1)  # compare from trial 1 on
    args = [*tiny(tiny_corpus, epochs=25), "--hidden", "16", "--lr", "0.01,1e-8"]
    done = call_cli([*args, "--pruner", "median", "--sweep", "m"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    good, bad = trials_of("m")
    assert (good.state.name, bad.state.name) == ("COMPLETE", "PRUNED")
    assert bad.params == {"lr": "1e-8"}
    with RunStore() as store:
        good_run, bad_run = sorted(store.list_runs(), key=lambda r: r.sweep_index)
        bad_epochs = store.epoch_metrics(bad_run.id)
        assert bad_run.status == "pruned" and bad_run.message.startswith("pruned: val ppl")
        assert 1 <= len(bad_epochs) < 25  # its curve so far, kept
        assert good_run.epochs == 25
        assert bad_epochs[0]["val_ppl"] > 2 * store.epoch_metrics(good_run.id)[0]["val_ppl"]
        assert not list(store.run_dir_path(bad_run.id).glob("*.pt"))  # no --keep-checkpoints
        assert (store.run_dir_path(good_run.id) / "best.pt").is_file()
    assert "trial 1 pruned: val ppl" in done.stdout


def test_two_workers_never_train_a_grid_point_twice(tmp_path, tiny_corpus, leftovers):
    args = [*tiny(tiny_corpus), "--hidden", "8,16", "--lr", "0.01,0.02"]
    done = call_cli([*args, "--workers", "2", "--sweep", "g"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with RunStore() as store:
        runs = store.list_runs()
    points = {(r.hidden, r.lr) for r in runs}
    assert len(runs) == len(points) == 4, [(r.id, r.name) for r in runs]
    assert {r.status for r in runs} == {"finished"}
    trials = trials_of("g")
    assert sorted(t.number for t in trials) == list(range(4))
    assert {t.state.name for t in trials} == {"COMPLETE"}
    assert len({r.pid for r in runs}) == 4


def test_a_worker_killed_mid_trial_is_failed_and_rerun_once(tmp_path, tiny_corpus, leftovers):
    store_path = default_db_path()
    values = {"corpus": str(tiny_corpus), "cell": "rnn", "batch_size": "4", "num_steps": "8",
              "sample_length": "0", "epochs": "1", "hidden": "8,16"}  # fmt: skip
    from rnn_tui.runs.space import parse_space

    spec = StudySpec(parse_space(values, "grid").to_dict(), "grid", "none", 2)
    with RunStore(store_path) as store:
        create_study("k", spec, open_storage(store.path), store.create_sweep("k", []))
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        argv = [sys.executable, "-m", "rnn_tui", "sweep", "work", "k", f"--store={store_path}"]
        first = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until(
                lambda: any(r.sweep_index == 0 for r in store.list_runs()), 60, "trial 0's run"
            )
        finally:
            os.killpg(first.pid, signal.SIGKILL)  # the worker, not its trial's run process
            first.wait()
        orphan = next(r for r in store.list_runs() if r.sweep_index == 0)
        done = call_cli(["sweep", "work", "k"], cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "trial 0 failed: its worker process died; re-queued" in done.stdout
        wait_until(lambda: store.get_run(orphan.id).status != "running", 30, "the orphan to stop")
    trials = trials_of("k")
    states = {t.number: (t.state.name, t.params, t.user_attrs) for t in trials}
    assert [states[n][0] for n in sorted(states)] == ["FAIL", "COMPLETE", "COMPLETE"]
    failed = states[0][2]
    assert failed[RETRIED_ATTR] is True and failed[REASON_ATTR] == "its worker process died"
    assert states[2][2][RETRY_OF_ATTR] == 0 and states[2][1] == states[0][1]  # re-run once
    with RunStore() as store:
        # The orphan ends as the stop found it (stopped, or finished if its one epoch was
        # done); the two trials after it trained both points.
        assert store.get_run(orphan.id).status in ("stopped", "finished")
        reruns = [r for r in store.list_runs() if r.sweep_index in (1, 2)]
    assert sorted((r.hidden, r.status) for r in reruns) == [(8, "finished"), (16, "finished")]


def test_optuna_is_imported_only_when_a_search_runs(tmp_path, tiny_corpus):
    """Not by the TUI's start-up, the parser, or a plain `rnn-tui train`; yes by a search."""
    code = f"""
import sys
from rnn_tui.cli import main
import rnn_tui.ui.app
assert main({[*tiny(tiny_corpus), "--no-store", "--hidden", "8"]!r}) == 0
assert main(["runs", "list"]) == 0
print("before", "optuna" in sys.modules)
assert main(["sweep", "list"]) == 0
print("after", "optuna" in sys.modules)
"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "before False" in done.stdout and "after True" in done.stdout, done.stdout


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["--hidden", "128..64"], "--hidden: range 128..64 is empty"),
        (["--hidden", "64..128", "--sampler", "grid"], "--hidden: range 64..128 needs"),
        (["--lr", "a..b"], "--lr: range a..b: both ends must be numbers"),
        (["--lr", "0..1:log"], "--lr: range 0..1:log: a log range needs both ends above 0"),
        (["--hidden", "8..16", "--val-fraction", "0"], "--val-fraction 0: a search needs"),
        (["--hidden", "8,16", "--trials", "3"], "--trials 3: the grid has 2 points"),
        (["--trials", "3"], "a search needs a list"),
        (["--hidden", "8..16", "--resume", "1"], "--resume cannot be used with a search"),
        (["--hidden", "8,16", "--sampler", "tpe", "--workers", "-1"], "--workers: must be 0 or"),
    ],
)
def test_bad_search_flags_are_one_line(tmp_path, tiny_corpus, flags, line):
    done = call_cli([*tiny(tiny_corpus), *flags], cwd=tmp_path)
    assert done.returncode == 2
    assert line in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_sweep_commands_refuse_an_unknown_study_in_one_line(tmp_path):
    for command in (["show", "nope"], ["stop", "nope"], ["work", "nope"]):
        done = call_cli(["sweep", *command], cwd=tmp_path)
        assert done.returncode == 2
        assert (
            done.stderr == "rnn-tui: error: no study named 'nope' (rnn-tui sweep list shows them)\n"
        )


def test_runs_stop_fails_one_trial_and_sweep_stop_ends_the_study(tmp_path, tiny_corpus, leftovers):
    """`runs stop` on a trial: told as failed, not retried, and the worker goes on;
    `sweep stop`: the worker stops its current trial cleanly and leaves."""
    args = [*tiny(tiny_corpus, epochs=100_000), "--hidden", "8..16", "--trials", "5"]
    argv = [sys.executable, "-m", "rnn_tui", *args, "--sampler", "random", "--sweep", "st"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    search = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    try:
        with RunStore() as store:

            def trial_run(index: int):
                return next((r for r in store.list_runs() if r.sweep_index == index), None)

            wait_until(lambda: trial_run(0) and store.epoch_metrics(trial_run(0).id), 60, "trial 0")
            done = call_cli(["runs", "stop", str(trial_run(0).id)], cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            wait_until(lambda: trial_run(1), 60, "the worker to go on to trial 1")
            done = call_cli(["sweep", "stop", "st"], cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            output, _ = search.communicate(timeout=60)
            assert [trial_run(0).status, trial_run(1).status] == ["stopped", "stopped"]
            assert trial_run(2) is None
    finally:
        if search.poll() is None:
            search.kill()
            search.wait()
    assert "trial 0 failed: stopped by the user (rnn-tui runs stop)" in output
    assert "trial 1 failed: the sweep was stopped" in output
    trials = trials_of("st")
    assert [(t.number, t.state.name) for t in trials] == [(0, "FAIL"), (1, "FAIL")]
    assert not any(RETRY_OF_ATTR in t.user_attrs for t in trials)


def test_a_refused_trial_is_told_as_failed_with_its_reason(tmp_path, tiny_corpus, leftovers):
    values = {"corpus": str(tiny_corpus), "hidden": "8..16", "epochs": "1"}
    from rnn_tui.runs.space import parse_space

    spec = StudySpec(parse_space(values, "random").to_dict(), "random", "none", 1)
    with RunStore() as store:
        create_study("r", spec, storage_for(store), store.create_sweep("r", []))
    tiny_corpus.unlink()  # gone after the study was made: the trial's process refuses it
    done = call_cli(["sweep", "work", "r"], cwd=tmp_path)
    assert done.returncode == 1  # every trial it ran failed
    (trial,) = trials_of("r")
    assert trial.state.name == "FAIL"
    assert str(tiny_corpus) in trial.user_attrs[REASON_ATTR]
    assert f"trial 0 failed: {trial.user_attrs[REASON_ATTR]}" in done.stdout


def test_a_study_journal_that_cannot_be_opened_is_one_line(tmp_path):
    journal = default_db_path().with_name("runs.studies.journal")
    journal.mkdir(parents=True)  # a folder where the journal file belongs
    done = call_cli(["sweep", "list"], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"rnn-tui: error: cannot open the study journal {journal}: ")
    assert done.stderr.count("\n") == 1
