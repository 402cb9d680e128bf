"""Odd environments: an ASCII-only stdout, run ids that are not ASCII digits, a run that
disappears while watched, a terminal below the TUI's minimum size."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time

import pytest

from rnn_tui.store import RunStore
from rnn_tui.training.events import EpochEnd, StepEnd
from tests.cli_calls import REPO, call_cli, spawn_cli

NAME = "caf\u00e9 \u2615 \u6c49\u5b57"  # café ☕ 汉字
ASCII_ONLY = {"LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0"}


def _stored_run(name: str = NAME) -> int:
    with RunStore() as store:
        run_id = store.create_run({"cell": "gru", "layers": 1, "hidden": 8}, name=name)
        recorder = store.recorder(run_id)
        recorder(StepEnd(1, 1, 1.0, 2.7, 0.01, 100.0, 10, 0.5))
        recorder(EpochEnd(1, 1, 1.0, 2.7, 1.1, 3.0, 100.0, 10, 0.5, "\u00fcber", True, None))
        recorder.flush()
        store.finish_run(run_id, "finished", seconds=0.5)
        store.set_tags(run_id, ["\u00e9t\u00e9"])
    return run_id


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "list"],
        ["runs", "show", "1"],
        ["runs", "compare", "1"],
        ["runs", "export", "1", "--format", "csv"],
        ["runs", "watch", "1"],
        ["runs", "list", "--json"],
        ["runs", "rename", "1", "\u00e9l\u00e8ve"],
        ["runs", "show", "\u0663"],  # an error line that quotes what was typed
        ["sample", "--checkpoint", "/missing/\u00fc.pt"],
    ],
    ids=lambda args: " ".join(args[:3]).encode("ascii", "replace").decode(),
)
def test_an_ascii_only_stdout_gets_replacements_not_a_traceback(args, isolated_dirs):
    _stored_run()
    result = spawn_cli(args, cwd=isolated_dirs, env=ASCII_ONLY)
    assert "Traceback" not in result.stderr and "UnicodeEncodeError" not in result.stderr
    assert result.returncode in (0, 2), result
    assert result.stdout.isascii() and result.stderr.isascii()
    if args[:2] == ["runs", "list"] and "--json" not in args:
        assert "caf? ? ??" in result.stdout, result.stdout
    if result.returncode == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    if args[:2] == ["runs", "rename"]:  # typed in a C locale, stored as the UTF-8 it was
        with RunStore() as store:
            assert store.get_run(1).name == "\u00e9l\u00e8ve"


# Every command that takes a run id, with an Arabic-Indic three where the id goes.
ID = "\u0663"
ID_COMMANDS = [
    ["runs", "show", ID],
    ["runs", "compare", "1", ID],
    ["runs", "export", ID, "--format", "json"],
    ["runs", "delete", ID, "--yes"],
    ["runs", "rename", ID, "x"],
    ["runs", "tag", ID, "x"],
    ["runs", "watch", ID],
    ["runs", "stop", ID],
    ["--attach", ID],
]


@pytest.mark.parametrize("args", ID_COMMANDS, ids=lambda args: " ".join(args[:2]))
def test_run_ids_are_ascii_digits_in_every_command(args, isolated_dirs):
    for number in (1, 2, 3):
        _stored_run(f"run {number}")
    result = call_cli(args, cwd=isolated_dirs)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "a run id is a whole number" in lines[0], lines
    with RunStore() as store:
        assert [run.name for run in store.list_runs()] == ["run 3", "run 2", "run 1"]
        assert store.get_run(3).status == "finished"


def test_watching_a_run_that_disappears_ends_in_one_line_within_2_s(isolated_dirs):
    with RunStore() as store:
        run_id = store.create_run({"cell": "rnn"}, name="watched")  # this process writes it
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "rnn_tui", "runs", "watch", str(run_id)],
        cwd=isolated_dirs,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = watcher.stdout.readline()  # the start line: it is watching now
        assert "watched" in first or str(run_id) in first, first
        conn = sqlite3.connect(isolated_dirs / "data" / "runs.sqlite3")
        conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        conn.commit()
        conn.close()
        gone = time.monotonic()
        try:
            code = watcher.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("runs watch went on 10 s after its run was deleted")
        took = time.monotonic() - gone
        err = watcher.stderr.read()
    finally:
        if watcher.poll() is None:
            watcher.kill()
        watcher.wait()
    assert code == 2 and took < 2.0, (code, took)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"no run with id {run_id}" in lines[0], err


# --------------------------------------------------------------------------- a tiny terminal


def _read_until(fd: int, needle: bytes, seconds: float) -> tuple[bytes, float | None]:
    """Output of the pty until `needle` shows (and when, from the first byte), or `seconds`."""
    out = b""
    first: float | None = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if first is None:
            first = time.monotonic()
        out += chunk
        if needle in out:
            return out, time.monotonic() - first
    return out, None


def _set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def test_a_tiny_terminal_shows_too_small_at_once_and_grows_back(isolated_dirs):
    pid, fd = pty.fork()
    if pid == 0:  # the child: the TUI in a 20x10 terminal
        os.environ.update({"TERM": "xterm-256color", "PYTHONPATH": str(REPO)})
        os.execv(sys.executable, [sys.executable, "-m", "rnn_tui"])
    try:
        _set_size(fd, 20, 10)
        os.kill(pid, signal.SIGWINCH)
        out, after = _read_until(fd, b"needs", 60)
        assert after is not None, f"no 'too small' line in 60 s: {out[-300:]!r}"
        assert after < 2.0, f"the 'too small' line came {after:.1f} s after the first output"
        _set_size(fd, 120, 40)
        os.kill(pid, signal.SIGWINCH)
        grown = time.monotonic()
        out, _ = _read_until(fd, b"Train", 30)
        assert b"Train" in out, f"the app did not grow back: {out[-300:]!r}"
        assert time.monotonic() - grown < 5.0
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
