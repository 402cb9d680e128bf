"""A sweep with bad values names every bad flag in its one line: all values are checked
before anything starts, and nothing is recorded."""

from __future__ import annotations

import pytest

from rnn_tui.errors import ConfigError
from rnn_tui.runs.sweep import build_configs
from rnn_tui.store import RunStore
from tests.cli_calls import call_cli

# flags -> the flags the one line must name
BAD_SWEEPS = {
    "two bad lists": (["--hidden", "8,-1", "--lr", "0.1,abc"], ["--hidden", "--lr"]),
    "bad values late in their lists": (
        ["--hidden", "8,16,0", "--batch-size", "4,8,x", "--dropout", "0,0.5,2"],
        ["--hidden", "--batch-size", "--dropout"],
    ),
    "a bad list and a bad single value": (
        ["--hidden", "8,16", "--cell", "gru,foo", "--layers", "99"],
        ["--cell", "--layers"],
    ),
    "an empty item and a bad choice": (
        ["--hidden", "8,,16", "--optimizer", "adam,nope"],
        ["--hidden", "--optimizer"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_SWEEPS))
def test_a_bad_sweep_names_every_bad_flag_in_one_line(case, isolated_dirs, tiny_corpus):
    flags, named = BAD_SWEEPS[case]
    result = call_cli(
        ["train", "--corpus", str(tiny_corpus), "--steps", "2", "--quiet", *flags],
        cwd=isolated_dirs,
    )
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for flag in named:
        assert f"{flag}:" in lines[0], (flag, lines[0])
    good = {"--hidden", "--lr", "--cell", "--layers", "--optimizer"} - set(named)
    assert not [flag for flag in good if f"{flag}:" in lines[0]], lines[0]
    with RunStore() as store:
        assert store.list_runs() == []


def test_build_configs_checks_every_value_of_every_list():
    with pytest.raises(ConfigError) as caught:
        build_configs({"hidden": "8,16,-4", "lr": "abc,0.1", "epochs": "2", "layers": "1,2"})
    assert set(caught.value.errors) == {"hidden", "lr"}
    assert "'-4'" in caught.value.errors["hidden"] and "'abc'" in caught.value.errors["lr"]
    configs = build_configs({"hidden": "8,16", "layers": "1,2"})
    assert [(c.hidden, c.layers) for c in configs] == [(8, 1), (8, 2), (16, 1), (16, 2)]
