"""The README's synopsis lists every command and flag the parser has, and no others."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rnn_tui.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
MARKER = "<!-- synopsis:"
FLAG = re.compile(r"--[a-z][a-z0-9-]*")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def parser_flags() -> dict[str, set[str]]:
    """{"train": {"--corpus", ...}, "runs list": {...}, ...} from the real parser."""
    parser = build_parser()
    flags: dict[str, set[str]] = {"": _options(parser) - {"--version"}}  # "": the TUI's own
    for name, command in _subcommands(parser).items():
        for key, leaf in (
            {f"{name} {sub}": p for sub, p in _subcommands(command).items()} or {name: command}
        ).items():
            flags[key] = {
                option
                for action in leaf._actions
                for option in action.option_strings
                if option.startswith("--")
                and option != "--help"
                and action.help != argparse.SUPPRESS  # the run process's own flags
            }
    return flags


def readme_flags(keys: set[str]) -> dict[str, set[str]]:
    text = README.read_text(encoding="utf-8")
    assert MARKER in text, "the README lost its synopsis block"
    block = text.split(MARKER, 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    entries: list[str] = []
    for line in block.splitlines():
        if line.startswith("rnn-tui"):
            entries.append(line)
        else:
            assert line.startswith(" ") and entries, f"stray synopsis line: {line!r}"
            entries[-1] += " " + line.strip()
    flags: dict[str, set[str]] = {}
    for entry in entries:
        words = entry.split()[1:]
        key = next(
            (
                k
                for k in sorted(keys, key=len, reverse=True)
                if words[: len(k.split())] == k.split()
            ),
            None,
        )
        if key is None:
            assert words and words[0].startswith("["), f"unknown command in the synopsis: {entry!r}"
            key = ""  # the TUI: `rnn-tui [--attach RUN_ID] [--fresh]`
        assert key not in flags, f"{key} is listed twice"
        flags[key] = set(FLAG.findall(entry))
    return flags


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }


def test_readme_synopsis_matches_the_parser():
    expected = parser_flags()
    assert readme_flags(set(expected)) == expected


def test_every_option_has_help_and_says_what_its_value_is():
    for key, command in _leaf_parsers().items():
        for action in command._actions:
            if not action.option_strings or action.option_strings == ["-h", "--help"]:
                continue
            assert action.help, f"{key} {action.option_strings[0]} has no help"
            takes_value = action.nargs != 0
            if takes_value and action.choices is None:
                assert action.metavar not in (None, "V"), f"{key} {action.option_strings[0]}"
            if action.default not in (None, False, "") and takes_value:
                assert "default" in action.help, f"{key} {action.option_strings[0]}: no default"


def test_train_help_says_flags_take_comma_lists_and_shows_choices_once():
    train = _leaf_parsers()["train"]
    text = " ".join(train.format_help().split())
    assert "comma-separated list" in text
    assert "(default: None)" not in text
    assert text.count("rnn|gru|lstm") == 2  # once in the usage line, once beside --cell


def _leaf_parsers() -> dict[str, argparse.ArgumentParser]:
    leaves: dict[str, argparse.ArgumentParser] = {}
    for name, command in _subcommands(build_parser()).items():
        inner = _subcommands(command)
        leaves.update({f"{name} {sub}": p for sub, p in inner.items()} or {name: command})
    return leaves
