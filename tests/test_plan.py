"""Runs are plans: the planner's verdicts, plan files (strict load), and the run process that
executes a plan (`rnn-tui train --plan PATH`) instead of flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rnn_tui.cli import main
from rnn_tui.errors import ConfigError
from rnn_tui.runs.plan import PLAN_FILE, PLAN_SCHEMA, PlanError, RunPlan, load_plan, save_plan
from rnn_tui.runs.planner import (
    PlanRefused,
    Question,
    default_sample_checkpoint,
    plan_resume,
    plan_start,
)
from rnn_tui.store import RunStore

TINY = ["--hidden", "8", "--batch-size", "4", "--num-steps", "8", "--sample-length", "0"]
TINY_VALUES = {"hidden": "8", "batch_size": "4", "num_steps": "8", "sample_length": "0"}


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnn-tui: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def trained(tiny_corpus: Path, capsys) -> int:
    """A finished one-epoch run in the store; its id."""
    code, _, err = run_cli(["train", "--corpus", str(tiny_corpus), *TINY, "--epochs", "1"], capsys)
    assert code == 0, err
    return 1


# --------------------------------------------------------------------------- plan files


def test_a_plan_round_trips_through_its_file_and_records_the_versions(tiny_corpus, tmp_path):
    values = {**TINY_VALUES, "corpus": str(tiny_corpus), "hidden": "8,12"}
    plan = plan_start(values, store=tmp_path / "runs.sqlite3", name="pair")
    assert isinstance(plan, RunPlan) and [c.hidden for c in plan.configs] == [8, 12]
    path = save_plan(plan, tmp_path / "plan.json")
    loaded = load_plan(path)
    assert loaded == plan
    from importlib import metadata

    assert loaded.versions.torch == metadata.version("torch")
    assert loaded.store == str(tmp_path / "runs.sqlite3") and loaded.name == "pair"


def _rewrite(path: Path, change, *, fix_checksum: bool) -> None:
    from rnn_tui.runs.plan import _digest

    document = json.loads(path.read_text())
    change(document)
    if fix_checksum:
        document["sha256"] = _digest(document["plan"])
    path.write_text(json.dumps(document))


BAD_PLANS = {
    "newer schema": (lambda d: d.update(schema=PLAN_SCHEMA + 1), True, "another version"),
    "older schema": (lambda d: d.update(schema=0), True, "an older version"),
    "edited by hand": (lambda d: d["plan"]["configs"][0].update(hidden=9), False, "was changed"),
    "unknown field": (lambda d: d["plan"].update(extra=1), True, "unknown extra"),
    "config field missing": (lambda d: d["plan"]["configs"][0].pop("lr"), True, "missing lr"),
    "bad config value": (
        lambda d: d["plan"]["configs"][0].update(hidden=-3),
        True,
        "hidden: must be at least 1",
    ),
    "text for a number": (
        lambda d: d["plan"]["configs"][0].update(hidden="8"),
        True,
        "hidden: must be a whole number",
    ),
    "no runs": (lambda d: d["plan"].update(configs=[]), True, "at least one run"),
    "not a plan": (lambda d: d.update(format="something"), True, "is not an rnn-tui run plan"),
}


@pytest.mark.parametrize("name", BAD_PLANS)
def test_a_plan_of_another_version_or_tampered_with_is_refused_in_one_line(
    name, tiny_corpus, tmp_path, capsys
):
    change, fix_checksum, message = BAD_PLANS[name]
    plan = plan_start({**TINY_VALUES, "corpus": str(tiny_corpus)}, store=tmp_path / "db.sqlite3")
    path = save_plan(plan, tmp_path / "plan.json")
    _rewrite(path, change, fix_checksum=fix_checksum)
    with pytest.raises(PlanError, match=message):
        load_plan(path)
    code, _, err = run_cli(["train", "--plan", str(path)], capsys)
    assert code == 2 and message in one_line_error(err)
    assert not (tmp_path / "db.sqlite3").exists()  # refused before anything was built


def test_a_plan_that_is_not_json_is_refused(tmp_path, capsys):
    path = tmp_path / "plan.json"
    path.write_bytes(b"\x00\xffnot json")
    code, _, err = run_cli(["train", "--plan", str(path)], capsys)
    assert code == 2 and "is not an rnn-tui run plan (not JSON)" in one_line_error(err)


def test_a_plan_takes_no_other_settings(tmp_path, capsys):
    code, _, err = run_cli(["train", "--plan", str(tmp_path / "p.json"), "--hidden", "9"], capsys)
    assert code == 2 and "--plan holds the whole run; drop --hidden" in one_line_error(err)


# --------------------------------------------------------------------------- executing a plan


def test_each_run_keeps_its_own_plan_in_its_folder(tiny_corpus, capsys):
    args = ["train", "--corpus", str(tiny_corpus), *TINY, "--hidden", "8,12", "--epochs", "1"]
    code, _, err = run_cli([*args, "--name", "pair"], capsys)
    assert code == 0, err
    with RunStore() as store:
        runs = store.list_runs()[::-1]
        plans = [load_plan(store.run_dir(run.id) / PLAN_FILE) for run in runs]
    assert [p.configs[0].hidden for p in plans] == [8, 12]
    assert [p.sweep for p in plans] == [(runs[0].sweep_id, 0), (runs[0].sweep_id, 1)]
    assert (
        [p.name for p in plans] == [run.name for run in runs] == ["pair hidden=8", "pair hidden=12"]
    )


def test_the_run_process_executes_a_plan_file(tiny_corpus, tmp_path):
    """What the TUI does: plan, write the plan, start `python -m rnn_tui train --plan`."""
    from rnn_tui.runs.processes import plan_argv
    from rnn_tui.store import default_db_path

    plan = plan_start({**TINY_VALUES, "corpus": str(tiny_corpus)}, store=default_db_path())
    path = save_plan(plan, tmp_path / "launch.plan.json")
    done = subprocess.run(plan_argv(path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with RunStore() as store:
        (run,) = store.list_runs()
        assert run.status == "finished" and run.config["hidden"] == 8
        assert load_plan(store.run_dir(run.id) / PLAN_FILE).configs == plan.configs


def test_a_plan_whose_corpus_went_away_ends_in_one_line(tiny_corpus, tmp_path, capsys):
    plan = plan_start({**TINY_VALUES, "corpus": str(tiny_corpus)}, store=tmp_path / "db.sqlite3")
    path = save_plan(plan, tmp_path / "plan.json")
    tiny_corpus.unlink()
    code, _, err = run_cli(["train", "--plan", str(path)], capsys)
    assert code == 2 and "corpus not found" in one_line_error(err)
    with RunStore(tmp_path / "db.sqlite3") as store:
        assert store.list_runs() == []  # a new run is recorded only once it can train


def test_a_resume_that_cannot_start_says_why_on_its_run(trained, tiny_corpus, tmp_path, capsys):
    with RunStore() as store:
        store.update_run(trained, status="stopped")
        plan = plan_resume(store, trained)
    path = save_plan(plan, tmp_path / "plan.json")
    tiny_corpus.unlink()
    code, _, err = run_cli(["train", "--plan", str(path)], capsys)
    assert code == 2 and "corpus not found" in one_line_error(err)
    with RunStore() as store:
        run = store.get_run(trained)
    assert run.status == "stopped"  # it may resume once the corpus is back
    assert run.message.startswith("resume failed: corpus not found")


# --------------------------------------------------------------------------- the resume rule


RESUME_CASES = {
    # name: (status, flags, refusal or None)
    "stopped": ("stopped", {}, None),
    "interrupted": ("interrupted", {}, None),
    "finished, same budget": ("finished", {}, "run 1 finished; clone it"),
    "finished, more epochs": ("finished", {"epochs": "2"}, None),
    "finished, more steps": ("finished", {"steps": "+1"}, None),
    "finished, fewer steps than done": ("finished", {"steps": "-1"}, "run 1 finished"),
    "error": ("error", {}, "run 1 error: only stopped or interrupted runs resume"),
    "diverged": ("diverged", {}, "run 1 diverged: only stopped or interrupted runs resume"),
}


@pytest.mark.parametrize("name", RESUME_CASES)
def test_one_resume_rule_for_every_status(name, trained):
    status, values, refusal = RESUME_CASES[name]
    with RunStore() as store:
        store.update_run(trained, status=status)
        before = store.get_run(trained)
        if "steps" in values:  # relative to the steps the run has done
            values = {"steps": str(before.steps + int(values["steps"]))}
        if refusal is None:
            plan = plan_resume(store, trained, values)
            assert plan.resume.run_id == trained and plan.resume.checkpoint == before.checkpoint
        else:
            with pytest.raises(PlanRefused, match=refusal):
                plan_resume(store, trained, values)
        assert store.get_run(trained) == before  # planning never writes


def test_a_damaged_run_is_refused(trained):
    with RunStore() as store:
        store.update_run(trained, status="stopped")
        Path(store.get_run(trained).checkpoint).unlink()
        with pytest.raises(PlanRefused, match="run 1's checkpoint .* is missing"):
            plan_resume(store, trained)
        store.update_run(trained, checkpoint=None)
        with pytest.raises(PlanRefused, match="has no checkpoint to resume from"):
            plan_resume(store, trained)


def test_a_refused_resume_from_the_cli_changes_nothing(trained, capsys):
    with RunStore() as store:
        before = store.get_run(trained)
    code, _, err = run_cli(["train", "--resume", str(trained), "--quiet"], capsys)
    assert code == 2 and "run 1 finished; clone it" in one_line_error(err)
    with RunStore() as store:
        assert store.get_run(trained) == before
    code, out, err = run_cli(["train", "--resume", str(trained), "--epochs", "2"], capsys)
    assert code == 0 and "resumed at step" in out, err
    with RunStore() as store:
        run = store.get_run(trained)
    assert (run.status, run.epochs, run.config["epochs"]) == ("finished", 2, 2)


# --------------------------------------------------------------------------- sweeps, sample


def test_a_large_sweep_is_a_question_and_a_huge_one_a_refusal(tiny_corpus):
    values = {**TINY_VALUES, "corpus": str(tiny_corpus), "hidden": ",".join(map(str, range(8, 73)))}
    question = plan_start(values)
    assert question == Question(65) and "65 runs" in question.text
    plan = plan_start(values, confirmed=True)
    assert len(plan.configs) == 65 and plan.confirmed == question.text
    huge = {**values, "lr": ",".join(["0.1"] * 200)}
    with pytest.raises(ConfigError, match="13,000 runs, more than the 10,000"):
        plan_start(huge, confirmed=True)


def test_a_sample_opens_the_best_checkpoint_else_the_last(trained, capsys):
    from rnn_tui.cli.sample import _checkpoint_path

    with RunStore() as store:
        run = store.get_run(trained)
    assert run.best_checkpoint and Path(run.best_checkpoint).is_file()
    assert default_sample_checkpoint(run) == run.best_checkpoint
    assert _checkpoint_path(str(trained)) == run.best_checkpoint
    assert _checkpoint_path(str(trained), last=True) == run.checkpoint
    Path(run.best_checkpoint).unlink()
    assert default_sample_checkpoint(run) == _checkpoint_path(str(trained)) == run.checkpoint


def test_planning_never_imports_torch(tiny_corpus, tmp_path):
    """Start, a sweep and a resume plan in a process that has not imported torch."""
    script = f"""
import sys
from rnn_tui.runs.plan import save_plan, load_plan
from rnn_tui.runs.planner import plan_start, plan_resume_checkpoint
from rnn_tui.config import TrainConfig
values = {{"corpus": {str(tiny_corpus)!r}, "hidden": "8,16", "batch_size": "4", "num_steps": "8"}}
plan = plan_start(values, store={str(tmp_path / "db")!r})
assert load_plan(save_plan(plan, {str(tmp_path / "p.json")!r})) == plan
plan_resume_checkpoint("x.pt", TrainConfig(corpus={str(tiny_corpus)!r}), {{"epochs": "3"}})
assert "torch" not in sys.modules, "torch was imported"
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_a_config_error_names_the_field(tiny_corpus):
    with pytest.raises(ConfigError) as caught:
        plan_start({"corpus": str(tiny_corpus), "hidden": "0"})
    assert caught.value.errors == {"hidden": "must be at least 1"}
