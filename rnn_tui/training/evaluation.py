"""Validation loss over the whole held-out text, and what one such pass costs in time.

Few long streams: each starts from a zero state, and those cold starts cost about 1% of
perplexity at 32 streams on The Time Machine's validation text.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from rnn_tui.config import TrainConfig

MAX_LOSS_FOR_EXP = 700.0  # math.exp overflows a little above 709
EVAL_STREAM_CHARS = 4096


def perplexity(loss: float) -> float:
    """exp(loss), capped where exp would overflow, so events never carry inf."""
    return math.exp(min(loss, MAX_LOSS_FOR_EXP))


def evaluation_streams(val_chars: int, batch_size: int) -> tuple[int, int]:
    """(streams, characters per stream) for a validation text of `val_chars` characters."""
    size = val_chars - 1
    streams = max(1, min(batch_size, size // EVAL_STREAM_CHARS))
    return streams, size // streams


@torch.no_grad()
def validation_loss(
    model: nn.Module, data: torch.Tensor, num_steps: int, batch_size: int
) -> float | None:
    """Mean loss per character over `data`; None when it is too short to predict anything."""
    if len(data) < 2:
        return None
    device = next(model.parameters()).device
    streams, stream_len = evaluation_streams(len(data), batch_size)
    inputs = data[: streams * stream_len].view(streams, stream_len)
    targets = data[1 : 1 + streams * stream_len].view(streams, stream_len)
    model.eval()
    total, count, state = 0.0, 0, None
    try:
        for begin in range(0, stream_len, num_steps):
            x = inputs[:, begin : begin + num_steps].t().long().to(device)
            y = targets[:, begin : begin + num_steps].t().long().to(device)
            logits, state = model(x, state)
            total += F.cross_entropy(
                logits.view(-1, logits.size(-1)), y.reshape(-1), reduction="sum"
            ).item()
            count += y.numel()
    finally:
        model.train()
    loss = total / count
    return loss if math.isfinite(loss) else MAX_LOSS_FOR_EXP


@torch.no_grad()
def evaluation_seconds(
    model: nn.Module,
    val_chars: int,
    config: TrainConfig,
    device: torch.device,
    clock: Callable[[], float],
) -> float:
    """About how long one validation pass takes: its chunks times the fastest of three timed
    chunks after a warm-up call."""
    streams, stream_len = evaluation_streams(val_chars, config.batch_size)
    tokens = torch.zeros(config.num_steps, streams, dtype=torch.long, device=device)
    model.eval()
    times = []
    try:
        for _ in range(4):
            began = clock()
            model(tokens)
            times.append(clock() - began)
    finally:
        model.train()
    return math.ceil(stream_len / config.num_steps) * min(times[1:])
