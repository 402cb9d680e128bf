"""A training queue as the app sees it: how one starts, and what is shown of it.

A queue is what one Start launched (a run, or a sweep's runs one after another) or what
one attach found. `rnn_tui.ui.training.TrainingController` keeps the one shown; the Train
screen and the Runs screen read it. No torch, no Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from rnn_tui.runs.follow import LogLine, RunFollower, WatchedRun
from rnn_tui.runs.processes import Launch


class StartOptions(TypedDict, total=False):
    """How a queue starts, beside the form's values: `count` runs (a sweep when more than
    one, 1 by default), `resume_run_id` (continue that run under its own id), `confirmed`
    (the user agreed to a sweep above 64 runs)."""

    count: int
    resume_run_id: int | None
    confirmed: bool


@dataclass(eq=False)
class ShownQueue:
    """The queue the app shows: the runs one start launched (or one attach found), followed
    one after another. The controller is one; a start or an attach replaces its fields."""

    launch: Launch | None = None  # the child this app started
    current: WatchedRun | None = None
    follower: RunFollower | None = None
    log: list[LogLine] = field(default_factory=list)
    queue_total: int = 0
    queue_index: int = 0
    sweep_id: int | None = None
    stopping: bool = False
    error: str | None = None  # why the start failed, as the CLI said it
    writer: tuple[int | None, str | None] | None = None  # the watched run's process
    resumed_run: int | None = None
    queue_done: bool = True  # its process is gone and its last run has ended

    def queue_position(self) -> str:
        """'run 2/6' while a sweep shows; empty for a single run."""
        return f"run {self.queue_index + 1}/{self.queue_total}" if self.queue_total > 1 else ""
