"""Run a check as an ordinary user would meet the file system, also as root (CI runs as root).

Root opens any file whatever its mode, through two capabilities (CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH). Linux keeps capabilities per thread, so a thread that drops them meets
file modes as any user does, while the test process keeps its own: no child process, no
other user who must be able to read the checkout and the virtual environment.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Callable

_CAPABILITY_VERSION_3 = 0x20080522
_FILE_OVERRIDES = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


def _drop_file_overrides() -> None:
    """Drop the two capabilities from this thread's effective and permitted sets (for good:
    the thread ends after its check)."""
    libc = ctypes.CDLL(None, use_errno=True)
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)  # pid 0: the calling thread
    data = (ctypes.c_uint32 * 6)()  # (effective, permitted, inheritable) x two 32-bit words
    if libc.capget(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    data[0] &= ~_FILE_OVERRIDES
    data[1] &= ~_FILE_OVERRIDES
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def as_an_ordinary_user(check: Callable[[], None]) -> None:
    """Run `check` in a thread without root's file overrides (when there is root to lose);
    whatever it raises (a failed assertion too) is raised here."""
    if os.geteuid() == 0 and not sys.platform.startswith("linux"):
        raise RuntimeError("as root, file modes can only be faulted on Linux here")
    raised: list[BaseException] = []

    def run() -> None:
        try:
            if os.geteuid() == 0:
                _drop_file_overrides()
            check()
        except BaseException as exc:  # handed to the test's thread
            raised.append(exc)

    thread = threading.Thread(target=run, name="as-an-ordinary-user")
    thread.start()
    thread.join()
    if raised:
        raise raised[0]
