"""The real CLI called from a test: in this process (milliseconds a call), or as
`python -m rnn_tui` in a child process (a second or two of imports) where the process itself
is what a test proves.

Both return the same `CliResult`, so a table row can be checked either way. An in-process
call leaves this process as it found it: the CLI's signal handlers, the working folder, the
environment, torch's random state and an address-space cap are put back afterwards.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import resource
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

TIMEOUT_S = 120  # a call that takes longer hangs
REPO = Path(__file__).resolve().parents[1]
# The handlers `rnn-tui train` installs for itself (a first Ctrl-C stops the run).
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# What a fresh `python -m rnn_tui` hides by default; any other warning is a stderr line there.
HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """contextlib.chdir, which Python 3.10 (still supported) does not have."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


class _Hung(BaseException):
    """Raised by the alarm inside a call that runs past its timeout; a BaseException, so
    that no `except Exception` in the CLI swallows it."""


def call_cli(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    address_space: int | None = None,
    timeout: float = TIMEOUT_S,
) -> CliResult:
    """`rnn-tui ARGS` through `rnn_tui.cli.main`, as the child process would run it: stdin
    empty, stdout and stderr captured (neither is a terminal), `env` over this process's
    environment less FORCE_COLOR, in `cwd`. `address_space` caps this process's address space
    at that many bytes above what it maps now: more room than a child capped at `address_space`
    has, so a refusal here is no weaker a proof.

    A warning or a log record that a child would print on stderr is added to `stderr`. An
    exception the CLI lets out is raised here (a child would print its traceback)."""
    from rnn_tui.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.ExitStack() as stack:
        stack.enter_context(_process_state_restored())
        stack.enter_context(mock.patch.dict(os.environ, dict(env or {})))
        os.environ.pop("FORCE_COLOR", None)
        stack.enter_context(_working_directory(cwd))
        stack.enter_context(mock.patch.object(sys, "stdin", io.StringIO()))
        stack.enter_context(contextlib.redirect_stdout(stdout))
        stack.enter_context(contextlib.redirect_stderr(stderr))
        shown = stack.enter_context(_warnings_a_child_would_show())
        stack.enter_context(_log_records_to(stderr))
        if address_space is not None:
            stack.enter_context(_address_space_cap(address_space))
        stack.enter_context(_alarm(timeout))
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's one-line usage error, or --help / --version
            code = _exit_status(exc, stderr)
        except _Hung:
            pytest.fail(f"rnn-tui {' '.join(args)[:80]} hung for {timeout:g} s")
    for warning in shown:
        stderr.write(warnings.formatwarning(*_warning_fields(warning)))
    return CliResult(code, stdout.getvalue(), stderr.getvalue())


def spawn_cli(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    address_space: int | None = None,
    timeout: float = TIMEOUT_S,
) -> CliResult:
    """`python -m rnn_tui ARGS` in a child process: stdin from /dev/null, `env` over this
    process's environment less FORCE_COLOR, in `cwd`; `address_space` is the child's whole
    address-space cap in bytes. Fails the test when the child runs past `timeout`."""
    child_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    child_env.pop("FORCE_COLOR", None)

    def cap() -> None:
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    try:
        done = subprocess.run(
            [sys.executable, "-m", "rnn_tui", *args],
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=cap,
        )
    except subprocess.TimeoutExpired:  # subprocess.run has killed the child
        pytest.fail(f"rnn-tui {' '.join(args)[:80]} hung for {timeout:g} s")
    return CliResult(done.returncode, done.stdout, done.stderr)


def in_process_and_spawned(names: Iterable[str], spawned: Iterable[str]) -> list:
    """Parameters (name, call) for a table test: every row through `call_cli`, and the rows
    named in `spawned` once more through `spawn_cli`, with " [process]" after their id."""
    names = list(names)
    spawned = list(spawned)
    unknown = [name for name in spawned if name not in names]
    assert not unknown, f"no such rows: {unknown}"
    return [pytest.param(name, call_cli, id=name) for name in names] + [
        pytest.param(name, spawn_cli, id=f"{name} [process]") for name in spawned
    ]


def _exit_status(exc: SystemExit, stderr: io.StringIO) -> int:
    """The status Python gives a process that raises `exc`."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    stderr.write(f"{exc.code}\n")
    return 1


@contextlib.contextmanager
def _process_state_restored() -> Iterator[None]:
    handlers = {number: signal.getsignal(number) for number in HANDLED_SIGNALS}
    torch = sys.modules.get("torch")
    rng = torch.get_rng_state() if torch is not None else None
    try:
        yield
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        if torch is not None:
            torch.set_rng_state(rng)


@contextlib.contextmanager
def _warnings_a_child_would_show() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as shown:
        warnings.resetwarnings()
        warnings.simplefilter("always")  # also a repeat that this process has already shown
        for category in HIDDEN_WARNINGS:
            warnings.filterwarnings("ignore", category=category)
        yield shown


def _warning_fields(warning: warnings.WarningMessage) -> tuple:
    return (warning.message, warning.category, warning.filename, warning.lineno, warning.line)


@contextlib.contextmanager
def _log_records_to(stream: io.StringIO) -> Iterator[None]:
    """Warnings and errors logged during the call, as Python's last-resort handler prints them
    in a process that configured no logging."""
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


@contextlib.contextmanager
def _address_space_cap(room: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_mapped_bytes() + room, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _mapped_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("/proc/self/status has no VmSize")


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Interrupt the call after `seconds`: a blocking open or read is interrupted too."""

    def hung(signum: int, frame: object) -> None:
        raise _Hung

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
