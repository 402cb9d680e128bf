"""Signals reach only our own run processes: `runs stop` signals a pid only when it lives,
its start time matches the recorded one and its command line is an rnn-tui run. A pid that
now belongs to another program is never signalled (the run is marked interrupted), and one
that cannot be confirmed is refused in one line."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time

import pytest

from rnn_tui.store import RunStore, process_alive, process_token
from rnn_tui.store.liveness import identify, is_run_command, same_token
from tests.cli_calls import call_cli


@pytest.fixture
def processes():
    """Start processes for a test; each is killed and reaped by its pid afterwards."""
    started: list[subprocess.Popen] = []

    def start(argv: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _running_run(store: RunStore, pid: int, token: str | None) -> int:
    run_id = store.create_run({"cell": "rnn"}, name="r")
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE runs SET pid = ?, pid_start = ? WHERE id = ?", (pid, token, run_id))
    conn.commit()
    conn.close()
    return run_id


def _wait_exit(process: subprocess.Popen, seconds: float = 10.0) -> int:
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"process {process.pid} still runs {seconds:g} s after the stop")


# name -> (the program holding the recorded pid, which start time the row records)
REUSED = {
    "another program, no start time recorded": (["sleep", "60"], None),
    "another program, an earlier process's start time": (["sleep", "60"], "earlier"),
    "another program, its own start time": (["sleep", "60"], "its own"),
    "an rnn-tui-named process, an earlier start time": (
        ["bash", "-c", "exec -a rnn-tui sleep 60"],
        "earlier",
    ),
}


@pytest.mark.parametrize("case", list(REUSED))
def test_a_reused_pid_is_never_signalled(case, processes, isolated_dirs):
    argv, recorded = REUSED[case]
    other = processes(argv)
    token = {None: None, "earlier": "t:1000.000", "its own": process_token(other.pid)}[recorded]
    with RunStore() as store:
        run_id = _running_run(store, other.pid, token)
    result = call_cli(["runs", "stop", str(run_id)], cwd=isolated_dirs)
    # With a start time that does not match, opening the store already found the writer gone
    # and marked the run; without one, `stop` finds the pid is another program's.
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], result
    if recorded is None or recorded == "its own":
        assert result.returncode == 0 and "not signalled" in lines[0], result
    time.sleep(0.2)  # a signal, had one been sent, has been delivered by now
    assert other.poll() is None, "the unrelated process was signalled"
    with RunStore() as store:
        assert store.get_run(run_id).status == "interrupted"


def test_an_rnn_tui_process_without_a_recorded_start_time_is_refused(processes, isolated_dirs):
    other = processes(["bash", "-c", "exec -a rnn-tui sleep 60"])
    deadline = time.monotonic() + 10
    while not is_run_command(_cmdline(other.pid)):
        assert time.monotonic() < deadline, "the process never took its name"
        time.sleep(0.02)
    with RunStore() as store:
        run_id = _running_run(store, other.pid, None)
        before = store.get_run(run_id)
    result = call_cli(["runs", "stop", str(run_id)], cwd=isolated_dirs)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not signalled" in lines[0] and "start time" in lines[0]
    assert other.poll() is None
    with RunStore() as store:
        assert store.get_run(run_id) == before  # nothing changed


def test_our_own_run_process_is_signalled(processes, isolated_dirs):
    ours = processes(["bash", "-c", "exec -a rnn-tui sleep 60"])
    deadline = time.monotonic() + 10
    while not is_run_command(_cmdline(ours.pid)):
        assert time.monotonic() < deadline, "the process never took its name"
        time.sleep(0.02)
    assert identify(ours.pid, process_token(ours.pid)).state == "ours"
    with RunStore() as store:
        run_id = _running_run(store, ours.pid, process_token(ours.pid))
    result = call_cli(["runs", "stop", str(run_id)], cwd=isolated_dirs)
    assert result.returncode == 0 and "is stopping" in result.stdout, result
    assert _wait_exit(ours) == -signal.SIGTERM


def test_liveness_reads_start_times_old_and_new(processes):
    other = processes(["sleep", "60"])
    token = process_token(other.pid)
    assert token is not None and token.startswith("t:")
    assert process_alive(other.pid, token)
    assert not process_alive(other.pid, "t:1000.000")
    legacy = _proc_start_ticks(other.pid)  # what an older version recorded
    assert process_alive(other.pid, legacy)
    assert not process_alive(other.pid, str(int(legacy) + 500))
    for pid in (None, 0, -1, 2**62, "12", True):
        assert not process_alive(pid, None)  # type: ignore[arg-type]
        assert identify(pid, None).state == "gone"  # type: ignore[arg-type]
    other.kill()
    other.wait(timeout=10)
    assert not process_alive(other.pid, token)
    assert same_token("t:100.000", "t:100.400") and not same_token("t:100.000", "t:102.000")
    assert not same_token(None, "t:1.000") and not same_token("123", "t:1.000")
    assert is_run_command(["/usr/bin/python3", "-m", "rnn_tui", "train"])
    assert is_run_command(["/venv/bin/python", "/venv/bin/rnn-tui", "train"])
    assert not is_run_command(["sleep", "60"])


def _cmdline(pid: int) -> list[str]:
    import psutil

    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []


def _proc_start_ticks(pid: int) -> str:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        text = handle.read()
    return text[text.rfind(")") + 2 :].split()[19]


def test_signal_if_ours_sends_only_to_a_confirmed_run_process(processes):
    from rnn_tui.runs.processes import signal_if_ours

    other = processes(["sleep", "60"])
    assert not signal_if_ours(other.pid, process_token(other.pid))  # not an rnn-tui command
    assert not signal_if_ours(other.pid, None)
    ours = processes(["bash", "-c", "exec -a rnn-tui sleep 60"])
    deadline = time.monotonic() + 10
    while not is_run_command(_cmdline(ours.pid)):
        assert time.monotonic() < deadline, "the process never took its name"
        time.sleep(0.02)
    assert not signal_if_ours(ours.pid, "t:1000.000")  # an earlier process's start time
    assert signal_if_ours(ours.pid, process_token(ours.pid))
    assert _wait_exit(ours) == -signal.SIGTERM
    assert other.poll() is None
