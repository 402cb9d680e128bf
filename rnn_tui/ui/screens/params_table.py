"""What the Parameters screen shows: the model sizes its side form describes, and the rows of
its layer-by-layer table (textbook vs PyTorch) with the line shown under each one.

The counts are rnn_tui.model.params' arithmetic; a Train form's config becomes sizes through the
engine's one model shape (rnn_tui.model.shape). No Textual: the cells are rich Text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.text import Text

from rnn_tui.config import MAX_LAYERS, TrainConfig, parse_int
from rnn_tui.model.params import ParamReport, ParamRow, count_params
from rnn_tui.model.shape import model_shape

CELL_LABELS = {"rnn": "RNN (vanilla)", "gru": "GRU", "lstm": "LSTM"}

# The table's columns: (label, key).
COLUMNS = (
    ("parameter", "name"),
    ("gate", "gate"),
    ("shape", "shape"),
    ("textbook", "textbook"),
    ("PyTorch", "pytorch"),
    ("formula", "formula"),
)

# field id -> (label, minimum, maximum, optional)
SIZE_FIELDS: dict[str, tuple[str, int, int, bool]] = {
    "input_size": ("input", 1, 1_000_000, False),
    "hidden": ("hidden", 1, 65_536, False),
    "layers": ("layers", 1, MAX_LAYERS, False),
    "output_size": ("output", 1, 1_000_000, False),
    "embedding": ("embedding", 1, 65_536, True),
}


@dataclass(frozen=True)
class ModelSizes:
    """What the side form describes. embedding None: one-hot/raw input of input_size."""

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


@dataclass(frozen=True)
class TableRow:
    """One row of the table: its cells, its key, and the line shown while it is highlighted."""

    cells: tuple[str | Text, ...]
    key: str
    detail: str


def _shape(row: ParamRow) -> str:
    return "×".join(str(n) for n in row.shape)


def table_rows(report: ParamReport) -> Iterator[TableRow]:
    """Each layer's tensors (or gates), then its subtotal; the total last."""
    rows_by_layer: dict[str, list[ParamRow]] = {}
    for row in report.rows:
        rows_by_layer.setdefault(row.layer, []).append(row)
    for layer, textbook, pytorch in report.layer_totals():
        for i, row in enumerate(rows_by_layer[layer]):
            formula = row.formula.split(" (", 1)[0]
            if row.formula != formula:
                formula += " (second bias)"
            gate = f" ({row.gate} gate)" if row.gate else ""
            yield TableRow(
                (
                    row.name,
                    row.gate or "",
                    _shape(row),
                    Text(f"{row.textbook:,}", justify="right"),
                    Text(f"{row.pytorch:,}", justify="right"),
                    formula,
                ),
                f"{row.name}:{row.gate or ''}:{i}",
                f"{row.name}{gate}: {row.formula}",
            )
        yield TableRow(
            (
                Text(f"{layer} subtotal", style="bold"),
                "",
                "",
                Text(f"{textbook:,}", style="bold", justify="right"),
                Text(f"{pytorch:,}", style="bold", justify="right"),
                "",
            ),
            f"subtotal:{layer}",
            f"{layer}: textbook {textbook:,}, PyTorch {pytorch:,}",
        )
    extra = report.total_pytorch - report.total_textbook
    yield TableRow(
        (
            Text("total", style="bold reverse"),
            "",
            "",
            Text(f"{report.total_textbook:,}", style="bold reverse", justify="right"),
            Text(f"{report.total_pytorch:,}", style="bold reverse", justify="right"),
            Text(f"+{extra:,} in PyTorch", style="bold"),
        ),
        "total",
        f"total: {report.summary()}",
    )
