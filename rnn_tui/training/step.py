"""One optimizer step on one batch: the forward pass (autocast with bf16), the cross-entropy,
the backward pass, gradient clipping, the update and the weight average."""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from rnn_tui.model.charrnn import CharRNN, State
from rnn_tui.training.averaging import WeightAverage


def train_step(
    model: CharRNN,
    optimizer: torch.optim.Optimizer,
    batch: tuple[torch.Tensor, torch.Tensor],
    state: State | None,
    *,
    clip: float,
    bf16: bool,
    average: WeightAverage | None,
) -> tuple[float, State]:
    """The batch's loss and the state after it. A loss that is not finite updates nothing:
    the caller ends the run as diverged, keeping the last good checkpoint."""
    inputs, targets = batch
    model.train()
    with torch.autocast(inputs.device.type, dtype=torch.bfloat16, enabled=bf16):
        logits, state = model(inputs, state)
    loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    value = loss.item()
    if math.isfinite(value):
        optimizer.step()
        if average is not None:
            average.update(model)
    return value, state
