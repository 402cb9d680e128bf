"""Liveness across machines, on both backends: heartbeats timed by the database's clock, a
run whose heartbeat is too old reads `interrupted` from any host, `runs stop` of another
host's run goes through the store, and another host's checkpoints are refused. A second host
is simulated with $RNN_TUI_HOSTNAME."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from run_processes import TINY_VALUES

from rnn_tui.checkpoints.choice import sample_checkpoint
from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.processes import stop_run
from rnn_tui.store import RunStore, this_host

REPO = Path(__file__).resolve().parents[1]


def wait_for(condition, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def run_of_host(store, host, monkeypatch):
    """A run recorded as written by `host` (this process, under another name)."""
    monkeypatch.setenv("RNN_TUI_HOSTNAME", host)
    run_id = store.create_run({"cell": "gru"})
    monkeypatch.delenv("RNN_TUI_HOSTNAME")
    assert store.get_run(run_id).hostname == host != this_host()
    return run_id


def test_a_run_without_heartbeats_reads_interrupted_from_another_host(store_url, monkeypatch):
    monkeypatch.setenv("RNN_TUI_HEARTBEAT_GRACE_S", "1")
    with RunStore(store_url) as store:
        run_id = run_of_host(store, "host-b", monkeypatch)
        beat = store.heartbeat(run_id, interval=0.2)
        try:
            started = store.db_now()
            while store.db_now() - started < 1.5:  # beats keep it alive past the grace period
                assert store.get_run(run_id).status == "running"
                time.sleep(0.1)
            assert store.recover() == 0
        finally:
            beat.stop()
        wait_for(lambda: store.get_run(run_id).status == "interrupted", "the beats to go stale")
        with RunStore(store_url, readonly=True) as reader:  # any reader sees it, writes nothing
            assert reader.get_run(run_id).status == "interrupted"
        with store._read() as conn:
            assert conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).scalar() == (
                "running"
            )
        assert store.recover() == 1  # a writer records it
        run = store.get_run(run_id)
        assert run.status == "interrupted" and run.ended is not None


def test_heartbeats_use_the_database_clock(store_url, monkeypatch):
    with RunStore(store_url) as store:
        run_id = store.create_run({"cell": "gru"})
        before = store.db_now()
        store.beat(run_id)
        with store._read() as conn:
            beat = conn.execute("SELECT heartbeat FROM runs WHERE id = ?", (run_id,)).scalar()
        assert before <= beat <= store.db_now()
        assert abs(beat - time.time()) < 60  # the same epoch (the server runs on this machine)


def test_stopping_another_hosts_run_asks_through_the_store(store_url, monkeypatch):
    with RunStore(store_url) as store:
        run_id = run_of_host(store, "host-b", monkeypatch)
        asked = threading.Event()
        beat = store.heartbeat(run_id, interval=0.1, on_stop_request=asked.set)
        try:
            assert stop_run(store, run_id) == "requested"
            assert asked.wait(10), "the run never read its stop request"
        finally:
            beat.stop()
        assert beat.stop_requested


def test_another_hosts_checkpoint_is_refused_naming_the_host(store_url, monkeypatch, tmp_path):
    checkpoint = tmp_path / "best.pt"
    checkpoint.write_bytes(b"x")
    with RunStore(store_url) as store:
        run_id = run_of_host(store, "host-b", monkeypatch)
        store.update_run(run_id, best_checkpoint=str(checkpoint), status="finished")
        with pytest.raises(RnnTuiError) as info:
            sample_checkpoint(store.get_run(run_id))
        assert str(info.value) == (
            f"run {run_id} ran on host host-b: its checkpoints are on that machine's disk; "
            f"sample it there (this is {this_host()})"
        )
        own = store.create_run({"cell": "gru"})
        store.update_run(own, best_checkpoint=str(checkpoint), status="finished")
        assert sample_checkpoint(store.get_run(own)) == str(checkpoint)


def test_runs_stop_stops_a_training_process_of_another_host(pg_server, tiny_corpus, tmp_path):
    """A real `rnn-tui train` on "host-b" recording into PostgreSQL; `runs stop` from here
    reaches it through the database only, and the password is in no argv."""
    from pg_server import PASSWORD

    url = pg_server.url(pg_server.new_database())
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(REPO), RNN_TUI_STORE=url, RNN_TUI_HOSTNAME="host-b",
        RNN_TUI_HEARTBEAT_S="0.3", RNN_TUI_DATA_DIR=str(tmp_path / "b-data"),
    )  # fmt: skip
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in TINY_VALUES.items()]
    argv = [sys.executable, "-m", "rnn_tui", "train", "--quiet", f"--corpus={tiny_corpus}",
            "--epochs=5000", *flags]  # fmt: skip
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with RunStore(url) as store:
            wait_for(lambda: store.list_runs() and store.get_run(1).steps > 0, "the run's steps")
            run = store.get_run(1)
            assert (run.status, run.hostname) == ("running", "host-b")
            with open(f"/proc/{child.pid}/cmdline", "rb") as handle:
                assert PASSWORD.encode() not in handle.read()
            cli = subprocess.run(
                [sys.executable, "-m", "rnn_tui", "--store", url, "runs", "stop", "1"],
                env={**env, "RNN_TUI_HOSTNAME": "host-a"}, capture_output=True, text=True,
                timeout=60,
            )  # fmt: skip
            assert cli.returncode == 0, cli.stderr
            assert "runs on host-b: asked it to stop through the store" in cli.stdout
            assert child.wait(timeout=60) == 0 or child.returncode in (1, 130)
            run = store.get_run(1)
            assert run.status == "stopped" and run.steps > 0
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            child.wait()
        child.stderr.close()
