"""A time budget that the final evaluation and checkpoint fit into.

Training stops early enough that the last step, the evaluation of the partial epoch,
its sample and its checkpoint all end within the budget. What they cost is measured
as the run goes: step times as a moving average, an epoch's end (or an interval
evaluation) as it happens, and before any of those, from one timed evaluation chunk.
"""

from __future__ import annotations

FINISH_MARGIN = 1.2  # the finish may run a little slower than last time
UNMEASURED_MARGIN = 1.5  # an estimate from one timed chunk, before any real evaluation


class TimeBudget:
    def __init__(self, seconds: float | None, estimated_evaluation: float = 0.0):
        self.seconds = seconds
        self.estimated_evaluation = estimated_evaluation
        self.finish_seconds: float | None = None  # the last evaluation + sample + checkpoint
        self.step_seconds = 0.0  # a recent step's time, listeners included
        self._steps_timed = 0

    def note_step(self, seconds: float) -> None:
        """A moving average of step times; the session's first step (thread pools, first
        allocations) is left out unless it is all there is."""
        self._steps_timed += 1
        if self._steps_timed <= 2:
            self.step_seconds = seconds
        else:
            self.step_seconds += 0.1 * (seconds - self.step_seconds)

    def note_finish(self, seconds: float) -> None:
        """An epoch's end took `seconds`: the next one is expected to cost as much."""
        self.finish_seconds = seconds

    def note_evaluation(self, seconds: float) -> None:
        """An interval evaluation: an epoch's end costs it plus a sample and checkpoints."""
        self.finish_seconds = max(self.finish_seconds or 0.0, 1.5 * seconds)

    def reserve(self) -> float:
        """Seconds kept back for the last step, evaluation and checkpoint."""
        if self.finish_seconds is not None:
            finish = self.finish_seconds
        else:
            finish = UNMEASURED_MARGIN * self.estimated_evaluation
        return FINISH_MARGIN * finish + self.step_seconds

    def training_seconds(self) -> float | None:
        """The budget less the reserve: where a time-measured schedule ends."""
        if self.seconds is None:
            return None
        return max(self.seconds - self.reserve(), 1e-9)

    def spent(self, wall_seconds: float) -> bool:
        return self.seconds is not None and wall_seconds + self.reserve() >= self.seconds
