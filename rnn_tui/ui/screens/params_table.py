"""What the Parameters screen shows: the model sizes its side form describes, and the rows of
its layer-by-layer table (textbook vs PyTorch) with the line shown under each one.

The counts are rnn_tui.model.params' arithmetic; the sizes, their defaults and ranges live in
rnn_tui.model.sizes (shared with `rnn-tui params`); a Train form's config becomes sizes through
the engine's one model shape (rnn_tui.model.shape). No Textual: the cells are rich Text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.text import Text

from rnn_tui.model.params import ParamReport, ParamRow

# The sizes, their defaults and ranges are the engine's (shared with `rnn-tui params`).
from rnn_tui.model.sizes import CELL_LABELS as CELL_LABELS
from rnn_tui.model.sizes import SIZE_FIELDS as SIZE_FIELDS
from rnn_tui.model.sizes import WORKED_EXAMPLE as WORKED_EXAMPLE
from rnn_tui.model.sizes import ModelSizes as ModelSizes
from rnn_tui.model.sizes import form_model_sizes as form_model_sizes
from rnn_tui.model.sizes import parse_size as parse_size

# A deeper stack shows its first layers and its last; the middle ones repeat (their totals
# stay in the sums), and a table of 17,000 rows would hold up the screen for seconds.
SHOWN_LAYERS = 8

# The table's columns: (label, key).
COLUMNS = (
    ("parameter", "name"),
    ("gate", "gate"),
    ("shape", "shape"),
    ("textbook", "textbook"),
    ("PyTorch", "pytorch"),
    ("formula", "formula"),
)


@dataclass(frozen=True)
class TableRow:
    """One row of the table: its cells, its key, and the line shown while it is highlighted."""

    cells: tuple[str | Text, ...]
    key: str
    detail: str


def _shape(row: ParamRow) -> str:
    return "×".join(str(n) for n in row.shape)


def _skipped_layers(layers: list[str]) -> TableRow:
    """One row in place of the middle layers of a deep stack: they repeat the one before."""
    what = f"{layers[0]} – {layers[-1]}: {len(layers):,} layers like the one above"
    return TableRow((Text(f"… {what}", style="dim"), "", "", "", "", ""), "skipped", what)


def table_rows(report: ParamReport) -> Iterator[TableRow]:
    """Each layer's tensors (or gates), then its subtotal; the total last."""
    rows_by_layer: dict[str, list[ParamRow]] = {}
    for row in report.rows:
        rows_by_layer.setdefault(row.layer, []).append(row)
    totals = report.layer_totals()
    recurrent = [layer for layer, _, _ in totals if layer.startswith("layer ")]
    hidden_layers = recurrent[SHOWN_LAYERS - 1 : -1] if len(recurrent) > SHOWN_LAYERS else []
    for layer, textbook, pytorch in totals:
        if hidden_layers and layer == hidden_layers[0]:
            yield _skipped_layers(hidden_layers)
        if layer in hidden_layers:
            continue
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
