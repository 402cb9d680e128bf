"""The CPU vanilla-RNN recurrence gives nn.RNN's outputs, state and gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnn_tui.model.recurrence import vanilla_rnn


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("with_state", [False, True])
def test_matches_nn_rnn(nonlinearity, layers, with_state):
    torch.manual_seed(0)
    rnn = nn.RNN(5, 7, layers, nonlinearity=nonlinearity)
    inputs = torch.randn(6, 4, 5, requires_grad=True)
    state = torch.randn(layers, 4, 7, requires_grad=True) if with_state else None

    def run(fn):
        for p in rnn.parameters():
            p.grad = None
        for t in (inputs, state):
            if t is not None:
                t.grad = None
        out, final = fn()
        ((out * torch.linspace(-1, 1, 7)).sum() + final.pow(2).sum()).backward()
        grads = [p.grad.clone() for p in rnn.parameters()] + [inputs.grad.clone()]
        if state is not None:
            grads.append(state.grad.clone())
        return out.detach(), final.detach(), grads

    expected = run(lambda: rnn(inputs, state))
    ours = run(lambda: vanilla_rnn(rnn, inputs, state, training=True))
    assert torch.allclose(ours[0], expected[0], atol=1e-6)
    assert torch.allclose(ours[1], expected[1], atol=1e-6)
    for mine, theirs in zip(ours[2], expected[2], strict=True):
        assert torch.allclose(mine, theirs, atol=1e-5)


def test_gradcheck_in_double_precision():
    torch.manual_seed(1)
    rnn = nn.RNN(3, 4, 2).double()
    inputs = torch.randn(5, 2, 3, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x: vanilla_rnn(rnn, x, None, training=False)[0], (inputs,)
    )


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(0)
    rnn = nn.RNN(3, 4, 2, dropout=0.5)
    inputs = torch.randn(5, 2, 3)
    eval_out, _ = vanilla_rnn(rnn, inputs, None, training=False)
    assert torch.allclose(eval_out, rnn.eval()(inputs)[0], atol=1e-6)
    train_a, _ = vanilla_rnn(rnn, inputs, None, training=True)
    assert not torch.allclose(train_a, eval_out)
