"""The sizes a parameter count reads, with their defaults and ranges: the one table that
`rnn-tui params` (its flags) and the Parameters screen (its side form) are built from.

The defaults are the worked example (a 2-layer vanilla RNN, input 1, hidden 3, output 1:
40 parameters by the textbook, 46 in PyTorch). No torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rnn_tui.config import parse_int
from rnn_tui.model.params import MAX_REPORT_LAYERS, ParamReport, count_params
from rnn_tui.model.shape import model_shape

if TYPE_CHECKING:
    from rnn_tui.config import TrainConfig

CELL_LABELS = {"rnn": "RNN (vanilla)", "gru": "GRU", "lstm": "LSTM"}

# name -> (label, minimum, maximum, optional): optional may be empty (no embedding).
SIZE_FIELDS: dict[str, tuple[str, int, int, bool]] = {
    "input_size": ("input", 1, 1_000_000, False),
    "hidden": ("hidden", 1, 65_536, False),
    "layers": ("layers", 1, MAX_REPORT_LAYERS, False),
    "output_size": ("output", 1, 1_000_000, False),
    "embedding": ("embedding", 1, 65_536, True),
}


@dataclass(frozen=True)
class ModelSizes:
    """What a parameter count describes. embedding None: one-hot/raw input of input_size."""

    cell: str = "rnn"
    input_size: int = 1
    hidden: int = 3
    layers: int = 2
    output_size: int = 1
    embedding: int | None = None

    def report(self, *, per_gate: bool = True) -> ParamReport:
        return count_params(
            self.cell,
            self.input_size,
            self.hidden,
            self.layers,
            self.output_size,
            embedding=None if self.embedding is None else (self.input_size, self.embedding),
            per_gate=per_gate,
        )

    def describe(self) -> str:
        shape = f"{self.layers}×{self.hidden}"
        embed = f", embedding {self.embedding}" if self.embedding else ""
        return (
            f"{CELL_LABELS[self.cell]} {shape}, input {self.input_size}{embed}, "
            f"output {self.output_size}"
        )


WORKED_EXAMPLE = ModelSizes()


def size_error(name: str, value: int | None) -> str | None:
    """Why `value` is out of the field's range ("must be at least 1"), or None."""
    _label, minimum, maximum, optional = SIZE_FIELDS[name]
    if value is None:
        return None if optional else "is required"
    if value < minimum:
        return f"must be at least {minimum:,}"
    if value > maximum:
        return f"must be at most {maximum:,}"
    return None


def parse_size(text: str, minimum: int, maximum: int, optional: bool) -> int | None:
    """A form field as a whole number in [minimum, maximum]; raises ValueError with a message."""
    if not text.strip():
        if optional:
            return None
        raise ValueError("required")
    return parse_int(text, minimum, maximum)


def form_model_sizes(config: TrainConfig, vocab_size: int) -> ModelSizes:
    """The CharRNN `CharRNN.from_config(config, vocab_size)` builds, as form sizes."""
    shape = model_shape(config, vocab_size)
    embedding = shape.embedding
    return ModelSizes(
        cell=shape.cell,
        input_size=vocab_size,
        hidden=shape.hidden,
        layers=shape.layers,
        output_size=vocab_size,
        embedding=None if embedding is None or embedding < 0 else embedding,
    )
