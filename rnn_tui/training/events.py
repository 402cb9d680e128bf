"""Typed events the trainer reports. Floats in them are always finite."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

EndReason = Literal["finished", "stopped", "diverged", "error"]


def seed_line(epoch: int, loss: float, ppl: float) -> str:
    """The notebook's own log line for an epoch's end (the CLI and the TUI both print it)."""
    return f"Epoch {epoch}, Loss {loss:.4f}, Perplexity {ppl:.4f}"


@dataclass(frozen=True)
class RunStart:
    config: dict[str, Any]
    device: str
    params_pytorch: int
    vocab_size: int
    train_tokens: int
    val_tokens: int
    steps_per_epoch: int
    total_steps: int | None  # None when only a time budget bounds the run
    start_step: int  # > 0 when resumed
    out_dir: str | None


@dataclass(frozen=True)
class StepEnd:
    step: int  # 1-based count of optimizer steps so far
    epoch: int  # 1-based epoch this step belongs to
    loss: float
    ppl: float
    lr: float
    tokens_per_s: float  # training tokens per second over the run so far
    tokens: int  # training tokens seen so far
    elapsed: float  # training seconds so far


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    step: int
    train_loss: float
    train_ppl: float
    val_loss: float | None
    val_ppl: float | None
    tokens_per_s: float
    tokens: int
    elapsed: float
    sample: str
    is_best: bool
    checkpoint: str | None


@dataclass(frozen=True)
class EvalEnd:
    """A validation pass within an epoch (with `eval_interval`); epoch ends report theirs
    in EpochEnd. Listeners that only follow epochs may ignore it."""

    step: int
    epoch: int  # the epoch in progress
    val_loss: float
    val_ppl: float
    is_best: bool
    checkpoint: str | None  # best.pt when this pass saved a new best
    elapsed: float


@dataclass(frozen=True)
class RunEnd:
    reason: EndReason
    message: str
    step: int
    epoch: int
    best_val_ppl: float | None
    final_train_ppl: float | None
    tokens_per_s: float
    elapsed: float
    checkpoint: str | None  # the last state, for resuming
    best_checkpoint: str | None


Event = RunStart | StepEnd | EpochEnd | EvalEnd | RunEnd


def event_to_dict(event: Event) -> dict[str, Any]:
    return {"event": type(event).__name__, **asdict(event)}
