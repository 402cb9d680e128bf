"""CharRNN: an input layer, a stack of RNN, GRU or LSTM layers, and a linear output layer."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from rnn_tui.config import TrainConfig
from rnn_tui.model.recurrence import vanilla_rnn
from rnn_tui.model.regularize import SequenceDropout, drop_weight
from rnn_tui.model.shape import model_shape

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]

_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
_VANILLA = {"tanh": torch.rnn_tanh, "relu": torch.rnn_relu}


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
        input_dropout: float = 0.0,
        weight_dropout: float = 0.0,
        locked_dropout: bool = False,
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
        self.dropout = dropout if layers > 1 else 0.0
        self.weight_dropout = weight_dropout
        self.locked_dropout = locked_dropout
        self.input_drop = SequenceDropout(input_dropout, locked_dropout)
        self.between_drop = SequenceDropout(self.dropout, locked_dropout)
        self.drop = SequenceDropout(dropout, locked_dropout)
        self.head = nn.Linear(hidden, output_size or vocab_size)

    @classmethod
    def from_config(cls, config: TrainConfig, vocab_size: int) -> CharRNN:
        return cls(**model_shape(config, vocab_size).model_kwargs())

    def encode_input(self, tokens: torch.Tensor) -> torch.Tensor:
        if self.embedding is not None:
            return self.embedding(tokens)
        return F.one_hot(tokens, self.input_size).to(self.head.weight.dtype)

    def forward(
        self, tokens: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """tokens: (time, batch) ints. Returns logits (time, batch, vocab) and the new state."""
        inputs = self.input_drop(self.encode_input(tokens))
        fast = inputs.device.type == "cpu" and not torch.is_autocast_enabled("cpu")
        if self.cell == "rnn" and fast:
            outputs, state = vanilla_rnn(
                self.rnn,
                inputs,
                state,
                self.training,
                weight_dropout=self.weight_dropout,
                between=self.between_drop if self.locked_dropout else None,
            )
        elif self.training and (self.weight_dropout or (self.locked_dropout and self.dropout)):
            outputs, state = self._layer_by_layer(inputs, state)
        else:
            outputs, state = self.rnn(inputs, state)
        return self.head(self.drop(outputs)), state

    def _layer_by_layer(
        self, inputs: torch.Tensor, state: State | None
    ) -> tuple[torch.Tensor, State]:
        """The stack one layer at a time, with a thinned copy of each weight_hh and
        the model's own dropout between layers. Used in training only: in evaluation
        the unthinned weights give the same result through the one fused call."""
        if state is None:
            state = self.init_state(inputs.shape[1], inputs.device)
            state = (
                tuple(s.to(inputs.dtype) for s in state)
                if isinstance(state, tuple)
                else state.to(inputs.dtype)
            )
        rnn, x = self.rnn, inputs
        finals: list[list[torch.Tensor]] = []
        for k in range(self.layers):
            if k > 0:
                x = self.between_drop(x)
            weights = [
                getattr(rnn, f"weight_ih_l{k}"),
                drop_weight(getattr(rnn, f"weight_hh_l{k}"), self.weight_dropout, True),
                getattr(rnn, f"bias_ih_l{k}"),
                getattr(rnn, f"bias_hh_l{k}"),
            ]
            if self.cell == "lstm":
                h0 = (state[0][k : k + 1], state[1][k : k + 1])
                x, h, c = torch.lstm(x, h0, weights, True, 1, 0.0, True, False, False)
                finals.append([h, c])
            else:
                run = torch.gru if self.cell == "gru" else _VANILLA[rnn.nonlinearity]
                x, h = run(x, state[k : k + 1], weights, True, 1, 0.0, True, False, False)
                finals.append([h])
        stacked = [torch.cat(parts) for parts in zip(*finals, strict=True)]
        return x, (stacked[0], stacked[1]) if self.cell == "lstm" else stacked[0]

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
