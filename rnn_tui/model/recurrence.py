"""The vanilla RNN's recurrence on the CPU, with a hand-written backward pass.

nn.RNN on the CPU runs each time step as a handful of small autograd nodes. Here the
input projection of every time step is one matrix product, each step forward is one
`addmm` plus an in-place activation, each step backward is one product, and the
recurrent weight's gradient is one product over all steps. Same parameters, same maths
(tested against nn.RNN), about 1.2x faster per training step at the notebook's size.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F


class _Recurrence(torch.autograd.Function):
    """h_t = act(pre_t + h_{t-1} W_hh^T) for t = 0..T-1, where pre already holds x W_ih^T + b."""

    @staticmethod
    def forward(ctx, pre: torch.Tensor, h0: torch.Tensor, w_hh: torch.Tensor, relu: bool):
        hs = torch.empty_like(pre)
        w_t = w_hh.t()
        h = h0
        for t in range(pre.shape[0]):
            torch.addmm(pre[t], h, w_t, out=hs[t])
            h = hs[t].clamp_(min=0) if relu else hs[t].tanh_()
        ctx.save_for_backward(hs, h0, w_hh)
        ctx.relu = relu
        return hs

    @staticmethod
    def backward(ctx, grad_hs: torch.Tensor):
        hs, h0, w_hh = ctx.saved_tensors
        slope = (hs > 0).to(hs.dtype) if ctx.relu else 1 - hs * hs
        grad_pre = torch.empty_like(hs)
        grad_h = torch.zeros_like(h0)
        for t in range(hs.shape[0] - 1, -1, -1):
            torch.mul(grad_hs[t] + grad_h, slope[t], out=grad_pre[t])
            grad_h = grad_pre[t] @ w_hh
        hidden = hs.shape[-1]
        previous = torch.cat([h0.unsqueeze(0), hs[:-1]])
        grad_w = grad_pre.reshape(-1, hidden).t() @ previous.reshape(-1, hidden)
        return grad_pre, grad_h, grad_w, None


def vanilla_rnn(
    rnn: nn.RNN,
    inputs: torch.Tensor,
    state: torch.Tensor | None,
    training: bool,
    *,
    weight_dropout: float = 0.0,
    between: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """What `rnn(inputs, state)` returns, for a sequence-first nn.RNN with biases.

    In training, `weight_dropout` thins each W_hh once per call (DropConnect), and
    `between` replaces nn.RNN's own dropout between layers (e.g. a locked mask)."""
    layers, hidden = rnn.num_layers, rnn.hidden_size
    if state is None:
        state = inputs.new_zeros(layers, inputs.shape[1], hidden)
    relu = rnn.nonlinearity == "relu"
    x, finals = inputs, []
    for k in range(layers):
        if k > 0 and between is not None:
            x = between(x)
        elif k > 0 and rnn.dropout and training:
            x = F.dropout(x, rnn.dropout, training=True)
        bias = getattr(rnn, f"bias_ih_l{k}") + getattr(rnn, f"bias_hh_l{k}")
        pre = F.linear(x, getattr(rnn, f"weight_ih_l{k}"), bias)
        w_hh = getattr(rnn, f"weight_hh_l{k}")
        if training and weight_dropout > 0:
            w_hh = F.dropout(w_hh, weight_dropout, training=True)
        x = _Recurrence.apply(pre, state[k], w_hh, relu)
        finals.append(x[-1])
    return x, torch.stack(finals)
