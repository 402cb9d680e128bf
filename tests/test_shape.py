"""One model shape: the model, the parameter report and the memory estimate agree."""

from __future__ import annotations

import pytest

from rnn_tui.config import TrainConfig
from rnn_tui.model.charrnn import CharRNN
from rnn_tui.model.params import report_for_config
from rnn_tui.model.resources import estimate
from rnn_tui.model.shape import model_shape


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"cell": "lstm", "layers": 2, "hidden": 24, "embedding": "8"},
        {"cell": "gru", "layers": 3, "hidden": 16, "embedding": "vocab", "dropout": 0.2},
        {"cell": "rnn", "nonlinearity": "relu", "hidden": 8, "embedding": "onehot"},
    ],
)
def test_every_reader_of_the_shape_counts_the_same_parameters(changes: dict) -> None:
    config = TrainConfig().replace(**changes)
    vocab = 29
    model = CharRNN.from_config(config, vocab)
    built = sum(p.numel() for p in model.parameters())
    assert report_for_config(config, vocab).total_pytorch == built
    assert estimate(config, vocab).parameters == built
    shape = model_shape(config, vocab)
    assert (model.cell, model.hidden, model.layers) == (shape.cell, shape.hidden, shape.layers)
    assert model.input_size == shape.input_size
