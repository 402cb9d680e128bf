"""The `rnn-tui` command: the TUI with no arguments, else train | sample | params | bench | runs.

A thin front end: flags become a TrainConfig, the engine does the work, and every
user error is one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

from rnn_tui.config import FIELDS, PRESETS, TrainConfig, expand_sweep, preset, varied_fields
from rnn_tui.errors import RnnTuiError

EXIT_USER_ERROR = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="rnn-tui", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument(
        "--attach", metavar="RUN_ID", type=int, help="open the TUI on this run, following it live"
    )
    commands = parser.add_subparsers(dest="command", parser_class=OneLineParser)

    train = commands.add_parser(
        "train", help="train a model headless (flags take lists for sweeps)"
    )
    groups: dict[str, Any] = {}
    for spec in FIELDS.values():
        group = groups.setdefault(spec.group, train.add_argument_group(spec.group))
        choices = f" [{'|'.join(spec.choices)}]" if spec.choices else ""
        default = getattr(TrainConfig(), spec.name)
        group.add_argument(
            _flag(spec.name),
            dest=spec.name,
            metavar="V",
            help=f"{spec.help}{choices} (default: {default})",
        )
    train.add_argument("--preset", choices=sorted(PRESETS), help="start from a preset's values")
    train.add_argument("--out", metavar="DIR", help="write config, metrics, checkpoints, plot here")
    train.add_argument("--name", help="name of the run in the run store")
    train.add_argument(
        "--resume", metavar="CHECKPOINT|RUN_ID", help="continue a stopped run from its checkpoint"
    )
    train.add_argument("--no-store", action="store_true", help="do not record the run")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    # For the TUI's child process: the launcher's database, and each run's output in its folder.
    train.add_argument("--store", metavar="DB", help=argparse.SUPPRESS)
    train.add_argument("--log-to-run", action="store_true", help=argparse.SUPPRESS)

    sample = commands.add_parser("sample", help="generate text from a checkpoint")
    sample.add_argument("--checkpoint", required=True, metavar="PATH|RUN_ID")
    sample.add_argument("--prefix", default="the time traveller")
    sample.add_argument("--length", type=int, default=200)
    sample.add_argument("--temperature", type=float, default=0.8)
    sample.add_argument("--top-k", type=int, default=None)
    sample.add_argument("--seed", type=int, default=None)
    sample.add_argument("--best", action="store_true", help="with a RUN_ID: its best checkpoint")

    params = commands.add_parser("params", help="parameter counts, textbook and PyTorch")
    params.add_argument("--cell", default="rnn", choices=("rnn", "gru", "lstm"))
    params.add_argument("--input-size", type=int, default=1)
    params.add_argument("--hidden", type=int, default=3)
    params.add_argument("--layers", type=int, default=2)
    params.add_argument("--output-size", type=int, default=1)
    params.add_argument(
        "--embedding",
        type=int,
        default=None,
        metavar="DIM",
        help="a learned embedding of input-size symbols into DIM",
    )
    params.add_argument("--stacked", action="store_true", help="one row per tensor, gates stacked")
    params.add_argument("--json", action="store_true")

    bench = commands.add_parser("bench", help="measure training and sampling speed")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    bench.add_argument("--seconds", type=float, default=3.0, help="timing per round and loop")
    bench.add_argument("--rounds", type=int, default=5)
    bench.add_argument(
        "--quality",
        action="store_true",
        help="also train preset best for its time budget and report val perplexity",
    )
    bench.add_argument(
        "--store-overhead",
        action="store_true",
        help="also time training with and without the run store",
    )
    bench.add_argument(
        "--ui",
        action="store_true",
        help="also the TUI's figures: throughput, first frame, chart repaint",
    )

    from rnn_tui.runs_cli import add_runs_parser

    add_runs_parser(commands)
    parser.subcommands = dict(commands.choices)  # type: ignore[attr-defined]
    return parser


def _version() -> str:
    from rnn_tui import __version__

    return f"rnn-tui {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    # torch warns on import when numpy is absent (it is optional here): not the user's concern.
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy", category=UserWarning)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        from rnn_tui.ui.app import run_app

        return run_app()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # name the subcommand whose --help lists the right flags
        command_parser = parser.subcommands.get(args.command, parser)
        command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None and args.attach is not None:
        return _attach(args.attach)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return COMMANDS[args.command](args)
    except RnnTuiError as exc:
        print(f"rnn-tui: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("rnn-tui: interrupted", file=sys.stderr)
        return 130


def _attach(run_id: int) -> int:
    """`rnn-tui --attach ID`: the TUI on that run; a run not in the store is one line."""
    from rnn_tui.store import RunStore

    try:
        with RunStore() as store:
            store.get_run(run_id)
    except RnnTuiError as exc:
        print(f"rnn-tui: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    from rnn_tui.ui.app import run_app

    return run_app(attach=run_id)


# -- train -------------------------------------------------------------------------------------


def configs_from_args(args: argparse.Namespace) -> list[TrainConfig]:
    base = preset(args.preset) if args.preset else TrainConfig()
    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    try:
        return expand_sweep(given, base)
    except RnnTuiError as exc:
        errors = getattr(exc, "errors", None)
        if errors:
            raise RnnTuiError("; ".join(f"{_flag(k)}: {v}" for k, v in errors.items())) from None
        raise


def cmd_train(args: argparse.Namespace) -> int:
    from rnn_tui.train_cli import train_command

    return train_command(args, configs_from_args(args))


def cmd_sample(args: argparse.Namespace) -> int:
    from rnn_tui.checkpoint import load_model
    from rnn_tui.sample import generate

    path = _checkpoint_path(args.checkpoint, best=args.best)
    loaded = load_model(path)
    missing = loaded.vocab.missing(args.prefix)
    if missing:
        from rnn_tui.errors import VocabError

        raise VocabError(
            "prefix has characters not in the model's vocabulary: "
            + ", ".join(repr(c) for c in missing)
        )
    if args.length < 0:
        raise RnnTuiError("--length must be 0 or more")
    if args.temperature < 0:
        raise RnnTuiError("--temperature must be 0 or more")
    out = sys.stdout
    out.write(args.prefix)
    out.flush()
    for char in generate(
        loaded.model,
        loaded.vocab,
        args.prefix,
        args.length,
        temperature=args.temperature,
        top_k=args.top_k,
        seed=args.seed,
    ):
        out.write(char)
        out.flush()
    out.write("\n")
    return 0


def _checkpoint_path(value: str, best: bool = False) -> str:
    """A checkpoint path, or a run id from the run store."""
    if value.isdigit():
        from rnn_tui.store import RunStore

        with RunStore() as store:
            run = store.get_run(int(value))
        path = (run.best_checkpoint if best else None) or run.checkpoint or run.best_checkpoint
        if not path:
            raise RnnTuiError(f"run {value} has no checkpoint")
        return path
    return value


def cmd_params(args: argparse.Namespace) -> int:
    from rnn_tui.params import BIAS_NOTE, count_params

    for flag in ("input_size", "hidden", "layers", "output_size"):
        if getattr(args, flag) < 1:
            raise RnnTuiError(f"{_flag(flag)} must be at least 1")
    embedding = (args.input_size, args.embedding) if args.embedding else None
    report = count_params(
        args.cell,
        args.input_size,
        args.hidden,
        args.layers,
        args.output_size,
        embedding=embedding,
        per_gate=not args.stacked,
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
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
    console.print(BIAS_NOTE, style="dim")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from rnn_tui.bench import bench_command

    return bench_command(args)


def cmd_runs(args: argparse.Namespace) -> int:
    from rnn_tui.runs_cli import run_runs_command

    return run_runs_command(args)


COMMANDS = {
    "train": cmd_train,
    "sample": cmd_sample,
    "params": cmd_params,
    "bench": cmd_bench,
    "runs": cmd_runs,
}


def install_stop_handler(stop: Any) -> None:
    """First Ctrl-C stops the run cleanly (checkpoint saved); a second one aborts."""

    def handler(signum: int, frame: Any) -> None:
        stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: stop())


__all__ = ["main", "build_parser", "configs_from_args", "install_stop_handler", "varied_fields"]
