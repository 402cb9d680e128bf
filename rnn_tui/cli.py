"""The `rnn-tui` command: the TUI with no arguments, else train | sample | params | bench | runs.

A thin front end: flags become a TrainConfig, the engine does the work, and every
user error is one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from rnn_tui.cli_args import MAX_SEED, field_help, float_at_least, int_in, run_id
from rnn_tui.config import (
    FIELDS,
    PRESETS,
    SWEEP_CONFIRM_RUNS,
    SweepTooLarge,
    TrainConfig,
    expand_sweep,
    preset,
    varied_fields,
)
from rnn_tui.errors import RnnTuiError

EXIT_USER_ERROR = 2
EXIT_BROKEN_PIPE = 1  # the reader went away (`| head`): quiet, and the same code as rich gives
HEADLESS_COMMANDS = ("train", "sample", "params", "bench", "runs")
NO_TERMINAL_MESSAGE = (
    "rnn-tui: the TUI needs a terminal; without one use the headless commands: "
    + ", ".join(f"rnn-tui {name}" for name in HEADLESS_COMMANDS)
    + " (see rnn-tui --help)"
)
TRAIN_DESCRIPTION = (
    "Train a model headless. Every hyperparameter flag also takes a comma-separated list "
    "(--hidden 128,256 --lr 0.01,0.003): the cross product runs as a sweep, one run after "
    "another, then a summary. Ctrl-C stops cleanly and saves a checkpoint."
)


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
        "--attach",
        metavar="RUN_ID",
        type=run_id,
        help="open the TUI on this run, following it live",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="open the TUI from defaults, not the last session"
    )
    commands = parser.add_subparsers(dest="command", parser_class=OneLineParser)

    train = commands.add_parser(
        "train",
        help="train a model headless (flags take comma lists for sweeps)",
        description=TRAIN_DESCRIPTION,
    )
    groups: dict[str, Any] = {}
    for spec in FIELDS.values():
        group = groups.setdefault(spec.group, train.add_argument_group(spec.group))
        metavar, text = field_help(spec)
        group.add_argument(_flag(spec.name), dest=spec.name, metavar=metavar, help=text)
    train.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        metavar="|".join(sorted(PRESETS)),
        help="start from a preset's values; other flags override them",
    )
    train.add_argument(
        "--out",
        metavar="DIR",
        help="also write config, metrics, checkpoints and plot to DIR (default: the run's "
        "folder beside the run database)",
    )
    train.add_argument("--name", metavar="NAME", help="name of the run in the run store")
    train.add_argument(
        "--resume",
        metavar="CHECKPOINT|RUN_ID",
        help="continue a stopped or finished run from its checkpoint",
    )
    train.add_argument("--no-store", action="store_true", help="do not record the run")
    train.add_argument(
        "--yes", action="store_true", help="start a sweep of more than 64 runs without asking"
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per event (RunStart, StepEnd, EpochEnd, RunEnd) for scripts",
    )
    # For the TUI's child process: the launcher's database, and each run's output in its folder.
    train.add_argument("--store", metavar="DB", help=argparse.SUPPRESS)
    train.add_argument("--log-to-run", action="store_true", help=argparse.SUPPRESS)

    sample = commands.add_parser(
        "sample",
        help="generate text from a checkpoint",
        description="Generate text from a checkpoint, streaming one character at a time.",
    )
    sample.add_argument(
        "--checkpoint",
        required=True,
        metavar="PATH|RUN_ID",
        help="a checkpoint file, or the id of a stored run (rnn-tui runs list)",
    )
    sample.add_argument(
        "--prefix",
        default="the time traveller",
        metavar="TEXT",
        help="text to start from, at least one character (default: %(default)r)",
    )
    sample.add_argument(
        "--length",
        type=int_in(0),
        default=200,
        metavar="N",
        help="characters to generate after the prefix (default: %(default)s)",
    )
    sample.add_argument(
        "--temperature",
        type=float_at_least(0),
        default=0.8,
        metavar="T",
        help="0 picks the most likely character; higher is more random (default: %(default)s)",
    )
    sample.add_argument(
        "--top-k",
        type=int_in(1),
        default=None,
        metavar="K",
        help="draw only from the K most likely characters (default: all)",
    )
    sample.add_argument(
        "--seed",
        type=int_in(0, MAX_SEED),
        default=None,
        metavar="SEED",
        help=f"random seed, 0 to {MAX_SEED} (default: a fresh one each time)",
    )
    sample.add_argument("--best", action="store_true", help="with a RUN_ID: its best checkpoint")

    params = commands.add_parser(
        "params",
        help="parameter counts, textbook and PyTorch",
        description="Count a recurrent network's parameters layer by layer, as the textbook "
        "does and as PyTorch does.",
    )
    params.add_argument(
        "--cell",
        default="rnn",
        choices=("rnn", "gru", "lstm"),
        metavar="rnn|gru|lstm",
        help="recurrent cell (default: %(default)s)",
    )
    params.add_argument(
        "--input-size",
        type=int,
        default=1,
        metavar="N",
        help="input features per time step, or vocabulary size (default: %(default)s)",
    )
    params.add_argument(
        "--hidden", type=int, default=3, metavar="N", help="hidden units per layer (default: 3)"
    )
    params.add_argument(
        "--layers", type=int, default=2, metavar="N", help="stacked layers (default: 2)"
    )
    params.add_argument(
        "--output-size",
        type=int,
        default=1,
        metavar="N",
        help="outputs of the final linear layer (default: %(default)s)",
    )
    params.add_argument(
        "--embedding",
        type=int,
        default=None,
        metavar="DIM",
        help="a learned embedding of input-size symbols into DIM (default: none)",
    )
    params.add_argument("--stacked", action="store_true", help="one row per tensor, gates stacked")
    params.add_argument("--json", action="store_true", help="print the counts as JSON")

    bench = commands.add_parser(
        "bench",
        help="measure training and sampling speed",
        description="Measure training and sampling speed on this machine; prints the machine.",
    )
    bench.add_argument("--json", action="store_true", help="print the results as JSON")
    bench.add_argument(
        "--device",
        default="cpu",
        choices=("cpu", "cuda"),
        metavar="cpu|cuda",
        help="where to measure (default: %(default)s)",
    )
    bench.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="timing per round and loop (default: %(default)s)",
    )
    bench.add_argument(
        "--rounds",
        type=int,
        default=5,
        metavar="N",
        help="alternating rounds; the median is reported (default: %(default)s)",
    )
    bench.add_argument(
        "--quality",
        action="store_true",
        help="also train preset best for its time budget and report val perplexity",
    )
    bench.add_argument(
        "--quality-corpus",
        action="append",
        metavar="PATH",
        help="with --quality: another corpus to compare on (repeatable)",
    )
    bench.add_argument(
        "--quality-seeds",
        type=int,
        default=3,
        metavar="N",
        help="with --quality: seeds per config; the median is reported (default: %(default)s)",
    )
    bench.add_argument(
        "--quality-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --quality: time budget per run (default: preset best's)",
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
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(argv)
    except BrokenPipeError:  # the reader went away (`| head`): end quietly
        _discard_stdout()
        return EXIT_BROKEN_PIPE


def _discard_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _main(argv: list[str]) -> int:
    if not argv:
        return _open_tui()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # name the subcommand whose --help lists the right flags
        command_parser = parser.subcommands.get(args.command, parser)
        command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None and (args.attach is not None or args.fresh):
        return _open_tui(attach=args.attach, fresh=args.fresh)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        code = COMMANDS[args.command](args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a closed pipe shows here, not in Python's exit
        return code
    except RnnTuiError as exc:
        print(f"rnn-tui: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("rnn-tui: interrupted", file=sys.stderr)
        return 130


def _open_tui(attach: int | None = None, fresh: bool = False) -> int:
    """The TUI (on run `attach`, or from defaults with `fresh`); each refusal is one line."""
    if attach is not None:
        from rnn_tui.store import RunStore

        try:
            with RunStore() as store:
                store.get_run(attach)
        except RnnTuiError as exc:
            print(f"rnn-tui: error: {exc}", file=sys.stderr)
            return EXIT_USER_ERROR
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        print(NO_TERMINAL_MESSAGE, file=sys.stderr)
        return EXIT_USER_ERROR
    from rnn_tui.ui.app import run_app

    return run_app(attach=attach, fresh=fresh)


# -- train -------------------------------------------------------------------------------------


def configs_from_args(args: argparse.Namespace) -> list[TrainConfig]:
    base = preset(args.preset) if args.preset else TrainConfig()
    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    try:
        return expand_sweep(given, base, confirmed=args.yes)
    except SweepTooLarge as exc:
        if exc.limit == SWEEP_CONFIRM_RUNS:
            raise RnnTuiError(
                f"the sweep would start {exc.runs:,} runs; pass --yes to start more than "
                f"{exc.limit}"
            ) from None
        raise RnnTuiError(f"the sweep would start {exc.errors['sweep']}") from None
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

    if not args.prefix:
        raise RnnTuiError("--prefix needs at least one character to start from")
    path = _checkpoint_path(args.checkpoint, best=args.best)
    loaded = load_model(path)
    from rnn_tui.corpus import prepare_prompt  # the prefix as the run saw its corpus

    args.prefix = prepare_prompt(args.prefix, loaded.config.preprocess)
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
    from rnn_tui.store import looks_like_run_id, parse_run_id

    if looks_like_run_id(value):
        from rnn_tui.store import RunStore

        run_id = parse_run_id(value)
        with RunStore() as store:
            run = store.get_run(run_id)
        path = (run.best_checkpoint if best else None) or run.checkpoint or run.best_checkpoint
        if not path:
            raise RnnTuiError(f"run {value} has no checkpoint")
        return path
    return value


def cmd_params(args: argparse.Namespace) -> int:
    from rnn_tui.params import MAX_REPORT_LAYERS, bias_note, count_params

    for flag in ("input_size", "hidden", "layers", "output_size", "embedding"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise RnnTuiError(f"{_flag(flag)} must be at least 1")
    if args.layers > MAX_REPORT_LAYERS:
        raise RnnTuiError(f"--layers must be at most {MAX_REPORT_LAYERS:,}")
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
    console.print(bias_note(args.cell), style="dim")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.rounds < 1:
        raise RnnTuiError("--rounds must be at least 1")
    if not 0 < args.seconds < float("inf"):
        raise RnnTuiError("--seconds must be a number above 0")
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
