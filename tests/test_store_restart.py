"""The database stops and starts again in the middle of a run: the run keeps training, holds
its rows in memory, reconnects and loses nothing (the recorder's 60 s rule, for the network)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from run_processes import TINY_VALUES

from rnn_tui.store import RunStore

REPO = Path(__file__).resolve().parents[1]


def wait_for(condition, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def test_a_run_survives_a_database_restart(pg_server, tiny_corpus, tmp_path):
    url = pg_server.url(pg_server.new_database())
    env = dict(os.environ)
    env.update(PYTHONPATH=str(REPO), RNN_TUI_STORE=url, RNN_TUI_HEARTBEAT_S="0.5")
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in TINY_VALUES.items()]
    argv = [sys.executable, "-m", "rnn_tui", "train", "--quiet", f"--corpus={tiny_corpus}",
            "--epochs=100000", *flags]  # fmt: skip
    log = tmp_path / "child.log"
    with open(log, "wb") as out:
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        with RunStore(url) as store:
            wait_for(lambda: store.list_runs() and store.get_run(1).epochs >= 2, "two epochs")
        pg_server.stop()
        try:
            time.sleep(3.0)  # the outage: training goes on, rows pile up in memory
            assert child.poll() is None, log.read_text()[-2000:]
        finally:
            pg_server.start()
        with RunStore(url) as store:
            before = store.get_run(1)
            wait_for(
                lambda: store.get_run(1).epochs > before.epochs + 2, "epochs after the restart"
            )
            child.send_signal(signal.SIGTERM)  # a clean stop: the run writes its end
            assert child.wait(timeout=60) in (0, 1), log.read_text()[-2000:]
            run = store.get_run(1)
            assert run.status == "stopped", (run.status, run.message)
            steps = [row["step"] for row in store.step_metrics(1)]
            assert steps == list(range(1, run.steps + 1))  # not one step lost
            epochs = [row["epoch"] for row in store.epoch_metrics(1)]
            assert epochs == list(range(1, run.epochs + 1)) and run.epochs > before.epochs
        assert "kept trying" not in log.read_text()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if not pg_server.is_running():
            pg_server.start()
