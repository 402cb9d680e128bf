"""What a sample may ask for: the one set of ranges behind `rnn-tui sample`'s flags and the
Sample screen's fields, read with the config's parsers."""

from __future__ import annotations

from typing import Any

from rnn_tui.config import parse_float, parse_int

MAX_LENGTH = 100_000  # characters in one sample: more is a file's job, not a terminal's
# torch.Generator.manual_seed takes any integer that fits in 64 bits unsigned.
MAX_SEED = 2**64 - 1

# name: (kind, lowest, highest); top-k past the vocabulary's size keeps every character.
SAMPLE_OPTIONS: dict[str, tuple[str, float, float | None]] = {
    "length": ("int", 1, MAX_LENGTH),
    "temperature": ("float", 0, None),
    "top_k": ("int", 1, None),
    "seed": ("int", 0, MAX_SEED),
}


def parse_sample_option(name: str, text: str) -> Any:
    """One sampling option from its text; ValueError says what is wrong (without the name)."""
    kind, low, high = SAMPLE_OPTIONS[name]
    if kind == "float":
        return parse_float(text, low)
    return parse_int(text, int(low), None if high is None else int(high))
