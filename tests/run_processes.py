"""Helpers for tests that start real training processes: start, wait, clean up by pid."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rnn_tui.runs.plan import RunPlan
from rnn_tui.runs.planner import plan_start
from rnn_tui.runs.processes import Launch, launch_plan
from rnn_tui.store import RunStore, default_db_path

TINY_VALUES = dict(
    cell="rnn",
    hidden="16",
    batch_size="4",
    num_steps="8",
    preprocess="clean",
    sample_length="0",
)


class Children:
    """Every process a test started, killed (with its session) and reaped at the end."""

    def __init__(self) -> None:
        self.pids: list[int] = []

    def add(self, pid: int) -> int:
        if pid not in self.pids:
            self.pids.append(pid)
        return pid

    def start(self, corpus: Path, **values: str) -> Launch:
        """`rnn-tui train` on `corpus`, detached, as the TUI starts it."""
        plan = plan_start({**TINY_VALUES, "corpus": str(corpus), **values}, store=default_db_path())
        assert isinstance(plan, RunPlan), plan
        child = launch_plan(plan, default_db_path().parent)
        self.add(child.pid)
        return child

    def cleanup(self) -> None:
        for pid in self.pids:
            try:
                os.killpg(pid, signal.SIGKILL)  # the child leads its own session
            except (ProcessLookupError, PermissionError):
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # not our child (started by an app) or reaped already


def tracked_children() -> Iterator[Children]:
    """The body of a `children` fixture (each test module declares its own)."""
    tracked = Children()
    try:
        yield tracked
    finally:
        tracked.cleanup()


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


async def async_wait_until(
    condition: Callable[[], object], timeout: float, what: str, pilot=None
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        if pilot is not None:
            await pilot.pause(0.05)
        else:
            await asyncio.sleep(0.05)


def first_run_of(pid: int, timeout: float = 60.0) -> int:
    """The id of the first run process `pid` records (waits for it)."""
    found: list[int] = []

    def recorded() -> bool:
        with RunStore() as store:
            runs = store.runs_by_pid(pid)
        found.extend(run.id for run in runs[:1])
        return bool(found)

    wait_until(recorded, timeout, f"process {pid} to record a run")
    return found[0]


def steps_of(run_id: int) -> int:
    with RunStore() as store:
        return len(store.step_metrics(run_id))


def status_of(run_id: int) -> str:
    with RunStore() as store:
        return store.get_run(run_id).status


def pid_gone(pid: int) -> bool:
    """Whether process `pid` has ended (reaping it when it is our child)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True
