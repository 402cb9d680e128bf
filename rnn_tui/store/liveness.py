"""Whether the process recorded as a run's writer still lives, and is still that process.

A pid alone names a process only until it exits: the system then gives the number to another
program. So a run records its writer's pid with a token (its start time), and a signal goes
only to a process whose pid is alive, whose start time matches the token and whose command
line is an rnn-tui run (`identify`). psutil reads all three on Linux, macOS and Windows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePath

import psutil

MAX_PID = 2**32 - 1
TOKEN_PREFIX = "t:"  # a start time in seconds since 1970, as psutil gives it
# Two readings of one process's start time may differ: Linux gives it in clock ticks since
# boot, and psutil adds the boot time, which moves when the wall clock is adjusted.
TOKEN_TOLERANCE_S = 1.0
RUN_PROGRAMS = ("rnn-tui", "rnn_tui")  # the script, or `python -m rnn_tui`


def _process(pid: int | None) -> psutil.Process | None:
    """The live process `pid`; None when there is none (or the pid is not one)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid <= MAX_PID:
        return None
    try:
        process = psutil.Process(pid)
        if process.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return None  # killed but not yet reaped by its parent
    except (psutil.NoSuchProcess, ValueError, OverflowError):
        return None
    except psutil.AccessDenied:
        pass  # alive, owned by someone else
    return process


def process_token(pid: int) -> str | None:
    """What tells process `pid` apart from a later one given the same pid; None if unknown."""
    process = _process(pid)
    if process is None:
        return None
    try:
        return f"{TOKEN_PREFIX}{process.create_time():.3f}"
    except psutil.Error:
        return None


def _same_start(process: psutil.Process, token: str) -> bool | None:
    """Whether the process started when `token` says; None when that cannot be read."""
    try:
        started = process.create_time()
    except psutil.Error:
        return None
    if token.startswith(TOKEN_PREFIX):
        return same_token(token, f"{TOKEN_PREFIX}{started:.3f}")
    if token.isascii() and token.isdigit() and hasattr(os, "sysconf"):
        # Written by an older version: the start time in clock ticks since boot (/proc).
        ticks = (started - psutil.boot_time()) * os.sysconf("SC_CLK_TCK")
        return abs(ticks - int(token)) <= 1.5
    return False


def same_token(recorded: str | None, current: str | None) -> bool:
    """Whether two tokens (from process_token) name the same process start."""
    if recorded is None or current is None:
        return False
    if recorded == current:
        return True
    if not (recorded.startswith(TOKEN_PREFIX) and current.startswith(TOKEN_PREFIX)):
        return False
    try:
        first = float(recorded[len(TOKEN_PREFIX) :])
        second = float(current[len(TOKEN_PREFIX) :])
    except ValueError:
        return False
    return abs(first - second) <= TOKEN_TOLERANCE_S


def process_alive(pid: int | None, token: str | None) -> bool:
    """Whether process `pid` lives and is the one `token` (from process_token) named."""
    if pid == os.getpid():
        return True
    process = _process(pid)
    if process is None:
        return False
    return token is None or _same_start(process, token) is not False


def is_run_command(cmdline: list[str]) -> bool:
    """Whether a command line runs rnn-tui (`rnn-tui ...` or `python -m rnn_tui ...`)."""
    for part in cmdline[:4]:
        name = PurePath(part).name
        if name in RUN_PROGRAMS or name.startswith("rnn-tui") or part in RUN_PROGRAMS:
            return True
        if PurePath(part).parent.name == "rnn_tui" and name == "__main__.py":
            return True
    return False


@dataclass(frozen=True)
class Identity:
    """What can be confirmed about a run's recorded writer: `ours` (alive, same start time,
    an rnn-tui command line), `gone` (no such process, or another program now has its pid)
    or `unconfirmed` (alive, but one of the three cannot be read); `reason` says why."""

    state: str
    reason: str = ""


def identify(pid: int | None, token: str | None) -> Identity:
    """Whether process `pid` is the rnn-tui run recorded with start time `token`."""
    process = _process(pid)
    if process is None:
        return Identity("gone", f"no process {pid}" if pid else "no process recorded")
    if token is not None:
        same = _same_start(process, token)
        if same is False:
            return Identity("gone", f"pid {pid} now belongs to a process started later")
        if same is None:
            return Identity("unconfirmed", f"the start time of pid {pid} cannot be read")
    try:
        cmdline = process.cmdline()
    except psutil.NoSuchProcess:
        return Identity("gone", f"no process {pid}")
    except psutil.Error:
        return Identity("unconfirmed", f"the command line of pid {pid} cannot be read")
    if not is_run_command(cmdline):
        return Identity("gone", f"pid {pid} now belongs to another program")
    if token is None:
        return Identity("unconfirmed", f"no start time was recorded for pid {pid}")
    return Identity("ours")
