"""This machine's name as runs record it, and the refusal to use another machine's files."""

from __future__ import annotations

import os
import socket

from rnn_tui.errors import StoreError

# Tests (and containers whose hostnames repeat) name the host; a real second machine has its own.
ENV_HOSTNAME = "RNN_TUI_HOSTNAME"


def this_host() -> str:
    return os.environ.get(ENV_HOSTNAME, "").strip() or socket.gethostname()


def is_this_host(hostname: str | None) -> bool:
    """True for this machine's runs, and for rows that never recorded a host."""
    return not hostname or hostname == this_host()


def check_on_this_host(run_id: int, hostname: str | None, what: str = "use") -> None:
    """A checkpoint stays on the disk of the host that wrote it: one line when it is not here."""
    if not is_this_host(hostname):
        raise StoreError(
            f"run {run_id} ran on host {hostname}: its checkpoints are on that machine's disk; "
            f"{what} it there (this is {this_host()})"
        )
