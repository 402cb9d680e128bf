"""A run written straight into the store, as a run process would, with no process: the
writer recorded is the test itself (alive), so the app attaches to it as to a live run.
Fixed numbers, so what the screen shows is deterministic."""

from __future__ import annotations

import math
import sqlite3
import time

from ui_helpers import wait_until

from rnn_tui.config import TrainConfig
from rnn_tui.store import RunStore, default_db_path
from rnn_tui.training.events import EpochEnd, StepEnd
from rnn_tui.ui.screens.train import TrainScreen

STEPS_PER_EPOCH = 50


def fake_live_run(
    *, epochs_done: int = 3, epochs: int = 6, age_s: float = 12 * 60, hidden: int = 256
) -> int:
    """A running GRU run of `epochs` epochs, `epochs_done` of them recorded with their
    steps, started `age_s` seconds ago; its id."""
    config = TrainConfig().replace(cell="gru", hidden=hidden, epochs=epochs).to_dict()
    with RunStore(default_db_path()) as store:
        run_id = store.create_run(config, device="cpu", params=1234)
        recorder = store.recorder(run_id)
        step = 0
        for epoch in range(1, epochs_done + 1):
            for _ in range(STEPS_PER_EPOCH):
                step += 1
                ppl = 4.0 + 20.0 * math.exp(-step / 40) + 0.5 * math.sin(step / 3)
                recorder(
                    StepEnd(step, epoch, math.log(ppl), ppl, 1.0, 20000.0, 320 * step, step / 10)
                )
            train_ppl = 4.0 + 20.0 * math.exp(-step / 40)
            recorder(
                EpochEnd(
                    epoch,
                    step,
                    math.log(train_ppl),
                    train_ppl,
                    math.log(train_ppl + 1),
                    train_ppl + 1,
                    20000.0,
                    320 * step,
                    step / 10,
                    f"the time traveller {epoch}",
                    True,
                    None,
                )
            )
        recorder.flush()
    with sqlite3.connect(default_db_path()) as conn:
        conn.execute("UPDATE runs SET created = ? WHERE id = ?", (time.time() - age_s, run_id))
    return run_id


class HeldClock:
    """The time module, with `time()` held at `now`."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def __getattr__(self, name: str):
        return getattr(time, name)


def hold_run_age(monkeypatch, run_id: int, age_s: float) -> None:
    """Where the app reads a run's age (its status line, the stop question), now is held at
    the run's start plus `age_s`: an app that starts slowly on a loaded machine cannot make
    the run older (12 min ago turning 13, a young run turning old enough to ask)."""
    from rnn_tui.reports import lines
    from rnn_tui.ui import stop_and_quit

    with RunStore(default_db_path()) as store:
        clock = HeldClock(store.get_run(run_id).created + age_s)
    monkeypatch.setattr(lines, "time", clock)
    monkeypatch.setattr(stop_and_quit, "time", clock)


async def attached(pilot) -> TrainScreen:
    """Wait until the app shows the fake run (read by a worker: a count of event-loop turns
    would measure the machine, so this waits on the condition, up to a minute)."""
    app = pilot.app

    def shown() -> bool:
        current = app.controller.current
        return current is not None and bool(current.metrics.step)

    await wait_until(pilot, shown, "the app to attach to the fake run")
    screen = app.screen
    assert isinstance(screen, TrainScreen)
    screen.repaint_live()
    await pilot.pause()
    return screen
