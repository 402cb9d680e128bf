"""When a training loss is exploding, and what to tell the user: the run ends as `diverged`
with advice instead of filling its log with NaN (as char-rnn does)."""

from __future__ import annotations

import math

DIVERGENCE_FACTOR = 4.0  # a loss this many times a uniform guess's is exploding


def divergence_limit(vocab_size: int) -> float:
    """The loss above which a run over `vocab_size` characters has diverged."""
    uniform_loss = math.log(vocab_size)
    return max(DIVERGENCE_FACTOR * uniform_loss, uniform_loss + 5.0)


def diverged(loss: float, limit: float) -> bool:
    return not math.isfinite(loss) or loss > limit


def divergence_message(
    loss: float, step: int, lr: float, clip: float, last_checkpoint: str | None
) -> str:
    """One line: what the loss did at `step`, what to change, and the checkpoint kept."""
    what = (
        "became NaN"
        if loss != loss
        else ("became infinite" if math.isinf(loss) else f"exploded to {loss:.3g}")
    )
    advice = f"lower the learning rate (now {lr:g})"
    if clip == 0:
        advice += " or turn on gradient clipping (--clip 1)"
    kept = f"; the last good checkpoint is {last_checkpoint}" if last_checkpoint else ""
    return f"loss {what} at step {step}: {advice}{kept}"
