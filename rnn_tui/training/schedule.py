"""Learning-rate schedules over a run's progress, in steps or in wall time."""

from __future__ import annotations

import math


def lr_factor(schedule: str, progress: float, warmup: float = 0.0, floor: float = 0.0) -> float:
    """Multiplier of the base learning rate at `progress` in [0, 1] of the run.

    A linear warm-up over the first `warmup` of the run, then the schedule over the
    rest; cosine and step end at `floor` (a fraction of the base rate), not at zero.
    """
    progress = min(max(progress, 0.0), 1.0)
    if warmup > 0 and progress < warmup:
        return progress / warmup
    if warmup > 0:
        progress = (progress - warmup) / (1.0 - warmup)
    if schedule == "cosine":
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))
    if schedule == "step":  # halve at each quarter of the run
        return max(floor, 0.5 ** min(int(progress * 4), 3))
    return 1.0
