"""argparse value types for the CLI: each rejects a bad value with one line naming its range.

argparse turns the ArgumentTypeError into `rnn-tui ...: error: argument --x: <message>`,
one line with exit code 2 (see `OneLineParser`).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from rnn_tui.errors import RnnTuiError
from rnn_tui.store import parse_run_id

# torch.Generator.manual_seed takes any integer that fits in 64 bits unsigned.
MAX_SEED = 2**64 - 1


def int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """An integer from `low` to `high` (no upper bound when None), written in ASCII digits."""

    def parse(text: str) -> int:
        stripped = text.strip()
        digits = stripped[1:] if stripped[:1] in "+-" else stripped
        if not (digits.isascii() and digits.isdigit()):
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
        value = int(stripped)
        if value < low or (high is not None and value > high):
            upper = "" if high is None else f" and at most {high}"
            raise argparse.ArgumentTypeError(f"must be at least {low}{upper}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def float_at_least(low: float) -> Callable[[str], float]:
    """A finite number of at least `low` (nan and inf are refused)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low:g} or more, got {text}")
        return value

    parse.__name__ = "number"
    return parse


def run_id(text: str) -> int:
    """A run id in the store: ASCII digits from 1 to SQLite's largest integer."""
    try:
        return parse_run_id(text)
    except RnnTuiError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


run_id.__name__ = "run id"
