"""The search benchmark at tiny scale: a grid and a search given the grid's trial-seconds."""

from __future__ import annotations

import math

from rnn_tui.bench.search import search_against_grid


def test_search_against_grid_spends_the_grids_seconds_and_compares_bests(tiny_corpus):
    base = {"corpus": str(tiny_corpus), "cell": "rnn", "batch_size": "4", "num_steps": "8",
            "epochs": "100000", "epoch_steps": "10", "sample_length": "0"}  # fmt: skip
    lines: list[str] = []
    result = search_against_grid(
        [0], trial_seconds=1, grid={"hidden": "16"}, search={"hidden": "8..16"}, base=base,
        say=lines.append,
    )  # fmt: skip
    (row,) = result["seeds"]
    grid, search = row["grid"], row["search"]
    assert (grid["trials"], grid["finished"]) == (1, 1)  # a one-point grid: one trial of 1 s
    assert 0.5 <= grid["trial_seconds"] <= 2
    # The search starts trials while it has spent less than the grid's 1 trial-second.
    assert search["trials"] >= 1 and search["trial_seconds"] >= 1
    assert search["trial_seconds"] - 1.5 < 1
    assert result["grid_best_median"] == grid["best_val_ppl"] and math.isfinite(
        grid["best_val_ppl"]
    )
    assert result["goal_met"] == (search["best_val_ppl"] <= grid["best_val_ppl"])
    assert lines[0] == "seed 0: grid of 1 trial, 1 trial-seconds"
