"""What the CLI process does with its exit codes, Ctrl-C and a closed stdout."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

EXIT_USER_ERROR = 2
EXIT_BROKEN_PIPE = 1  # the reader went away (`| head`): quiet, and the same code as rich gives


def discard_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def install_stop_handler(stop: Any) -> None:
    """First Ctrl-C stops the run cleanly (checkpoint saved); a second one aborts."""

    def handler(signum: int, frame: Any) -> None:
        stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: stop())


def replace_unencodable(*streams: Any) -> None:
    """Let streams that cannot encode every character (an ASCII-only stdout: the C locale,
    PYTHONIOENCODING=ascii) write `?` for what they cannot encode instead of raising."""
    for stream in streams:
        encoding = str(getattr(stream, "encoding", "") or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or encoding in ("utf8", "utf_8"):
            continue
        try:
            reconfigure(errors="replace")
        except (ValueError, OSError, TypeError):
            pass
