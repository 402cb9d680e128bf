"""Whether the process recorded as a run's writer still lives (and is still that process)."""

from __future__ import annotations

import os
import sys


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of a Linux process from /proc, or None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]


def process_token(pid: int) -> str | None:
    """What tells process `pid` apart from a later one given the same pid; None if unknown."""
    stat = _proc_stat(pid)
    return stat[1] if stat else None


def process_alive(pid: int | None, token: str | None) -> bool:
    """Whether process `pid` lives and is the one `token` (from process_token) named."""
    if pid is None or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - os.kill(pid, 0) would end the process
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    except OSError:
        return False
    stat = _proc_stat(pid)
    if stat is not None:
        state, start = stat
        if state in ("Z", "X"):  # killed but not yet reaped by its parent
            return False
        if token is not None and start != token:  # the pid was reused
            return False
    return True


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
