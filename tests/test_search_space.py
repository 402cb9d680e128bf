"""Search spaces from flag strings: ranges, lists, and one line naming the flag for bad ones."""

from __future__ import annotations

import math

import pytest

from rnn_tui.errors import ConfigError
from rnn_tui.runs.space import Range, SearchSpace, parse_range, parse_space


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("hidden", "128..512", Range(128, 512, False, True)),
        ("lr", "1e-4..1e-2:log", Range(1e-4, 1e-2, True, False)),
        ("dropout", "0..0.5", Range(0, 0.5, False, False)),
        ("hidden", " 64 .. 1_024 ", Range(64, 1024, False, True)),
        ("batch_size", "8..64:LOG", Range(8, 64, True, True)),
    ],
)
def test_ranges_read_as_people_type_them(name: str, text: str, expected: Range) -> None:
    assert parse_range(name, text) == expected


@pytest.mark.parametrize(
    ("values", "sampler", "flag_error"),
    [
        ({"hidden": "128..64"}, "tpe", "hidden: range 128..64 is empty: its low end must be below"),
        ({"hidden": "128..128"}, "tpe", "hidden: range 128..128 is empty"),
        ({"dropout": "0..1:log"}, "tpe", "dropout: range 0..1:log: a log range needs both ends"),
        ({"lr": "1e-2..1e-4:log"}, "tpe", "lr: range 1e-2..1e-4:log is empty"),
        ({"lr": "a..b"}, "random", "lr: range a..b: both ends must be numbers"),
        ({"lr": "1..2..3"}, "random", "lr: range 1..2..3: both ends must be numbers"),
        ({"lr": "1e-4..inf"}, "random", "lr: range 1e-4..inf: both ends must be finite"),
        ({"hidden": "8.5..16"}, "tpe", "hidden: range 8.5..16: both ends must be whole numbers"),
        ({"dropout": "0..0.95"}, "tpe", "dropout: range 0..0.95: must end at 0.9 or less"),
        ({"hidden": "0..16"}, "tpe", "hidden: range 0..16: must start at 1 or more"),
        ({"cell": "1..2"}, "tpe", "cell: 1..2: a range needs a numeric setting"),
        ({"hidden": "128..512"}, "grid", "hidden: range 128..512 needs --sampler random or tpe"),
        ({"hidden": "16,,32"}, "grid", "hidden: has an empty item in its list"),
        ({"cell": "gru,tree"}, "grid", "cell: tree: must be one of rnn, gru, lstm"),
        ({"hidden": "8", "lr": "x,0.1"}, "tpe", "lr: x: must be a number"),
    ],
)
def test_bad_spaces_are_refused_naming_the_field(
    values: dict[str, str], sampler: str, flag_error: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_space(values, sampler)
    name, message = flag_error.split(": ", 1)
    assert name in caught.value.errors, caught.value.errors
    assert caught.value.errors[name].startswith(message), caught.value.errors[name]
    assert "\n" not in caught.value.errors[name]


def test_a_space_holds_fixed_values_lists_and_ranges_and_survives_storage() -> None:
    values = {"cell": "gru,lstm", "hidden": "64..512", "lr": "1e-4..1e-2:log", "epochs": "2"}
    space = parse_space(values, "tpe")
    assert space.fixed == {"epochs": "2"}
    assert space.choices == {"cell": ["gru", "lstm"]}
    assert space.ranges["lr"] == Range(1e-4, 1e-2, True, False)
    assert space.searched == ["cell", "hidden", "lr"]
    assert SearchSpace.from_dict(space.to_dict()) == space
    trial = space.values({"cell": "lstm", "hidden": 300, "lr": 0.00123})
    assert trial == {"epochs": "2", "cell": "lstm", "hidden": "300", "lr": "0.00123"}


def test_a_grid_is_the_cross_product_in_the_order_given() -> None:
    space = parse_space({"hidden": "8,16", "lr": "0.1,0.01,0.001", "seed": "3"}, "grid")
    points = space.grid_points()
    assert space.grid_size() == len(points) == 6
    assert points[:2] == [{"hidden": "8", "lr": "0.1"}, {"hidden": "8", "lr": "0.01"}]
    assert len({tuple(p.items()) for p in points}) == 6


def test_float_values_round_trip_through_their_flag_text() -> None:
    space = parse_space({"lr": "1e-4..1e-2:log"}, "random")
    for value in (1e-4, 0.0031622776601683794, 1e-2):
        assert math.isclose(float(space.values({"lr": value})["lr"]), value, rel_tol=0)
