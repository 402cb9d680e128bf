"""Locked dropout, weight dropout (DropConnect) and weight averaging, unit by unit."""

from __future__ import annotations

import pytest
import torch

from rnn_tui.model.charrnn import CharRNN
from rnn_tui.model.recurrence import vanilla_rnn
from rnn_tui.model.regularize import drop_weight, locked_dropout
from rnn_tui.training.averaging import WeightAverage


def test_locked_dropout_uses_one_mask_per_sequence():
    torch.manual_seed(0)
    x = torch.ones(50, 4, 30)
    out = locked_dropout(x, 0.5, training=True)
    assert torch.equal(out, out[:1].expand_as(out))  # the same mask at every time step
    assert set(out.unique().tolist()) == {0.0, 2.0}  # kept units are scaled by 1 / (1 - p)
    assert not torch.equal(out[:, 0], out[:, 1])  # each sequence draws its own
    assert torch.equal(locked_dropout(x, 0.5, training=False), x)


def test_drop_weight_thins_in_training_only():
    torch.manual_seed(0)
    weight = torch.ones(20, 20)
    dropped = drop_weight(weight, 0.3, training=True)
    assert 0 < (dropped == 0).sum() < weight.numel()
    assert drop_weight(weight, 0.3, training=False) is weight


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_layer_by_layer_path_matches_the_fused_layers(cell):
    """With nothing dropped, the training-only path that thins weight_hh computes what
    the fused nn.RNN/GRU/LSTM computes."""
    torch.manual_seed(0)
    model = CharRNN(11, cell=cell, hidden=12, layers=3, embedding=5)
    tokens = torch.randint(0, 11, (7, 4))
    inputs = model.encode_input(tokens)
    state = model.init_state(4)
    fused, fused_state = model.rnn(inputs, state)
    manual, manual_state = model._layer_by_layer(inputs, state)
    torch.testing.assert_close(manual, fused)
    torch.testing.assert_close(manual_state, fused_state)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_weight_dropout_is_random_in_training_and_off_in_evaluation(cell):
    torch.manual_seed(0)
    plain = CharRNN(11, cell=cell, hidden=12, layers=2, embedding=5)
    thinned = CharRNN(11, cell=cell, hidden=12, layers=2, embedding=5, weight_dropout=0.5)
    thinned.load_state_dict(plain.state_dict())
    tokens = torch.randint(0, 11, (6, 3))
    thinned.eval(), plain.eval()
    torch.testing.assert_close(thinned(tokens)[0], plain(tokens)[0])
    thinned.train(), plain.train()
    first, second = thinned(tokens)[0], thinned(tokens)[0]
    assert not torch.equal(first, second)
    assert not torch.equal(first, plain(tokens)[0])
    first.sum().backward()
    assert thinned.rnn.weight_hh_l0.grad is not None
    assert thinned.rnn.weight_hh_l0.grad.abs().sum() > 0


def test_vanilla_fast_path_thins_weight_hh_like_the_reference():
    torch.manual_seed(0)
    rnn = torch.nn.RNN(5, 8, 1)
    inputs = torch.randn(6, 3, 5)
    torch.manual_seed(1)
    ours, _ = vanilla_rnn(rnn, inputs, None, True, weight_dropout=0.4)
    torch.manual_seed(1)
    dropped = torch.nn.functional.dropout(rnn.weight_hh_l0, 0.4, training=True)
    params = [rnn.weight_ih_l0, dropped, rnn.bias_ih_l0, rnn.bias_hh_l0]
    reference, _ = torch.rnn_tanh(
        inputs, torch.zeros(1, 3, 8), params, True, 1, 0.0, True, False, False
    )
    torch.testing.assert_close(ours, reference)


def test_weight_average_follows_the_decay_and_swaps_back():
    model = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    average = WeightAverage(model, decay=0.5)
    with torch.no_grad():
        model.weight.fill_(1.0)
    average.update(model)  # early decay (1 + 0) / (10 + 0) = 0.1: mostly the new weights
    assert average.weights[0].flatten().tolist() == pytest.approx([0.9, 0.9])
    average.update(model)  # decay min(0.5, 2 / 11)
    assert average.weights[0][0, 0].item() == pytest.approx(0.9 + (1 - 2 / 11) * 0.1)
    with average.applied(model):
        assert model.weight[0, 0].item() == pytest.approx(average.weights[0][0, 0].item())
    assert model.weight.tolist() == [[1.0, 1.0]]
    assert list(average.state_dict()) == ["weight"]
