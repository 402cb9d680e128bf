"""An exponential moving average of a model's weights.

Training updates the raw weights; evaluation, samples and the checkpoint used for
sampling take the average. Early on the decay is lowered, (1 + n) / (10 + n) after n
updates, so the average is not dominated by the random initial weights.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


class WeightAverage:
    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.updates = 0
        self.names = [name for name, _ in model.named_parameters()]
        self.weights = [p.detach().clone() for p in model.parameters()]

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        weight = 1.0 - self.current_decay()
        torch._foreach_lerp_(self.weights, [p.detach() for p in model.parameters()], weight)
        self.updates += 1

    @contextmanager
    def applied(self, model: nn.Module) -> Iterator[None]:
        """The model holds the averaged weights inside the block, its own ones after."""
        params = list(model.parameters())
        raw = [p.detach().clone() for p in params]
        with torch.no_grad():
            for param, average in zip(params, self.weights, strict=True):
                param.copy_(average)
        try:
            yield
        finally:
            with torch.no_grad():
                for param, own in zip(params, raw, strict=True):
                    param.copy_(own)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The averaged weights under the model's own parameter names."""
        return {name: w.detach().cpu() for name, w in zip(self.names, self.weights, strict=True)}

    def load(self, weights: dict[str, Any], updates: int) -> None:
        for index, name in enumerate(self.names):
            self.weights[index].copy_(weights[name])
        self.updates = updates
