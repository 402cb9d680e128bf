"""TrainConfig: validation messages, parsing, presets, sweeps."""

from __future__ import annotations

import argparse

import pytest

from rnn_tui.config import (
    FIELDS,
    PRESETS,
    TrainConfig,
    embedding_dim,
    from_strings,
    preset,
)
from rnn_tui.errors import ConfigError, RnnTuiError
from rnn_tui.runs.sweep import expand_sweep, varied_fields


def test_defaults_are_valid_and_every_field_has_a_spec():
    assert TrainConfig().validate() == {}
    assert set(FIELDS) == set(TrainConfig().to_dict())


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("hidden", "abc", "must be a whole number"),
        ("hidden", "0", "must be at least 1"),
        ("layers", "9", "must be at most 8"),
        ("lr", "-1", "must be at least 1e-08"),
        ("lr", "fast", "must be a number"),
        ("cell", "transformer", "must be one of rnn, gru, lstm"),
        ("dropout", "0.95", "must be at most 0.9"),
        ("val_fraction", "0.6", "must be at most 0.5"),
        ("batch_size", "", "is required"),
    ],
)
def test_each_bad_field_gets_a_human_message(field, text, message):
    with pytest.raises(ConfigError) as info:
        from_strings({field: text})
    assert info.value.errors == {field: message}


def test_several_errors_are_reported_together():
    with pytest.raises(ConfigError) as info:
        from_strings({"hidden": "x", "lr": "0", "optimizer": "lbfgs"})
    assert set(info.value.errors) == {"hidden", "lr", "optimizer"}
    assert str(info.value).startswith("hidden: must be a whole number")


def test_parsing_accepts_what_people_type():
    config = from_strings(
        {"hidden": "1_024", "lr": "3e-4", "steps": "", "cell": "LSTM", "epochs": "20.0"}
    )
    assert (config.hidden, config.lr, config.steps, config.cell, config.epochs) == (
        1024,
        3e-4,
        None,
        "lstm",
        20,
    )


def test_embedding_choices():
    assert embedding_dim("onehot", 28) is None
    assert embedding_dim("vocab", 28) == 28
    assert embedding_dim("64", 28) == 64
    assert embedding_dim("-3", 28) == -1
    with pytest.raises(ConfigError, match="embedding: use onehot, vocab"):
        from_strings({"embedding": "big"})


def test_presets_are_valid_and_the_seed_is_the_notebook():
    for name in PRESETS:
        assert preset(name).validate() == {}, name
    seed = preset("seed")
    assert (seed.cell, seed.hidden, seed.batch_size, seed.num_steps, seed.optimizer, seed.lr) == (
        "rnn",
        128,
        32,
        35,
        "adam",
        0.01,
    )
    assert (seed.preprocess, seed.batching, seed.epochs, seed.epoch_steps) == (
        "seed",
        "random",
        20,
        1,
    )
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        preset("nope")


def test_sweep_is_the_cross_product_in_order():
    configs = expand_sweep({"hidden": "128,200,300", "batch_size": "16, 64"})
    assert [(c.hidden, c.batch_size) for c in configs] == [
        (128, 16),
        (128, 64),
        (200, 16),
        (200, 64),
        (300, 16),
        (300, 64),
    ]
    assert varied_fields(configs) == ["hidden", "batch_size"]


def test_sweep_errors():
    with pytest.raises(ConfigError) as info:
        expand_sweep({"hidden": "128,,300", "device": "cpu,cuda"})
    assert info.value.errors == {
        "hidden": "has an empty item in its list",
        "device": "cannot hold a list",
    }
    with pytest.raises(ConfigError, match="hidden: must be a whole number"):
        expand_sweep({"hidden": "128,big"})


def test_round_trip_through_dict_ignores_unknown_keys():
    config = preset("best")
    data = config.to_dict() | {"from_the_future": 1}
    assert TrainConfig.from_dict(data) == config


def test_flags_and_the_form_share_one_sweep_rule():
    """A path may hold a comma: --corpus a,b.txt is one corpus in the CLI as in the form."""
    from rnn_tui.cli import build_parser, configs_from_args
    from rnn_tui.runs.sweep import build_configs

    parser = build_parser()
    args = parser.parse_args(["train", "--corpus", "a,b.txt", "--hidden", "8,16"])
    from_flags = configs_from_args(args)
    assert from_flags == build_configs({"corpus": "a,b.txt", "hidden": "8,16"})
    assert [(c.corpus, c.hidden) for c in from_flags] == [("a,b.txt", 8), ("a,b.txt", 16)]

    with pytest.raises(ConfigError) as form_error:
        build_configs({"device": "cpu,cuda"})
    with pytest.raises(RnnTuiError) as flag_error:
        configs_from_args(parser.parse_args(["train", "--device", "cpu,cuda"]))
    assert str(flag_error.value) == f"--device: {form_error.value.errors['device']}"


def test_one_integer_rule_for_fields_and_flags():
    from rnn_tui.cli.args import sample_option
    from rnn_tui.config import parse_int

    int_in = sample_option("seed")  # a flag that reads a whole number from 0
    assert parse_int("1_000") == int_in("1_000") == 1000
    assert parse_int("2e3") == int_in("2e3") == 2000
    for text in ("\u0661\u0662", "\u00b2", "1.5", "big"):  # Arabic-Indic 12, superscript two
        with pytest.raises(ValueError, match="must be a whole number"):
            parse_int(text)
        with pytest.raises(argparse.ArgumentTypeError, match="must be a whole number"):
            int_in(text)


def test_one_number_rule_for_fields_and_flags():
    """config.parse_float reads every number field and the CLI's number flags alike."""
    from rnn_tui.cli.args import sample_option
    from rnn_tui.config import parse_float, parse_value

    float_at_least_0 = sample_option("temperature")

    assert parse_value("lr", " 3e-4 ") == parse_float("3e-4") == float_at_least_0("3e-4") == 3e-4
    for text, message in (("hot", "must be a number"), ("nan", "must be a finite number")):
        with pytest.raises(ValueError, match=message):
            parse_value("clip", text)
        with pytest.raises(argparse.ArgumentTypeError, match=f"{message}, got '{text}'"):
            float_at_least_0(text)
    with pytest.raises(ConfigError) as info:  # inf was taken as a clip norm; it is no number
        from_strings({"clip": "inf", "time_budget": "-inf"})
    assert info.value.errors == {
        "clip": "must be a finite number",
        "time_budget": "must be a finite number",
    }
    with pytest.raises(argparse.ArgumentTypeError, match="must be 0 or more, got '-1'"):
        float_at_least_0("-1")


def test_sampling_options_have_one_rule_for_flags_and_the_sample_screen():
    from rnn_tui.cli.args import sample_option
    from rnn_tui.sampling.options import MAX_SEED
    from rnn_tui.ui.screens.sample_model import parse_sample_field

    for name, text in (("length", "0"), ("seed", str(MAX_SEED + 1)), ("top_k", "0")):
        with pytest.raises(ValueError) as field_error:
            parse_sample_field(name, text)
        with pytest.raises(argparse.ArgumentTypeError) as flag_error:
            sample_option(name)(text)
        label = name.replace("_", "-")
        assert str(field_error.value) == f"{label} {str(flag_error.value).split(', got')[0]}"
    assert parse_sample_field("seed", str(MAX_SEED)) == sample_option("seed")(str(MAX_SEED))
    assert parse_sample_field("seed", " ") is None  # a fresh seed


def test_a_config_is_checked_once(monkeypatch):
    """A config is frozen: one that passed is not checked again, and a changed copy is."""
    import rnn_tui.config as config_module

    checks = []
    real = config_module.field_errors
    monkeypatch.setattr(config_module, "field_errors", lambda c: checks.append(c) or real(c))
    config = from_strings({"hidden": "64"})
    assert config.checked() is config and config.validate() == {}
    assert checks == [config]
    with pytest.raises(ConfigError, match="hidden: must be at least 1"):
        config.replace(hidden=0).checked()
    assert len(checks) == 2
    with pytest.raises(AttributeError):
        config.hidden = 0  # type: ignore[misc]
