"""A model's shape from a config: the one place the model fields become layer sizes.

`CharRNN.from_config`, the parameter report (`params.report_for_config`, the form's live
count) and the memory estimate (`resources.estimate`) all read a `ModelShape`, so the list of
model fields is written out once. No torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rnn_tui.config import TrainConfig, embedding_dim

# The one gate table: gate names in the order PyTorch stacks them inside each recurrent
# weight and bias tensor. A vanilla RNN has none (one block per tensor). The parameter
# rows (params.py) and the memory estimate (resources.py) both read it.
GATES: dict[str, tuple[str, ...]] = {
    "rnn": (),
    "gru": ("reset", "update", "new"),  # r, z, n
    "lstm": ("input", "forget", "cell", "output"),  # i, f, g, o
}


def stacked_blocks(cell: str) -> int:
    """How many hidden-sized blocks each recurrent tensor of `cell` stacks: its gates, or 1."""
    return max(len(GATES[cell]), 1)


@dataclass(frozen=True)
class ModelShape:
    """CharRNN's constructor arguments; `asdict` of it is what CharRNN takes."""

    vocab_size: int
    cell: str
    hidden: int
    layers: int
    nonlinearity: str
    embedding: int | None  # None: one-hot input; -1: the config's embedding is unreadable
    dropout: float
    input_dropout: float
    weight_dropout: float
    locked_dropout: bool

    @property
    def input_size(self) -> int:
        """What the recurrent layers read per step: the embedding, else the one-hot vector."""
        return self.embedding if self.embedding is not None else self.vocab_size

    def model_kwargs(self) -> dict[str, Any]:
        return asdict(self)


def model_shape(config: TrainConfig, vocab_size: int) -> ModelShape:
    return ModelShape(
        vocab_size=vocab_size,
        cell=config.cell,
        hidden=config.hidden,
        layers=config.layers,
        nonlinearity=config.nonlinearity,
        embedding=embedding_dim(config.embedding, vocab_size),
        dropout=config.dropout,
        input_dropout=config.input_dropout,
        weight_dropout=config.weight_dropout,
        locked_dropout=config.dropout_mask == "locked",
    )
