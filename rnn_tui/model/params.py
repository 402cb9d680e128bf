"""Parameter counts of a CharRNN, layer by layer, in the textbook's and in PyTorch's convention.

The textbook (d2l, most lecture notes) gives each gate (a vanilla RNN: each layer) one bias
vector. PyTorch's nn.RNN, nn.GRU and nn.LSTM keep two, `bias_ih` and `bias_hh`, which add
up before the nonlinearity, so PyTorch counts hidden × gates more parameters per recurrent
layer (hidden for a vanilla RNN). The
worked example: a 2-layer vanilla RNN with input 1, hidden 3 and output 1 has
15 + 21 + 4 = 40 parameters by the textbook and 18 + 24 + 4 = 46 in PyTorch.

Everything here is arithmetic on the sizes: no torch import, so a front end can recompute
the table on every keystroke. Row names match `CharRNN.named_parameters()`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from rnn_tui.config import CELLS
from rnn_tui.errors import ConfigError
from rnn_tui.model.shape import GATES, model_shape, stacked_blocks

if TYPE_CHECKING:
    from rnn_tui.config import TrainConfig

MAX_REPORT_LAYERS = 1_000  # rows are listed one by one: a report of 10^8 layers never ends


def bias_note(cell: str | None = None) -> str:
    """One line on why PyTorch counts more than the textbook, for `cell` or for every cell.

    A vanilla RNN has no gates: its second bias is one vector per layer.
    """
    if cell == "rnn":
        return (
            "PyTorch keeps two bias vectors per layer (b_ih and b_hh); the textbook folds them "
            "into one, so PyTorch counts hidden more per layer."
        )
    if cell in GATES:
        gates = len(GATES[cell])
        return (
            f"PyTorch keeps two bias vectors per gate (b_ih and b_hh); the textbook folds them "
            f"into one, so PyTorch counts {gates}×hidden more per layer ({gates} gates)."
        )
    return (
        "PyTorch keeps two bias vectors (b_ih and b_hh) where the textbook folds them into one: "
        "hidden more per layer for an RNN, gates×hidden for a GRU or LSTM."
    )


BIAS_NOTE = bias_note()  # for views that show one note whatever the cell

_SECOND_BIAS = "PyTorch's second bias; the textbook folds it into b_ih and counts 0"


@dataclass(frozen=True)
class ParamRow:
    layer: str  # "embedding", "layer 1", ..., "output"
    name: str  # as in CharRNN.named_parameters(), e.g. "rnn.weight_ih_l0"
    gate: str | None  # per-gate GRU/LSTM rows; None otherwise
    shape: tuple[int, ...]  # this row's slice (one gate's slice when gate is set)
    textbook: int  # one bias per gate: bias_hh rows count 0
    pytorch: int  # as PyTorch stores it
    formula: str  # the arithmetic with the actual numbers, e.g. "3×1 = 3"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["shape"] = list(self.shape)
        return data


@dataclass(frozen=True)
class ParamReport:
    rows: tuple[ParamRow, ...]
    total_textbook: int
    total_pytorch: int

    def layer_totals(self) -> list[tuple[str, int, int]]:
        """(layer, textbook, pytorch) per layer, in model order."""
        totals: dict[str, list[int]] = {}
        for row in self.rows:
            entry = totals.setdefault(row.layer, [0, 0])
            entry[0] += row.textbook
            entry[1] += row.pytorch
        return [(layer, t, p) for layer, (t, p) in totals.items()]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: layers with their totals and rows, then the two grand totals."""
        layers = [
            {
                "layer": layer,
                "textbook": textbook,
                "pytorch": pytorch,
                "params": [row.to_dict() for row in self.rows if row.layer == layer],
            }
            for layer, textbook, pytorch in self.layer_totals()
        ]
        return {
            "layers": layers,
            "total_textbook": self.total_textbook,
            "total_pytorch": self.total_pytorch,
        }

    def summary(self) -> str:
        """E.g. "textbook: 15 + 21 + 4 = 40; PyTorch: 18 + 24 + 4 = 46"."""
        totals = self.layer_totals()
        textbook = " + ".join(str(t) for _, t, _ in totals)
        pytorch = " + ".join(str(p) for _, _, p in totals)
        return (
            f"textbook: {textbook} = {self.total_textbook}; "
            f"PyTorch: {pytorch} = {self.total_pytorch}"
        )


def _matrix_row(layer: str, name: str, rows: int, cols: int) -> ParamRow:
    """A weight matrix without gates, counted alike by the textbook and PyTorch."""
    return ParamRow(
        layer, name, None, (rows, cols), rows * cols, rows * cols, _matrix_formula(rows, cols)
    )


def _matrix_formula(rows: int, cols: int, gates: int = 1) -> str:
    if gates > 1:
        return f"{gates} gates × {rows}×{cols} = {gates * rows * cols}"
    return f"{rows}×{cols} = {rows * cols}"


def _vector_formula(size: int, gates: int = 1) -> str:
    return f"{gates} gates × {size} = {gates * size}" if gates > 1 else str(size)


def _recurrent_rows(
    cell: str, layer: int, input_size: int, hidden: int, per_gate: bool
) -> list[ParamRow]:
    gates = GATES[cell]
    stacked = stacked_blocks(cell)  # vanilla RNN: one "gate"
    split = per_gate and len(gates) > 0
    label = f"layer {layer + 1}"
    rows: list[ParamRow] = []
    for kind, cols in (("weight_ih", input_size), ("weight_hh", hidden)):
        name = f"rnn.{kind}_l{layer}"
        if split:
            for gate in gates:
                n = hidden * cols
                rows.append(
                    ParamRow(label, name, gate, (hidden, cols), n, n, _matrix_formula(hidden, cols))
                )
        else:
            n = stacked * hidden * cols
            formula = _matrix_formula(hidden, cols, stacked)
            rows.append(ParamRow(label, name, None, (stacked * hidden, cols), n, n, formula))
    for kind in ("bias_ih", "bias_hh"):
        name = f"rnn.{kind}_l{layer}"
        second = kind == "bias_hh"
        parts = [(gate, hidden, 1) for gate in gates] if split else [(None, hidden, stacked)]
        for gate, size, count in parts:
            n = count * size
            formula = _vector_formula(size, count)
            if second:
                note = _SECOND_BIAS
                if gate == "new":  # GRU: b_hn is applied inside r ⊙ (W_hn h + b_hn)
                    note += "; in PyTorch b_hn sits inside r ⊙ (W_hn h + b_hn)"
                formula = f"{formula} ({note})"
            rows.append(
                ParamRow(label, name, gate, (count * size,), 0 if second else n, n, formula)
            )
    return rows


def count_params(
    cell: str,
    input_size: int,
    hidden: int,
    layers: int,
    output_size: int,
    *,
    embedding: tuple[int, int] | None = None,
    per_gate: bool = True,
) -> ParamReport:
    """Count a CharRNN's parameters row by row.

    embedding=(vocab, dim) adds an "embedding" layer and makes the first recurrent layer's
    input `dim` (input_size is then ignored); None means one-hot/raw input of input_size.
    per_gate splits GRU/LSTM tensors into one row per gate; False keeps one row per tensor.
    Raises ValueError for an unknown cell, a size below 1 or over MAX_REPORT_LAYERS layers.
    """
    if cell not in GATES:
        raise ValueError(f"unknown cell {cell!r}; choose {', '.join(CELLS)}")
    sizes = {"hidden": hidden, "layers": layers, "output_size": output_size}
    if embedding is None:
        sizes["input_size"] = input_size
    else:
        vocab, dim = embedding
        sizes.update(vocab=vocab, embedding_dim=dim)
    for label, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a whole number of at least 1, got {value!r}")
    if layers > MAX_REPORT_LAYERS:
        raise ValueError(f"layers must be at most {MAX_REPORT_LAYERS:,}, got {layers:,}")

    rows: list[ParamRow] = []
    if embedding is not None:
        vocab, dim = embedding
        rows.append(_matrix_row("embedding", "embedding.weight", vocab, dim))
        input_size = dim
    for layer in range(layers):
        layer_input = input_size if layer == 0 else hidden
        rows.extend(_recurrent_rows(cell, layer, layer_input, hidden, per_gate))
    rows.append(_matrix_row("output", "head.weight", output_size, hidden))
    rows.append(
        ParamRow(
            "output", "head.bias", None, (output_size,), output_size, output_size, str(output_size)
        )
    )
    return ParamReport(
        rows=tuple(rows),
        total_textbook=sum(r.textbook for r in rows),
        total_pytorch=sum(r.pytorch for r in rows),
    )


def report_for_config(
    config: TrainConfig, vocab_size: int, *, per_gate: bool = True
) -> ParamReport:
    """The report for the CharRNN that `CharRNN.from_config(config, vocab_size)` builds.

    Raises ConfigError naming the field when a model field (cell, layers, hidden,
    embedding) is invalid, so a form can show it next to that field.
    """
    errors = {
        k: v for k, v in config.validate().items() if k in ("cell", "layers", "hidden", "embedding")
    }
    if errors:
        raise ConfigError(errors)
    shape = model_shape(config, vocab_size)
    return count_params(
        shape.cell,
        vocab_size,
        shape.hidden,
        shape.layers,
        vocab_size,
        embedding=None if shape.embedding is None else (vocab_size, shape.embedding),
        per_gate=per_gate,
    )
