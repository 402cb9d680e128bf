"""The `rnn-tui` argument parser: the TUI's flags and the train, sample, params, bench and runs
subcommands. Every usage error is one line."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

from rnn_tui.cli.args import field_help, run_id, sample_option
from rnn_tui.cli.process import EXIT_USER_ERROR
from rnn_tui.config import CELLS, FIELDS, PRESETS, flag
from rnn_tui.model.sizes import SIZE_FIELDS, WORKED_EXAMPLE
from rnn_tui.runs.space import PRUNERS, SAMPLERS
from rnn_tui.sampling.options import MAX_LENGTH, MAX_SEED

DESCRIPTION = (
    "The `rnn-tui` command: the TUI with no arguments, else train | sample | params | bench | "
    "runs | sweep."
)
TRAIN_DESCRIPTION = (
    "Train a model headless. Every hyperparameter flag also takes a comma-separated list "
    "(--hidden 128,256 --lr 0.01,0.003): the cross product runs as a sweep, one run after "
    "another, then a summary. A range (--hidden 64..512, --lr 1e-4..1e-2:log) or a Search flag "
    "makes it a search whose trials are stored runs. Ctrl-C stops cleanly and saves a checkpoint."
)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="rnn-tui", description=DESCRIPTION)
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
    parser.add_argument(
        "--store",
        dest="global_store",
        metavar="URL",
        help="the run store: a SQLite file (path or sqlite:///path) or postgresql://user@host/db "
        "(else $RNN_TUI_STORE, the settings' store, the default file); give a password in "
        "$RNN_TUI_STORE, PGPASSWORD or ~/.pgpass",
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
        group.add_argument(flag(spec.name), dest=spec.name, metavar=metavar, help=text)
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
    _add_search_flags(train)
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per event (RunStart, StepEnd, EpochEnd, RunEnd) for scripts",
    )
    # For the TUI's child process: the launcher's database, and each run's output in its folder.
    train.add_argument("--store", metavar="DB", help=argparse.SUPPRESS)
    train.add_argument("--log-to-run", action="store_true", help=argparse.SUPPRESS)
    # The run process: execute a plan file the planner wrote (rnn_tui.runs.plan), no flags.
    train.add_argument("--plan", metavar="PATH", help=argparse.SUPPRESS)

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
    length_help = f"characters to generate after the prefix, 1 to {MAX_LENGTH:,}"
    _valued(sample, "--length", sample_option("length"), 200, "N", length_help)
    temperature_help = "0 picks the most likely character; higher is more random"
    _valued(sample, "--temperature", sample_option("temperature"), 0.8, "T", temperature_help)
    top_k_help = "draw only from the K most likely characters"
    _valued(sample, "--top-k", sample_option("top_k"), None, "K", top_k_help, shown="all")
    seed_help = f"random seed, 0 to {MAX_SEED}"
    seed_type = sample_option("seed")
    _valued(sample, "--seed", seed_type, None, "SEED", seed_help, shown="a fresh one each time")
    which = sample.add_mutually_exclusive_group()
    which.add_argument(
        "--best",
        action="store_true",
        help="with a RUN_ID: its best checkpoint (the default: the best, else the last)",
    )
    which.add_argument("--last", action="store_true", help="with a RUN_ID: its last checkpoint")

    params = commands.add_parser(
        "params",
        help="parameter counts, textbook and PyTorch",
        description="Count a recurrent network's parameters layer by layer, as the textbook "
        "does and as PyTorch does.",
    )
    # Defaults and ranges: the one table the Parameters screen's form is built from too.
    example = WORKED_EXAMPLE
    params.add_argument(
        "--cell",
        default=example.cell,
        choices=CELLS,
        metavar="|".join(CELLS),
        help="recurrent cell (default: %(default)s)",
    )
    for name, what, metavar in _PARAMS_SIZES:
        limits = f"{SIZE_FIELDS[name][1]:,} to {SIZE_FIELDS[name][2]:,}"
        shown = "none" if getattr(example, name) is None else "%(default)s"
        _valued(
            params, flag(name), int, getattr(example, name), metavar, f"{what}, {limits}", shown
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
    _valued(bench, "--seconds", float, 3.0, "SECONDS", "timing per round and loop")
    _valued(bench, "--rounds", int, 5, "N", "alternating rounds; the median is reported")
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
    seeds_help = "with --quality: seeds per config; the median is reported"
    _valued(bench, "--quality-seeds", int, 3, "N", seeds_help)
    budget_help = "with --quality: time budget per run"
    _valued(bench, "--quality-budget", float, None, "SECONDS", budget_help, shown="preset best's")
    bench.add_argument(
        "--store-overhead",
        action="store_true",
        help="also time training with and without the run store",
    )
    bench.add_argument(
        "--store-url",
        metavar="URL",
        help="with --store-overhead: also time recording into this store (a postgresql:// URL)",
    )
    bench.add_argument(
        "--search",
        action="store_true",
        help="also a TPE search with median pruning against the 27-point grid, same "
        "trial-seconds (about 40 min for 3 seeds)",
    )
    _valued(bench, "--search-seeds", int, 3, "N", "with --search: study seeds; medians reported")
    trial_help = "with --search: time budget of each trial"
    _valued(bench, "--search-trial-seconds", float, 15.0, "SECONDS", trial_help)
    bench.add_argument(
        "--workers-throughput",
        action="store_true",
        help="also trials per hour of two local workers against one using every core",
    )
    bench.add_argument(
        "--ui",
        action="store_true",
        help="also the TUI's figures: throughput, first frame, chart repaint",
    )

    from rnn_tui.cli.runs import add_runs_parser
    from rnn_tui.cli.sweep import add_sweep_parser

    add_runs_parser(commands)
    add_sweep_parser(commands)
    parser.subcommands = dict(commands.choices)  # type: ignore[attr-defined]
    return parser


# `rnn-tui params`'s size flags, in the order they are listed: (field, help, metavar).
_PARAMS_SIZES = (
    ("input_size", "input features per time step, or vocabulary size", "N"),
    ("hidden", "hidden units per layer", "N"),
    ("layers", "stacked layers", "N"),
    ("output_size", "outputs of the final linear layer", "N"),
    ("embedding", "a learned embedding of input-size symbols into DIM", "DIM"),
)


def _add_search_flags(train: argparse.ArgumentParser) -> None:
    """Flags that make `train` a search (an Optuna study): any of them, or a range."""
    search = train.add_argument_group(
        "Search",
        "A range (--hidden 64..512, --lr 1e-4..1e-2:log) or any of these flags makes the "
        "run a search: each trial is a stored run (rnn-tui sweep show NAME).",
    )
    search.add_argument(
        "--sampler",
        choices=SAMPLERS,
        metavar="|".join(SAMPLERS),
        help="grid: every point of the comma lists; random or tpe: --trials points of the "
        "lists and ranges (default: tpe with a range, else grid)",
    )
    search.add_argument(
        "--pruner",
        choices=PRUNERS,
        metavar="|".join(PRUNERS),
        help="stop trials early on their validation perplexity: median rule or asha "
        "(successive halving) (default: none)",
    )
    search.add_argument(
        "--trials", type=_positive, metavar="N", help="finished, pruned and failed trials to run "
        "(default: the grid's points, else 20)"
    )  # fmt: skip
    search.add_argument(
        "--sweep", metavar="NAME", help="the study's name; an existing one is joined"
    )
    search.add_argument(
        "--workers", type=_count, metavar="N",
        help="worker processes on this machine, each with its share of the cores; 0 creates "
        "the study for rnn-tui sweep work NAME on other hosts (default: 1)",
    )  # fmt: skip
    search.add_argument(
        "--keep-checkpoints", action="store_true", help="keep the checkpoints of pruned trials"
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


def _valued(
    parser: argparse.ArgumentParser,
    flag: str,
    kind: Callable[[str], Any],
    default: Any,
    metavar: str,
    text: str,
    shown: str = "%(default)s",
) -> None:
    """Add a flag that takes a value; its help ends with the default, or `shown` instead."""
    parser.add_argument(
        flag, type=kind, default=default, metavar=metavar, help=f"{text} (default: {shown})"
    )


def _version() -> str:
    from rnn_tui import __version__

    return f"rnn-tui {__version__}"
