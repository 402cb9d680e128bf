"""A live run's heartbeat in the store, timed by the database's clock, and its stop requests.

Each live run beats every `heartbeat_interval()` seconds; a running run whose last beat is
older than `grace_period()` is shown `interrupted` from any host, since a pid means nothing on
another machine. The beat also reads the run's stop request: `runs stop` on another host asks
through the store, and the run stops as if signalled here. Both periods are settings of the
environment, so tests use 1-2 s.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from rnn_tui.errors import StoreError

if TYPE_CHECKING:
    from rnn_tui.store.runs import RunStore

ENV_INTERVAL = "RNN_TUI_HEARTBEAT_S"
ENV_GRACE = "RNN_TUI_HEARTBEAT_GRACE_S"
DEFAULT_INTERVAL_S = 10.0
DEFAULT_GRACE_S = 60.0


def _seconds(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86400:
        raise StoreError(f"${name} must be a number of seconds above 0, not {text!r}")
    return value


def heartbeat_interval() -> float:
    return _seconds(ENV_INTERVAL, DEFAULT_INTERVAL_S)


def grace_period() -> float:
    """How long a run may miss its beats before it counts as interrupted."""
    return max(_seconds(ENV_GRACE, DEFAULT_GRACE_S), heartbeat_interval())


def stop_this_process() -> None:
    """What a stop request does by default: what `runs stop` does to a local run (SIGTERM),
    which the trainer treats as a clean stop that saves a checkpoint."""
    os.kill(os.getpid(), signal.SIGTERM)


class Heartbeat:
    """A daemon thread that beats for one run until `stop()`; a failed beat is retried at the
    next one (the recorder keeps the run's rows meanwhile)."""

    def __init__(
        self,
        store: RunStore,
        run_id: int,
        *,
        interval: float | None = None,
        on_stop_request: Callable[[], None] = stop_this_process,
    ):
        self.store = store
        self.run_id = run_id
        self.interval = heartbeat_interval() if interval is None else interval
        self.on_stop_request = on_stop_request
        self.stop_requested = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{run_id}", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            if getattr(self.store, "_closed", False):  # the store went first: nothing to beat
                return
            try:
                asked = self.store.beat(self.run_id)
            except StoreError:
                continue  # the store is away: beat again later
            if asked and not self.stop_requested:
                self.stop_requested = True
                self.on_stop_request()
