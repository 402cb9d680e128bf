"""The one rule for a search from string values (flags or the Train form's Search group):
whether one is asked for, its spec, its errors by field, and the command line that runs it."""

from __future__ import annotations

import pytest

from rnn_tui.cli.parser import build_parser
from rnn_tui.config import FIELDS, TrainConfig
from rnn_tui.errors import ConfigError
from rnn_tui.runs.search_spec import (
    DEFAULT_TRIALS,
    SearchOptions,
    search_argv,
    search_spec,
    search_wanted,
)
from rnn_tui.runs.space import parse_space
from rnn_tui.ui.widgets.form_fields import format_value

FORM = {name: format_value(getattr(TrainConfig(), name)) for name in FIELDS}  # a fresh form


def form(**changes: str) -> dict[str, str]:
    return {**FORM, **changes}


def test_a_search_is_wanted_as_the_flags_want_one() -> None:
    assert not search_wanted(form(hidden="8,16"), SearchOptions())  # a comma-list sweep
    assert search_wanted(form(hidden="8..16"), SearchOptions())  # a range
    assert search_wanted(form(hidden="8,16"), SearchOptions(sampler="grid"))
    assert search_wanted(form(), SearchOptions(pruner="median"))
    assert search_wanted(form(), SearchOptions(trials=3))


def test_the_spec_a_range_and_a_grid_make() -> None:
    spec = search_spec(form(hidden="64..512", lr="1e-4..1e-2:log"), SearchOptions())
    assert (spec.sampler, spec.pruner, spec.trials) == ("tpe", "none", DEFAULT_TRIALS)
    assert spec.search_space().ranges["lr"].log
    grid = search_spec(form(hidden="8,16", cell="gru,lstm"), SearchOptions(pruner="median"))
    assert (grid.sampler, grid.pruner, grid.trials) == ("grid", "median", 4)


@pytest.mark.parametrize(
    ("changes", "options", "field", "words"),
    [
        ({"hidden": "128..64"}, {}, "hidden", "range 128..64 is empty"),
        ({"hidden": "64..128"}, {"sampler": "grid"}, "hidden", "range 64..128 needs"),
        ({"lr": "a..b"}, {}, "lr", "range a..b: both ends must be numbers"),
        ({"lr": "0..1:log"}, {}, "lr", "range 0..1:log: a log range needs both ends above 0"),
        ({"lr": "1e-2..1e-4:log"}, {}, "lr", "range 1e-2..1e-4:log is empty"),
        ({"hidden": "8..16", "val_fraction": "0"}, {}, "val_fraction", "a search needs a valid"),
        ({"hidden": "8,16"}, {"trials": 3}, "trials", "the grid has 2 points"),
        ({}, {"trials": 3}, "sweep", "a search needs a list"),
    ],
)
def test_errors_name_the_field_in_the_flags_words(changes, options, field, words) -> None:
    """The same words as the flag's one line (tests/test_search.py's table): the rule that
    says them is the same."""
    with pytest.raises(ConfigError) as caught:
        search_spec(form(**changes), SearchOptions(**options))
    assert list(caught.value.errors) == [field]
    assert words in caught.value.errors[field]


def test_the_search_groups_texts() -> None:
    assert SearchOptions.from_strings({"sampler": "auto", "pruner": "none", "trials": ""}) == (
        SearchOptions()
    )
    assert SearchOptions.from_strings({"sampler": "tpe", "pruner": "asha", "trials": "12"}) == (
        SearchOptions("tpe", "asha", 12)
    )
    for trials, message in (("0", "must be at least 1"), ("x", "must be a whole number")):
        with pytest.raises(ConfigError) as caught:
            SearchOptions.from_strings({"trials": trials})
        assert message in caught.value.errors["trials"]


def test_the_command_line_is_the_flags_of_the_same_search(tmp_path) -> None:
    values = form(hidden="64..512", lr="1e-4..1e-2:log", cell="gru,lstm", epochs="1")
    spec = search_spec(values, SearchOptions("random", "median", 5))
    argv = search_argv(spec, name="s1", store_path=tmp_path / "runs.db")
    args = build_parser().parse_args(argv[3:])  # after python -m rnn_tui
    assert (args.sweep, args.sampler, args.pruner, args.trials) == ("s1", "random", "median", 5)
    assert (args.hidden, args.lr, args.cell, args.epochs) == (
        "64..512", "0.0001..0.01:log", "gru,lstm", "1",
    )  # fmt: skip
    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    again = parse_space({k: "" if v == "none" else v for k, v in given.items()}, "random")
    assert again.to_dict() == spec.search_space().to_dict()
