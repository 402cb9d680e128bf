"""The TUI's start: its first frame imports nothing it does not draw (the store's SQLAlchemy,
Optuna, PostgreSQL's driver, torch), and a store it cannot use, checked after that frame,
still ends `rnn-tui` in a terminal with one line and exit code 2."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.cli_calls import REPO

# Run in a fresh Python process: this one has imported all of them for other tests.
PROBE = """
import asyncio, json, sys
import rnn_tui.cli  # what `python -m rnn_tui` imports before the app
from rnn_tui.ui.app import RnnTuiApp

HEAVY = ("sqlalchemy", "optuna", "psycopg", "torch")
seen = {}

open_store = RnnTuiApp._open_store

def probe(self):  # called after the first frame, in a terminal
    seen["before"] = [name for name in HEAVY if name in sys.modules]
    open_store(self)

RnnTuiApp._open_store = probe

async def main():
    app = RnnTuiApp(check_store=True)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(600):  # the store is checked in a worker thread, then followed
            if app.controller.watcher.alive:
                break
            await pilot.pause(0.1)
        seen["following"] = app.controller.watcher.alive
        seen["after"] = [name for name in HEAVY if name in sys.modules]

asyncio.run(main())
print(json.dumps(seen))
"""


def test_the_first_frame_imports_no_store_engine_optuna_or_torch(isolated_dirs: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == [], f"imported before the first frame: {seen['before']}"
    # Opening the store afterwards does import SQLAlchemy: the probe would have seen it.
    assert seen["following"] is True
    assert seen["after"] == ["sqlalchemy"], seen


def _in_a_terminal(
    args: list[str], env: dict[str, str], seconds: float = 60.0
) -> tuple[int, bytes]:
    """`rnn-tui ARGS` in a pseudo-terminal: its exit code and everything it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.execve(sys.executable, [sys.executable, "-m", "rnn_tui", *args], env)
    out = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal: it ended
                break
            if not chunk:
                break
            out += chunk
        else:
            os.kill(pid, 9)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out


def _after_the_screen(out: bytes) -> str:
    """What was written after the last terminal control sequence (the app's last word)."""
    return re.split(rb"\x1b\[[0-9;?<>=]*[A-Za-z]", out)[-1].decode()


def test_a_bad_store_or_run_in_a_terminal_ends_in_one_line_after_the_first_frame(
    isolated_dirs: Path,
) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(REPO)}
    code, out = _in_a_terminal(["--attach", "99"], env)
    assert code == 2, out[-500:]
    # The frame was drawn, the terminal given back, then the line printed.
    assert b"Start (^r)" in out, out[-500:]
    assert _after_the_screen(out) == "rnn-tui: error: no run with id 99\r\n"

    db = isolated_dirs / "data" / "runs.sqlite3"
    db.write_bytes(b"this is not a database, not at all" * 100)
    code, out = _in_a_terminal([], env)
    assert code == 2, out[-500:]
    assert _after_the_screen(out) == (
        f"rnn-tui: error: run database {db} is not a readable rnn-tui database "
        "(file is not a database)\r\n"
    )
    assert not (isolated_dirs / "config").exists(), "a refused start wrote the settings"
