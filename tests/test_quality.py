"""The quality comparison behind `rnn-tui bench --quality`: configs and the summary."""

from __future__ import annotations

import statistics

import pytest

from rnn_tui.bench.quality import (
    REFERENCE,
    compare_on_corpus,
    config_summary,
    quality_configs,
    screen_configs,
)
from rnn_tui.config import PRESETS, TrainConfig
from rnn_tui.errors import ConfigError


def test_reference_is_the_plain_fp32_recipe_with_bests_data_and_budget():
    configs = quality_configs(budget=30.0)
    best, reference = configs["best"], configs["reference"]
    assert best.time_budget == reference.time_budget == 30.0
    for name in ("preprocess", "val_fraction", "epochs", "time_budget"):
        assert getattr(best, name) == getattr(reference, name)
    assert reference.precision == "fp32" and reference.weight_decay == 0.05
    assert (reference.cell, reference.layers, reference.hidden) == ("lstm", 2, 384)
    assert quality_configs()["best"].time_budget == PRESETS["best"]["time_budget"]
    assert set(REFERENCE) <= set(TrainConfig().to_dict())


def test_config_summary_names_every_changed_field_as_a_flag():
    summary = config_summary(TrainConfig(hidden=64, weight_decay=0.05, corpus="x.txt"))
    assert summary == "--hidden 64 --weight-decay 0.05"


def test_compare_on_corpus_alternates_and_takes_medians(tiny_corpus):
    tiny = TrainConfig(cell="gru", hidden=16, batch_size=8, num_steps=16, sample_length=0)
    configs = {"best": tiny.replace(steps=12), "reference": tiny.replace(steps=4)}
    lines: list[str] = []
    row = compare_on_corpus(str(tiny_corpus), configs, seeds=[0, 1, 2], say=lines.append)
    order = [(line.split(", ")[1], line.split(", ")[2].split(":")[0]) for line in lines]
    assert order == [(f"seed {seed}", name) for seed in (0, 1, 2) for name in configs]
    for name, steps in (("best", 12), ("reference", 4)):
        runs = row["runs"][name]
        assert [r["steps"] for r in runs] == [steps] * 3
        assert row[name]["val_ppl_median"] == statistics.median(r["val_ppl"] for r in runs)
        assert all(r["train_ppl"] > 1 for r in runs)
    assert row["best_minus_reference"] == (
        row["best"]["val_ppl_median"] - row["reference"]["val_ppl_median"]
    )
    assert row["best"]["val_ppl_median"] < row["reference"]["val_ppl_median"]  # more steps


def test_screen_configs_change_only_what_each_candidate_names():
    configs = screen_configs({"best": "", "awd": "weight_dropout=0.2 dropout_mask=locked"}, 30.0)
    base = quality_configs(30.0)
    assert list(configs) == ["reference", "best", "awd"]
    assert configs["reference"] == base["reference"] and configs["best"] == base["best"]
    assert configs["awd"] == base["best"].replace(weight_dropout=0.2, dropout_mask="locked")
    counted = screen_configs({"best": ""}, 30.0, steps=150)
    assert [(c.steps, c.time_budget) for c in counted.values()] == [(150, None)] * 2
    with pytest.raises(ConfigError, match="weight_dropout"):
        screen_configs({"bad": "weight_dropout=2"})
