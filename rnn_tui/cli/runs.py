"""`rnn-tui runs ...`: list, show, compare, export, delete, rename, tag, watch and stop runs.

User errors raise `RnnTuiError` subclasses; the main CLI prints them as one line.
No torch and no Textual here: these commands must start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from rnn_tui import strict_json
from rnn_tui.atomic import atomic_file
from rnn_tui.cli.args import run_id
from rnn_tui.errors import RnnTuiError
from rnn_tui.plural import plural
from rnn_tui.reports.compare import (
    X_AXES,
    fmt_count,
    fmt_ppl,
    fmt_rate,
    fmt_seconds,
    fmt_value,
    plot_runs,
    summary_rows,
)
from rnn_tui.reports.lines import short_when
from rnn_tui.store import RunRow, RunStore
from rnn_tui.store.owned import refuse_owned
from rnn_tui.store.validate import DAMAGED, is_damaged

_STATUS_STYLE = {
    "running": "bold cyan",
    "finished": "green",
    "stopped": "yellow",
    "diverged": "red",
    "interrupted": "magenta",
    "error": "bold red",
    DAMAGED: "bold red",
    "pruned": "yellow",
}


def add_runs_parser(subparsers: Any) -> None:
    runs = subparsers.add_parser(
        "runs",
        help="list, show, compare, export, delete, rename and tag stored runs",
        description="Work with the runs recorded in the run database.",
    )
    sub = runs.add_subparsers(dest="runs_command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("list", help="list runs, newest first")
    p.add_argument(
        "--filter",
        default="",
        metavar="TEXT",
        help="only runs whose name, tags, status, cell or corpus contain TEXT",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("show", help="one run: settings, summary, epochs and last sample")
    p.add_argument("id", type=run_id, metavar="ID")
    p.add_argument("--json", action="store_true", help="print the run and its metrics as JSON")

    p = sub.add_parser("compare", help="compare runs: differing settings and perplexities")
    p.add_argument("ids", type=run_id, nargs="+", metavar="ID")
    p.add_argument("--png", metavar="FILE", help="write a perplexity plot (needs matplotlib)")
    p.add_argument(
        "--x", choices=X_AXES, default="step", help="x axis of the plot (default: %(default)s)"
    )

    p = sub.add_parser("export", help="export runs' metrics as CSV or JSON")
    p.add_argument("ids", type=run_id, nargs="+", metavar="ID")
    p.add_argument(
        "--format", choices=("csv", "json"), required=True, dest="fmt", help="file format"
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")

    p = sub.add_parser("delete", help="delete a run and its checkpoints")
    p.add_argument("id", type=run_id, metavar="ID")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = sub.add_parser("rename", help="rename a run")
    p.add_argument("id", type=run_id, metavar="ID")
    p.add_argument("name", metavar="NAME")

    p = sub.add_parser("tag", help="add tags to a run (--remove takes them off)")
    p.add_argument("id", type=run_id, metavar="ID")
    p.add_argument("tags", nargs="+", metavar="TAG")
    p.add_argument("--remove", action="store_true", help="remove these tags instead")

    p = sub.add_parser("watch", help="follow a run live until it ends (Ctrl-C leaves it going)")
    p.add_argument("id", type=run_id, metavar="ID")

    p = sub.add_parser("stop", help="stop a running run cleanly (it saves a checkpoint)")
    p.add_argument("id", type=run_id, metavar="ID")

    runs.set_defaults(handler=run_runs_command)


def run_runs_command(args: argparse.Namespace) -> int:
    command = args.runs_command
    # Reading commands never write: no upgrade, no recovery, no store created.
    readonly = command in ("list", "show", "compare", "export", "watch")
    with RunStore(readonly=readonly) as store:
        if command == "list":
            return _list(store, args)
        if command == "show":
            return _show(store, args)
        if command == "compare":
            return _compare(store, args)
        if command == "export":
            return _export(store, args)
        if command == "delete":
            return _delete(store, args)
        if command in ("watch", "stop"):
            from rnn_tui.cli import watch as watch_cli

            if command == "watch":
                return watch_cli.watch(store, args.id)
            return watch_cli.stop(store, args.id)
        if command == "rename":
            store.rename(args.id, args.name)
            _console().print(
                f"run {args.id} renamed to {args.name!r}", highlight=False, markup=False
            )
            return 0
        if command == "tag":
            run = store.get_run(args.id)
            if args.remove:
                tags = [t for t in run.tags if t not in args.tags]
            else:
                tags = run.tags + [t for t in args.tags if t not in run.tags]
            store.set_tags(args.id, tags)
            shown = ", ".join(store.get_run(args.id).tags) or "(none)"
            _console().print(f"run {args.id} tags: {shown}", highlight=False, markup=False)
            return 0
    raise RnnTuiError(f"unknown runs command {command!r}")


# --------------------------------------------------------------------------- commands


def _console():  # rich is imported only by the commands that print tables
    import os

    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(highlight=False, width=200)  # piped: do not cut the tables
    return console


def _status(status: str) -> str:
    style = _STATUS_STYLE.get(status, "")
    return f"[{style}]{status}[/]" if style else status


def _when(stamp: float | None) -> str:
    return "-" if stamp is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def _shape(run: RunRow) -> str:
    return f"{run.layers}x{run.hidden}" if run.layers is not None else "-"


def _list(store: RunStore, args: argparse.Namespace) -> int:
    runs = store.list_runs(args.filter)
    if args.json:
        print(strict_json.dumps([run.to_dict() for run in runs], indent=2))
        return 0
    console = _console()
    if not runs:
        where = f" matching {args.filter!r}" if args.filter else ""
        console.print(f"no runs{where} in {store.location}", highlight=False, markup=False)
        return 0
    from rich import box
    from rich.table import Table

    wide = console.width >= 110  # narrow terminals drop train ppl, tokens/s and start time
    title = f"runs in {_esc(store.location)}"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Name", no_wrap=True, min_width=12, overflow="ellipsis")
    table.add_column("Status", no_wrap=True, min_width=8)
    table.add_column("Model", no_wrap=True)
    for name in (
        ("Best val", "Train", "Steps", "Time", "Tok/s") if wide else ("Best val", "Steps", "Time")
    ):
        table.add_column(name, justify="right", no_wrap=True)
    if wide:
        table.add_column("Started", no_wrap=True)
    table.add_column("Tags", overflow="fold")
    for run in runs:
        if is_damaged(run):  # the reason in the widest column; the other rows still show
            table.add_row(_id(run), _esc(run.message), _status(run.status))
            continue
        cells = [
            str(run.id), _esc(run.name), _status(run.status), f"{run.cell} {_shape(run)}",
            fmt_ppl(run.best_val_ppl), fmt_ppl(run.final_train_ppl), fmt_count(run.steps),
            fmt_seconds(run.seconds), fmt_rate(run.tokens_per_s), short_when(run.created),
            _esc(", ".join(run.tags)),
        ]  # fmt: skip
        if not wide:
            del cells[9], cells[8], cells[5]
        table.add_row(*cells)
    console.print(table)
    return 0


def _id(run: RunRow) -> str:
    return str(run.id) if run.id else "?"


def _show(store: RunStore, args: argparse.Namespace) -> int:
    run = store.get_run(args.id, damaged=True)
    if is_damaged(run):
        if args.json:
            print(strict_json.dumps({"run": run.to_dict(), "steps": [], "epochs": []}, indent=2))
        else:
            _console().print(
                f"run {run.id} is damaged in the store: {run.message}",
                highlight=False,
                markup=False,
            )
        return 0
    if args.json:
        print(strict_json.dumps(json.loads(store.export([run.id], "json"))[0], indent=2))
        return 0
    from rich.table import Table

    console = _console()
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold")
    info.add_column()
    sweep = "-" if run.sweep_id is None else f"{run.sweep_id} (#{run.sweep_index})"
    for label, value in [
        ("Run", f"{run.id} {_esc(run.name)}"),
        ("Status", _status(run.status) + (f"  {_esc(run.message)}" if run.message else "")),
        ("Started", _when(run.created)),
        ("Ended", _when(run.ended)),
        ("Device", _esc(run.device or "-")),
        ("Torch", _esc(run.torch_version or "-")),
        ("Parameters", fmt_count(run.params)),
        ("Tags", _esc(", ".join(run.tags) or "-")),
        ("Sweep", sweep),
        ("Best val ppl", fmt_ppl(run.best_val_ppl)),
        ("Final val ppl", fmt_ppl(run.final_val_ppl)),
        ("Final train ppl", fmt_ppl(run.final_train_ppl)),
        ("Steps", fmt_count(run.steps)),
        ("Epochs", fmt_count(run.epochs)),
        ("Time", fmt_seconds(run.seconds)),
        ("Tokens/s", fmt_rate(run.tokens_per_s)),
        ("Checkpoint", _esc(run.checkpoint or "-")),
        ("Best checkpoint", _esc(run.best_checkpoint or "-")),
    ]:
        info.add_row(label, value)
    console.print(info)

    config = Table(title="Settings", title_justify="left", show_header=False)
    config.add_column(style="bold")
    config.add_column()
    for key, value in run.config.items():
        config.add_row(key, _esc(fmt_value(value)))
    console.print(config)

    epochs = store.epoch_metrics(run.id)
    if epochs:
        table = Table(title="Epochs", title_justify="left")
        for name in ("Epoch", "Step", "Train ppl", "Val ppl", "Tokens/s", "Time", "Best"):
            table.add_column(name, justify="right")
        for e in epochs:
            table.add_row(
                str(e["epoch"]), fmt_count(e["step"]), fmt_ppl(e["train_ppl"]),
                fmt_ppl(e["val_ppl"]), fmt_rate(e["tokens_per_s"]), fmt_seconds(e["elapsed"]),
                "*" if e["is_best"] else "",
            )  # fmt: skip
        console.print(table)
        sample = next((e["sample"] for e in reversed(epochs) if e["sample"]), "")
        if sample:
            console.print(f"[bold]Last sample (epoch {epochs[-1]['epoch']}):[/]")
            console.print(sample, markup=False)
    return 0


def _compare(store: RunStore, args: argparse.Namespace) -> int:
    if args.png:
        refuse_owned(args.png, what="plot", store=store)
    runs = [store.get_run(run_id, damaged=args.png is None) for run_id in args.ids]
    console = _console()
    if args.png:
        out = plot_runs(store, runs, args.png, args.x)
        console.print(f"wrote {out}", highlight=False, markup=False)
        return 0
    print_comparison(runs, console)
    return 0


def print_comparison(runs: list[RunRow], console: Any, title: str = "Run comparison") -> None:
    """The seed's comparison table done properly; also the summary of a finished sweep."""
    from rich.table import Table

    varied, rows, best = summary_rows(runs)
    table = Table(title=f"{title} (* best validation perplexity)", title_justify="left")
    table.add_column("", justify="center")
    table.add_column("ID", justify="right")
    table.add_column("Name")
    table.add_column("Status")
    for name in varied:
        table.add_column(name)
    for name in ("Best val ppl", "Final val ppl", "Train ppl", "Time", "Tokens/s", "Params"):
        table.add_column(name, justify="right")
    for row in rows:
        style = "bold green" if row["best"] else None
        table.add_row(
            "*" if row["best"] else "",
            str(row["id"]),
            _esc(row["message"] if row["status"] == DAMAGED else row["name"]),
            _status(row["status"]),
            *(_esc(fmt_value(row["config"][name])) for name in varied),
            fmt_ppl(row["best_val_ppl"]),
            fmt_ppl(row["final_val_ppl"]),
            fmt_ppl(row["final_train_ppl"]),
            fmt_seconds(row["seconds"]),
            fmt_rate(row["tokens_per_s"]),
            fmt_count(row["params"]),
            style=style,
        )
    console.print(table)
    if len(runs) > 1 and not varied:
        console.print("the runs have the same settings", highlight=False)
    if best is not None:
        console.print(
            f"best: run {rows[best]['id']} ({_esc(rows[best]['name'])}), "
            f"validation perplexity {fmt_ppl(rows[best]['best_val_ppl'])}",
            highlight=False,
        )


def _export(store: RunStore, args: argparse.Namespace) -> int:
    if args.output:
        refuse_owned(args.output, what="export", store=store)  # before anything is written
    text = store.export(args.ids, args.fmt)
    if args.output:
        out = Path(args.output)
        try:
            with atomic_file(out) as handle:
                handle.write((text if text.endswith("\n") else text + "\n").encode("utf-8"))
        except OSError as exc:
            raise RnnTuiError(f"cannot write {out}: {exc.strerror or exc}") from None
        print(f"wrote {plural(len(args.ids), 'run')} to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _delete(store: RunStore, args: argparse.Namespace) -> int:
    run = store.get_run(args.id, damaged=True)  # deleting is what a damaged run is good for
    if not args.yes:
        if not sys.stdin.isatty():
            raise RnnTuiError(f"deleting run {run.id} needs --yes when not asked interactively")
        answer = input(f"Delete run {run.id} ({run.name}) and its checkpoints? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 1
    store.delete_run(run.id)
    print(f"deleted run {run.id} ({run.name})")
    return 0


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)
