"""A full disk is a clean stop, on a real file system that fills: a small tmpfs.

During training the run stops with one line, keeps every step written before, ends as
`error` with the reason (or `interrupted` when even that row cannot be written, fixed on the
next read) and leaves no partial checkpoint. Before training: one line, nothing written.

Mounting needs root, which the tests have in CI; a refused mount fails these tests.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from tests.cli_calls import REPO
from tests.conftest import TINY_TEXT

TINY = ["--hidden", "8", "--batch-size", "4", "--num-steps", "8", "--sample-length", "5",
        "--quiet"]  # fmt: skip
LONG = [*TINY, "--steps", "1000000", "--epoch-steps", "20"]  # runs until the disk fills


@pytest.fixture
def disk(tmp_path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted for the test, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (these tests need root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write one file until the file system is full; returns it."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        try:  # the last few bytes too
            while True:
                handle.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def start(args: list[str], cwd: Path, data: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "RNN_TUI_DATA_DIR": str(data)}
    env.pop("FORCE_COLOR", None)
    return subprocess.Popen(
        [sys.executable, "-m", "rnn_tui", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, seconds: float = 90) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"training went on {seconds:g} s after the disk filled")
    return process.returncode, out, err


def wait_for(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} after {seconds:g} s"
        time.sleep(0.05)


def step_count(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT count(*) FROM step_metrics").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("rnn-tui: error: "), err
    return lines[0]


def assert_whole_checkpoints(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")], "partial file left"
    for path in folder.rglob("*.pt"):
        torch.load(path, map_location="cpu", weights_only=True)  # whole, or it raises


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_TEXT, encoding="utf-8")
    return path


def test_a_disk_full_during_a_stored_run_stops_it_cleanly(disk, corpus, tmp_path):
    data = disk / "data"
    db = data / "runs.sqlite3"
    child = start(["train", "--corpus", str(corpus), *LONG], tmp_path, data)
    try:
        wait_for(lambda: step_count(db) >= 50, "steps in the store")
        before = step_count(db)
        filler = fill(disk)
        code, out, err = finish(child)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    line = one_error_line(err)
    assert code == 2 and "full" in line, line
    filler.unlink()  # room again: the next read can fix what could not be written
    assert_whole_checkpoints(data)
    from rnn_tui.store import RunStore

    with RunStore(db) as store:
        (run,) = store.list_runs()
        assert run.status in ("error", "interrupted"), run
        if run.status == "error":
            assert "full" in run.message
        steps = store.step_metrics(run.id)
    assert len(steps) >= before  # every step written before the disk filled is kept
    assert [row["step"] for row in steps] == list(range(1, len(steps) + 1))


def test_a_disk_full_during_a_no_store_run_stops_it_cleanly(disk, corpus, tmp_path):
    out_dir = disk / "out"
    metrics = out_dir / "metrics.jsonl"
    child = start(
        ["train", "--no-store", "--corpus", str(corpus), *LONG, "--out", str(out_dir)],
        tmp_path,
        tmp_path / "data",
    )
    try:
        wait_for(lambda: metrics.exists() and metrics.stat().st_size > 2000, "metrics lines")
        fill(disk)
        code, out, err = finish(child)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    line = one_error_line(err)
    assert code == 2 and ("full" in line or "space" in line), line
    assert_whole_checkpoints(out_dir)
    lines = metrics.read_text(encoding="utf-8").splitlines()
    assert lines, "the steps written before are lost"
    steps = [json.loads(line) for line in lines]  # whole lines only: each one parses
    assert [s["step"] for s in steps if "loss" in s and "train_loss" not in s][:3] == [1, 2, 3]


@pytest.mark.parametrize("where", ["store", "no-store --out"])
def test_a_full_disk_before_training_is_one_line_and_nothing_written(where, disk, corpus, tmp_path):
    data = disk / "data"
    out_dir = disk / "out"
    if where == "store":
        from rnn_tui.store import RunStore

        RunStore(data / "runs.sqlite3").close()  # a store that exists, on a disk then full
        args = ["train", "--corpus", str(corpus), *TINY, "--steps", "5"]
    else:
        args = ["train", "--no-store", "--corpus", str(corpus), *TINY, "--steps", "5",
                "--out", str(out_dir)]  # fmt: skip
    filler = fill(disk)
    code, out, err = finish(start(args, tmp_path, data))
    line = one_error_line(err)
    assert code == 2 and ("full" in line or "space" in line), line
    filler.unlink()
    written = [p for p in disk.rglob("*") if p.is_file() and p.name not in (
        "runs.sqlite3", "runs.sqlite3-wal", "runs.sqlite3-shm")]  # fmt: skip
    assert written == [], written
    if where == "store":
        assert step_count(data / "runs.sqlite3") == 0
        conn = sqlite3.connect(data / "runs.sqlite3")
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
        conn.close()
