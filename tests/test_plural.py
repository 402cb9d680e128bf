"""Counts in messages: "1 step", never "1 steps"."""

from __future__ import annotations

import pytest

from rnn_tui.cli import main
from rnn_tui.plural import plural


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 steps"), (1, "1 step"), (2, "2 steps"), (1200, "1,200 steps"), (-1, "-1 steps")],
)
def test_plural(count, expected):
    assert plural(count, "step") == expected


def test_irregular_plural():
    assert plural(1, "query", "queries") == "1 query"
    assert plural(3, "query", "queries") == "3 queries"


def test_train_says_one_step_per_epoch(tmp_path, isolated_dirs, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per message
    corpus = tmp_path / "small.txt"
    corpus.write_text("abcdefghij klmnopqrstuvwxyz " * 2, encoding="utf-8")  # 56 characters
    args = ["train", "--corpus", str(corpus), "--batch-size", "3", "--num-steps", "8"]
    args += ["--val-fraction", "0", "--epochs", "1", "--sample-length", "0", "--no-store"]
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert ", 1 step per epoch," in out
    assert "finished 1 step " in out
    assert "1 steps" not in out
