"""Shared helpers of the UI tests: the app started on one screen, and waiting for a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rnn_tui.ui import app as app_module
from rnn_tui.ui.app import RnnTuiApp


def make_app(mode: str = "sample") -> RnnTuiApp:
    """The real app started on `mode` instead of Train, whose form is slow to build."""

    class App(RnnTuiApp):
        DEFAULT_MODE = mode
        CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    return App()


async def wait_until(
    pilot, condition: Callable[[], object], message: str, timeout: float = 60.0
) -> None:
    """Let the app run (and handle what its workers post) until `condition()` holds; fail
    with `message` after `timeout` seconds (generous: a loaded 2-core machine is slow, and a
    condition that holds ends the wait at once)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s: {message}")
        await pilot.pause(0.02)
