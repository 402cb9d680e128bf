"""How a count reads in a message: "1 step", "2 steps", "1,200 characters"."""

from __future__ import annotations


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """`count` with thousands separators and `noun`, plural unless the count is exactly 1.

    plural_noun is for nouns that do not just take an "s".
    """
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count:,} {word}"
