"""User files are never destroyed: output paths that point into the store are refused in one
line before anything is written, and every refused command leaves the store's rows and files
exactly as they were (a snapshot before and after)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rnn_tui.errors import RnnTuiError
from rnn_tui.store.owned import refuse_owned, refuse_owned_folder
from tests.cli_calls import call_cli
from tests.hardening_store import TINY_FLAGS, copy_store, snapshot


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("trained")


@pytest.fixture
def store(template, tmp_path) -> Path:
    data = copy_store(template, tmp_path)
    (tmp_path / "link-to-db").symlink_to(data / "runs.sqlite3")
    (tmp_path / "link-to-runs").symlink_to(data / "runs")
    (data / "runs.sqlite3-journal").write_bytes(b"")  # present or not, it is the store's
    return data


# Each row: the command (D: the data folder, C: the config folder, T: tmp_path) and the words
# of its one-line refusal.
REFUSED = {
    "export over the database": (
        ["runs", "export", "1", "--format", "json", "--output", "D/runs.sqlite3"],
        "would overwrite the run database",
    ),
    "export over the WAL file": (
        ["runs", "export", "1", "--format", "csv", "-o", "D/runs.sqlite3-wal"],
        "wal file",
    ),
    "export over the shared-memory file": (
        ["runs", "export", "1", "--format", "csv", "-o", "D/runs.sqlite3-shm"],
        "shm file",
    ),
    "export over the journal": (
        ["runs", "export", "1", "--format", "csv", "-o", "D/runs.sqlite3-journal"],
        "journal file",
    ),
    "export through a link to the database": (
        ["runs", "export", "1", "--format", "json", "-o", "T/link-to-db"],
        "run database",
    ),
    "export through .. to the database": (
        ["runs", "export", "1", "--format", "json", "-o", "D/runs/../runs.sqlite3"],
        "run database",
    ),
    "export over a checkpoint": (
        ["runs", "export", "1", "--format", "json", "-o", "D/runs/1/last.pt"],
        "runs folder",
    ),
    "export into the runs folder through a link": (
        ["runs", "export", "1", "--format", "json", "-o", "T/link-to-runs/new.json"],
        "runs folder",
    ),
    "export over the settings file": (
        ["runs", "export", "1", "--format", "json", "-o", "C/settings.json"],
        "settings file",
    ),
    "plot over the database": (
        ["runs", "compare", "1", "--png", "D/runs.sqlite3"],
        "run database",
    ),
    "train --out the runs folder": (
        ["train", "--corpus", "T/tiny.txt", *TINY_FLAGS, "--out", "D/runs"],
        "runs folder",
    ),
    "train --out a run's folder": (
        ["train", "--corpus", "T/tiny.txt", *TINY_FLAGS, "--out", "D/runs/1"],
        "runs folder",
    ),
    "train --no-store --out a run's folder": (
        ["train", "--no-store", "--corpus", "T/tiny.txt", *TINY_FLAGS, "--out", "D/runs/1"],
        "runs folder",
    ),
    "train --out the database": (
        ["train", "--corpus", "T/tiny.txt", *TINY_FLAGS, "--out", "D/runs.sqlite3"],
        "run database",
    ),
    "train --out the store's folder": (
        ["train", "--corpus", "T/tiny.txt", *TINY_FLAGS, "--out", "D"],
        "run store's own folder",
    ),
    # Refused for other reasons: still nothing changes.
    "resume with a flag a resume cannot change": (
        ["train", "--resume", "1", "--hidden", "16"],
        "hidden",
    ),
    "resume with a bad value": (["train", "--resume", "1", "--epochs", "0"], "--epochs"),
    # A finished run resumes only with a larger budget (the planner's rule): given one, the
    # refusal is the device's.
    "resume of a finished run on a missing device": (
        ["train", "--resume", "1", "--steps", "99", "--device", "cuda"],
        "CUDA",
    ),
    "resume of an unknown run": (["train", "--resume", "99"], "no run with id 99"),
    "stop a finished run": (["runs", "stop", "1"], "not running"),
    "watch a non-ASCII id": (["runs", "watch", "\u0663"], "run id"),
    "stop a non-ASCII id": (["runs", "stop", "\u0663"], "run id"),
    "delete without confirmation": (["runs", "delete", "1"], "--yes"),
    "export under a file": (
        ["runs", "export", "1", "--format", "json", "-o", "T/tiny.txt/x.json"],
        "cannot write",
    ),
}


def _expand(args: list[str], tmp_path: Path) -> list[str]:
    places = {"D": tmp_path / "data", "C": tmp_path / "config", "T": tmp_path}
    out = []
    for arg in args:
        head, sep, tail = arg.partition("/")
        out.append(str(places[head] / tail) if head in places and (sep or arg == head) else arg)
    return out


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_command_changes_nothing(case, store, tmp_path):
    args, words = REFUSED[case]
    config = tmp_path / "config"
    before = snapshot(store, config)
    result = call_cli(_expand(args, tmp_path), cwd=tmp_path)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines
    assert snapshot(store, config) == before
    assert not list(tmp_path.glob("**/.*.tmp")), "a temporary file was left behind"


def test_the_engine_refuses_owned_paths_and_allows_others(store, tmp_path):
    db = store / "runs.sqlite3"
    for path in [db, f"{db}-wal", store / "runs", store / "runs" / "9" / "x.pt",
                 tmp_path / "config" / "settings.json", tmp_path / "link-to-db"]:  # fmt: skip
        with pytest.raises(RnnTuiError, match="choose another"):
            refuse_owned(path, db_path=db)
    from rnn_tui.runs.study import journal_path

    for path in (journal_path(db), f"{journal_path(db)}.lock"):
        with pytest.raises(RnnTuiError, match="studies journal"):
            refuse_owned(path, db_path=db)
    outside = tmp_path / "elsewhere" / "last.pt"
    refuse_owned(tmp_path / "export.json", db_path=db)
    refuse_owned(outside, db_path=db)
    with pytest.raises(RnnTuiError, match="checkpoint"):
        refuse_owned(outside, db_path=db, checkpoints=[str(outside)])
    refuse_owned_folder(tmp_path / "out", db_path=db)
    with pytest.raises(RnnTuiError, match="own folder"):
        refuse_owned_folder(store, db_path=db)


def test_a_checkpoint_recorded_outside_the_runs_folder_is_owned_too(store, tmp_path):
    out = tmp_path / "out"
    done = call_cli(
        ["train", "--corpus", str(tmp_path / "tiny.txt"), *TINY_FLAGS, "--out", str(out)],
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    checkpoint = out / "last.pt"
    kept = checkpoint.read_bytes()
    refused = call_cli(
        ["runs", "export", "1", "--format", "json", "-o", str(checkpoint)], cwd=tmp_path
    )
    assert refused.returncode == 2 and "checkpoint" in refused.stderr
    assert checkpoint.read_bytes() == kept


def test_an_export_to_an_ordinary_path_is_written_whole(store, tmp_path):
    target = tmp_path / "export.csv"
    done = call_cli(["runs", "export", "1", "--format", "csv", "-o", str(target)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert target.read_text(encoding="utf-8").startswith("run_id,")
    assert os.listdir(tmp_path).count("export.csv") == 1


def test_a_resume_stopped_before_it_trains_leaves_the_run_as_it_was(store, tmp_path):
    """Ctrl-C while a resume of a finished run loads its corpus: the run stays finished,
    with its end time (it used to become stopped, or interrupted, with a new one)."""
    import signal
    import subprocess
    import sys
    import time

    from tests.cli_calls import REPO

    config = tmp_path / "config"
    before = snapshot(store, config)
    marker = tmp_path / "loading"
    code = (
        "import sys, time, pathlib\n"
        "import rnn_tui.training.trainer as train\n"
        "def slow_load(*args, **kwargs):\n"
        f"    pathlib.Path({str(marker)!r}).touch()\n"
        "    time.sleep(120)\n"
        "train.load_corpus = slow_load\n"
        "from rnn_tui.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", code, "train", "--resume", "1", "--steps", "12"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the corpus load never began"
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 1 and err == "rnn-tui: stopped before training began\n", err
    marker.unlink()
    assert snapshot(store, config) == before
