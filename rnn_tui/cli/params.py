"""`rnn-tui params`: a network's parameters layer by layer, as the textbook and PyTorch count."""

from __future__ import annotations

import argparse

from rnn_tui import strict_json
from rnn_tui.config import flag
from rnn_tui.errors import RnnTuiError


def cmd_params(args: argparse.Namespace) -> int:
    from rnn_tui.model.params import bias_note, count_params
    from rnn_tui.model.sizes import SIZE_FIELDS, size_error

    for name in SIZE_FIELDS:  # the ranges the Parameters screen's form checks too
        problem = size_error(name, getattr(args, name))
        if problem:
            raise RnnTuiError(f"{flag(name)} {problem}")
    embedding = (args.input_size, args.embedding) if args.embedding else None
    try:
        report = count_params(
            args.cell,
            args.input_size,
            args.hidden,
            args.layers,
            args.output_size,
            embedding=embedding,
            per_gate=not args.stacked,
        )
    except ValueError as exc:
        raise RnnTuiError(str(exc)) from None
    if args.json:
        print(strict_json.dumps(report.to_dict(), indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{args.cell.upper()} parameters", title_justify="left")
    for column in ("layer", "parameter", "gate", "shape", "textbook", "PyTorch", "formula"):
        justify = "right" if column in ("textbook", "PyTorch") else "left"
        table.add_column(column, justify=justify)
    for row in report.rows:
        shape = "×".join(str(n) for n in row.shape)
        table.add_row(
            row.layer,
            row.name,
            row.gate or "",
            shape,
            str(row.textbook),
            str(row.pytorch),
            row.formula,
        )
    table.add_section()
    for layer, textbook, pytorch in report.layer_totals():
        table.add_row(layer, "", "", "", str(textbook), str(pytorch), "")
    table.add_section()
    table.add_row("total", "", "", "", f"{report.total_textbook}", f"{report.total_pytorch}", "")
    console = Console()
    console.print(table)
    console.print(report.summary())
    console.print(bias_note(args.cell), style="dim")
    return 0
