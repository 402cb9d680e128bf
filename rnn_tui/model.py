"""CharRNN: an input layer, a stack of RNN, GRU or LSTM layers, and a linear output layer."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from rnn_tui.config import TrainConfig, embedding_dim
from rnn_tui.recurrence import vanilla_rnn

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]

_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class CharRNN(nn.Module):
    """Sequence-first (time, batch) throughout, so the recurrent layer needs no transposes.

    Parameter names are `embedding.weight` (learned input only), `rnn.weight_ih_l{k}`,
    `rnn.weight_hh_l{k}`, `rnn.bias_ih_l{k}`, `rnn.bias_hh_l{k}`, `head.weight`, `head.bias`.
    """

    def __init__(
        self,
        vocab_size: int,
        *,
        cell: str = "rnn",
        hidden: int = 128,
        layers: int = 1,
        nonlinearity: str = "tanh",
        embedding: int | None = None,
        dropout: float = 0.0,
        input_size: int | None = None,
        output_size: int | None = None,
    ):
        super().__init__()
        self.vocab_size = vocab_size
        self.cell = cell
        self.hidden = hidden
        self.layers = layers
        self.embedding = nn.Embedding(vocab_size, embedding) if embedding else None
        self.input_size = embedding or input_size or vocab_size
        kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.rnn = _CELLS[cell](
            self.input_size, hidden, layers, dropout=dropout if layers > 1 else 0.0, **kwargs
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, output_size or vocab_size)

    @classmethod
    def from_config(cls, config: TrainConfig, vocab_size: int) -> CharRNN:
        return cls(
            vocab_size,
            cell=config.cell,
            hidden=config.hidden,
            layers=config.layers,
            nonlinearity=config.nonlinearity,
            embedding=embedding_dim(config.embedding, vocab_size),
            dropout=config.dropout,
        )

    def encode_input(self, tokens: torch.Tensor) -> torch.Tensor:
        if self.embedding is not None:
            return self.embedding(tokens)
        return F.one_hot(tokens, self.input_size).to(self.head.weight.dtype)

    def forward(
        self, tokens: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """tokens: (time, batch) ints. Returns logits (time, batch, vocab) and the new state."""
        inputs = self.encode_input(tokens)
        fast = inputs.device.type == "cpu" and not torch.is_autocast_enabled("cpu")
        if self.cell == "rnn" and fast:
            outputs, state = vanilla_rnn(self.rnn, inputs, state, self.training)
        else:
            outputs, state = self.rnn(inputs, state)
        return self.head(self.drop(outputs)), state

    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> State:
        zeros = torch.zeros(self.layers, batch_size, self.hidden, device=device)
        return (zeros, zeros.clone()) if self.cell == "lstm" else zeros


def detach_state(state: State | None) -> State | None:
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)  # type: ignore[return-value]
    return state.detach()


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
