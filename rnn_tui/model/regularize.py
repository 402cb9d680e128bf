"""Dropout that suits recurrent nets: locked (variational) masks and DropConnect weights.

A locked mask is drawn once per sequence and reused at every time step, so the
recurrence sees the same thinned units throughout (Gal and Ghahramani, 2016). Weight
dropout thins the hidden-to-hidden matrix once per forward pass (AWD-LSTM, Merity et
al., 2017): the recurrent kernels stay intact and fast.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def locked_dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Dropout of a (time, batch, features) tensor with one mask per sequence."""
    if not training or p == 0:
        return x
    mask = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - p).div_(1 - p)
    return x * mask


class SequenceDropout(nn.Module):
    """Dropout over (time, batch, features): a fresh mask per step, or one locked mask."""

    def __init__(self, p: float, locked: bool):
        super().__init__()
        self.p = p
        self.locked = locked

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.locked:
            return locked_dropout(x, self.p, self.training)
        return F.dropout(x, self.p, self.training) if self.p else x

    def extra_repr(self) -> str:
        return f"p={self.p}, locked={self.locked}"


def drop_weight(weight: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """A thinned copy of `weight` for one forward pass (DropConnect); the weight itself in eval."""
    return F.dropout(weight, p, training=True) if training and p > 0 else weight
