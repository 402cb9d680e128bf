"""The engine behind the TUI's sweep view: a study read whole (the leaderboard's rows and
importances, as `rnn-tui sweep show` has them) and every study's summary."""

from __future__ import annotations

import pytest
from fake_study import HOST, TRIALS, fake_study

from rnn_tui.runs.leaderboard import importances, leaderboard, study_of_sweep
from rnn_tui.runs.studies import existing_storage, read_study, study_summaries
from rnn_tui.runs.study import load_study, open_storage
from rnn_tui.store import RunStore, default_db_path


@pytest.fixture
def demo():
    path = default_db_path()
    run_ids = fake_study(path)
    return path, run_ids


def test_a_study_read_whole_has_the_leaderboards_rows_and_importances(demo):
    path, run_ids = demo
    with RunStore(path) as store:
        view = read_study(store, "demo")
        study, _ = load_study("demo", open_storage(path), wait_s=0)
        assert [r.to_dict() for r in view.rows] == [
            r.to_dict() for r in leaderboard(study, store)
        ]  # the same rows as `rnn-tui sweep show`
        assert view.importances == importances(study)
    finished = sorted(min(t[3]) for t in TRIALS if t[0] == "finished")
    assert [r.best_val_ppl for r in view.rows[:3]] == finished
    assert [r.status for r in view.rows].count("pruned") == 1
    assert {r.status for r in view.rows} == {"finished", "pruned", "failed"}
    pruned = next(r for r in view.rows if r.status == "pruned")
    assert pruned.best_val_ppl == 14.0 and pruned.run_id == run_ids[1]  # its curve so far
    assert {r.host for r in view.rows} == {HOST}
    assert sorted(r.seconds for r in view.rows) == sorted(t[4] for t in TRIALS)
    assert sorted(view.importances) == ["hidden", "lr"]
    assert sum(view.importances.values()) == pytest.approx(1.0)
    summary = view.summary()
    assert (summary.done, summary.running, summary.trials) == (5, 0, 5)
    assert summary.best_val_ppl == finished[0]


def test_every_study_is_summarized_and_a_sweep_finds_its_study(demo):
    path, run_ids = demo
    storage = open_storage(path)
    (summary,) = study_summaries(storage)
    assert (summary.name, summary.sampler, summary.pruner, summary.done) == (
        "demo", "tpe", "median", 5,
    )  # fmt: skip
    with RunStore(path) as store:
        sweep_id = store.get_run(run_ids[0]).sweep_id
        other = store.create_sweep("comma list", [{"hidden": 8}])
        assert study_of_sweep(store, sweep_id).study_name == "demo"
        assert study_of_sweep(store, other) is None


def test_a_store_without_studies_gets_no_journal():
    with RunStore(default_db_path()) as store:
        assert existing_storage(store) is None
    assert list(default_db_path().parent.glob("*.journal")) == []
