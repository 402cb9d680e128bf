"""`rnn-tui`: the TUI with no arguments, else one headless command.

A thin front end: flags become engine calls, and every user error is one line on stderr with
exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from rnn_tui.cli.parser import build_parser
from rnn_tui.cli.process import (
    EXIT_BROKEN_PIPE,
    EXIT_USER_ERROR,
    discard_stdout,
    replace_unencodable,
)
from rnn_tui.errors import RnnTuiError

HEADLESS_COMMANDS = ("train", "sample", "params", "bench", "runs", "sweep")
NO_TERMINAL_MESSAGE = (
    "rnn-tui: the TUI needs a terminal; without one use the headless commands: "
    + ", ".join(f"rnn-tui {name}" for name in HEADLESS_COMMANDS)
    + " (see rnn-tui --help)"
)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    replace_unencodable(sys.stdout, sys.stderr)  # a non-ASCII name on an ASCII-only stdout
    try:
        return _main(argv)
    except BrokenPipeError:  # the reader went away (`| head`): end quietly
        discard_stdout()
        return EXIT_BROKEN_PIPE


def _main(argv: list[str]) -> int:
    if not argv:
        return _open_tui()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # name the subcommand whose --help lists the right flags
        command_parser = parser.subcommands.get(args.command, parser)
        command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        choose_store(args.global_store or getattr(args, "store", None))
    except RnnTuiError as exc:
        print(f"rnn-tui: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    if args.command is None and (args.attach is not None or args.fresh or args.global_store):
        return _open_tui(attach=args.attach, fresh=args.fresh)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        code = _command(args.command)(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a closed pipe shows here, not in Python's exit
        return code
    except RnnTuiError as exc:
        print(f"rnn-tui: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("rnn-tui: interrupted", file=sys.stderr)
        return 130


def choose_store(flag: str | None) -> None:
    """`--store` chooses the store for this process and the runs it starts: it goes into
    $RNN_TUI_STORE (a relative path made absolute), so a password stays out of any argv."""
    if flag is None:
        return
    from rnn_tui.errors import StoreError
    from rnn_tui.store import ENV_STORE, parse_store_url

    location = parse_store_url(flag)
    if location.is_postgres:
        # A parent hands its children the database's URL without the password, which stays
        # in $RNN_TUI_STORE: keep that URL when it names the same database.
        try:
            same = parse_store_url(os.environ.get(ENV_STORE, "")).text == location.text
        except StoreError:
            same = False
        if same:
            return
    os.environ[ENV_STORE] = flag if location.is_postgres else location.text


def _open_tui(attach: int | None = None, fresh: bool = False) -> int:
    """The TUI (on run `attach`, or from defaults with `fresh`); each refusal is one line:
    a store that cannot be opened (unreachable, refused, someone else's, newer) among them.
    In a terminal the app checks the store after its first frame (opening it costs the
    start about 0.2 s) and ends with the same line; without one, it is checked here."""
    from rnn_tui.runs.follow import check_store

    try:
        if not (sys.stdout.isatty() and sys.stdin.isatty()):
            check_store(run_id=attach)
            print(NO_TERMINAL_MESSAGE, file=sys.stderr)
            return EXIT_USER_ERROR
        # COLUMNS and LINES in the environment would pin the app at that size (shutil reads
        # them before the terminal): a resize, to below the minimum or back, would never show.
        for name in ("COLUMNS", "LINES"):
            os.environ.pop(name, None)
        from rnn_tui.ui.app import run_app

        return run_app(attach=attach, fresh=fresh)
    except RnnTuiError as exc:
        print(f"rnn-tui: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR


# -- train -------------------------------------------------------------------------------------


# Each command's module is imported only when it runs: `rnn-tui runs` never loads torch.
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("rnn_tui.cli.train", "cmd_train"),
    "sample": ("rnn_tui.cli.sample", "cmd_sample"),
    "params": ("rnn_tui.cli.params", "cmd_params"),
    "bench": ("rnn_tui.cli.bench", "cmd_bench"),
    "runs": ("rnn_tui.cli.runs", "run_runs_command"),
    "sweep": ("rnn_tui.cli.sweep", "cmd_sweep"),
}


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    module, function = COMMANDS[name]
    return getattr(importlib.import_module(module), function)
