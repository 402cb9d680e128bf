"""`rnn-tui bench`: its arguments checked, then the engine's benchmark."""

from __future__ import annotations

import argparse

from rnn_tui.errors import RnnTuiError


def cmd_bench(args: argparse.Namespace) -> int:
    if args.rounds < 1:
        raise RnnTuiError("--rounds must be at least 1")
    if not 0 < args.seconds < float("inf"):
        raise RnnTuiError("--seconds must be a number above 0")
    from rnn_tui.bench import bench_command

    return bench_command(args)
