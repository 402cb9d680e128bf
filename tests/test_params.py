"""Parameter counts: the textbook/PyTorch split, checked against the CharRNN actually built."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import defaultdict

import pytest

from rnn_tui.config import TrainConfig
from rnn_tui.errors import ConfigError
from rnn_tui.model.charrnn import CharRNN
from rnn_tui.model.params import (
    BIAS_NOTE,
    GATES,
    ParamReport,
    bias_note,
    count_params,
    report_for_config,
)

GATE_COUNT = {"rnn": 1, "gru": 3, "lstm": 4}


def test_worked_example_two_layer_vanilla_rnn():
    report = count_params("rnn", 1, 3, 2, 1)
    assert report.total_textbook == 40
    assert report.total_pytorch == 46
    assert report.layer_totals() == [("layer 1", 15, 18), ("layer 2", 21, 24), ("output", 4, 4)]
    assert report.summary() == "textbook: 15 + 21 + 4 = 40; PyTorch: 18 + 24 + 4 = 46"
    first = {row.name: row for row in report.rows if row.layer == "layer 1"}
    assert [r.gate for r in report.rows] == [None] * len(report.rows)
    assert first["rnn.weight_ih_l0"].shape == (3, 1)
    assert first["rnn.weight_ih_l0"].formula == "3×1 = 3"
    assert first["rnn.weight_hh_l0"].formula == "3×3 = 9"
    assert (first["rnn.bias_ih_l0"].textbook, first["rnn.bias_ih_l0"].pytorch) == (3, 3)
    bias_hh = first["rnn.bias_hh_l0"]
    assert (bias_hh.textbook, bias_hh.pytorch) == (0, 3)
    assert "second bias" in bias_hh.formula and "counts 0" in bias_hh.formula
    output = [row for row in report.rows if row.layer == "output"]
    assert [(r.name, r.shape, r.textbook, r.formula) for r in output] == [
        ("head.weight", (1, 3), 3, "1×3 = 3"),
        ("head.bias", (1,), 1, "1"),
    ]
    # The real model agrees with PyTorch's column.
    model = CharRNN(1, cell="rnn", hidden=3, layers=2, input_size=1, output_size=1)
    assert sum(p.numel() for p in model.parameters()) == 46
    # per_gate changes nothing for a vanilla RNN.
    assert count_params("rnn", 1, 3, 2, 1, per_gate=False) == report


def _model(cell: str, layers: int, hidden: int, embed: bool, vocab: int) -> CharRNN:
    if embed:
        return CharRNN(vocab, cell=cell, hidden=hidden, layers=layers, embedding=5)
    return CharRNN(
        vocab, cell=cell, hidden=hidden, layers=layers, input_size=vocab, output_size=vocab
    )


GRID = list(
    itertools.product(("rnn", "gru", "lstm"), (1, 2, 3), (1, 3, 17, 64), (False, True), (2, 28))
)


@pytest.mark.parametrize("cell,layers,hidden,embed,vocab", GRID)
def test_counts_match_the_built_model(cell, layers, hidden, embed, vocab):
    model = _model(cell, layers, hidden, embed, vocab)
    tensors = dict(model.named_parameters())
    embedding = (vocab, 5) if embed else None

    report = count_params(cell, vocab, hidden, layers, vocab, embedding=embedding)
    assert report.total_pytorch == sum(p.numel() for p in model.parameters())
    assert report.total_pytorch == sum(r.pytorch for r in report.rows)
    assert report.total_textbook == sum(r.textbook for r in report.rows)
    by_name: dict[str, int] = defaultdict(int)
    gates_seen: dict[str, list[str | None]] = defaultdict(list)
    for row in report.rows:
        assert row.name in tensors
        by_name[row.name] += row.pytorch
        gates_seen[row.name].append(row.gate)
        assert row.pytorch == _prod(row.shape)
        tensor = tensors[row.name]
        if row.gate is not None:  # one gate's slice of the stacked tensor
            assert row.shape == (tensor.shape[0] // GATE_COUNT[cell], *tensor.shape[1:])
    # Every tensor is covered, and its per-gate rows add up to its numel().
    assert dict(by_name) == {name: t.numel() for name, t in tensors.items()}
    for name, gates in gates_seen.items():
        expected = list(GATES[cell]) if name.startswith("rnn.") and cell != "rnn" else [None]
        assert gates == expected, name
    # Rows follow named_parameters() order.
    assert list(dict.fromkeys(r.name for r in report.rows)) == list(tensors)

    stacked = count_params(cell, vocab, hidden, layers, vocab, embedding=embedding, per_gate=False)
    assert [r.name for r in stacked.rows] == list(tensors)
    assert [r.shape for r in stacked.rows] == [tuple(t.shape) for t in tensors.values()]
    assert [r.pytorch for r in stacked.rows] == [t.numel() for t in tensors.values()]
    assert all(r.gate is None for r in stacked.rows)
    assert stacked.layer_totals() == report.layer_totals()
    assert (stacked.total_textbook, stacked.total_pytorch) == (
        report.total_textbook,
        report.total_pytorch,
    )

    expected_layers = (["embedding"] if embed else []) + [
        f"layer {k}" for k in range(1, layers + 1)
    ]
    assert [t[0] for t in report.layer_totals()] == expected_layers + ["output"]


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


@pytest.mark.parametrize("cell,gates", [("rnn", 1), ("gru", 3), ("lstm", 4)])
@pytest.mark.parametrize("per_gate", [True, False])
def test_textbook_and_pytorch_differ_by_gates_times_hidden_per_layer(cell, gates, per_gate):
    hidden, layers = 17, 3
    report = count_params(cell, 28, hidden, layers, 28, embedding=(28, 5), per_gate=per_gate)
    for layer, textbook, pytorch in report.layer_totals():
        expected = gates * hidden if layer.startswith("layer ") else 0
        assert pytorch - textbook == expected, layer
    assert report.total_pytorch - report.total_textbook == layers * gates * hidden


def test_lstm_layer_by_hand():
    # LSTM, input 2, hidden 3: 4 gates × (3×2 + 3×3 + 3) = 72 textbook, + 4×3 = 84 PyTorch.
    report = count_params("lstm", 2, 3, 1, 2)
    assert report.layer_totals() == [("layer 1", 72, 84), ("output", 8, 8)]
    assert report.summary() == "textbook: 72 + 8 = 80; PyTorch: 84 + 8 = 92"
    ih = [r for r in report.rows if r.name == "rnn.weight_ih_l0"]
    assert [(r.gate, r.shape, r.formula) for r in ih] == [
        ("input", (3, 2), "3×2 = 6"),
        ("forget", (3, 2), "3×2 = 6"),
        ("cell", (3, 2), "3×2 = 6"),
        ("output", (3, 2), "3×2 = 6"),
    ]
    stacked = count_params("lstm", 2, 3, 1, 2, per_gate=False)
    row = next(r for r in stacked.rows if r.name == "rnn.weight_ih_l0")
    assert (row.shape, row.formula) == ((12, 2), "4 gates × 3×2 = 24")
    bias_hh = next(r for r in stacked.rows if r.name == "rnn.bias_hh_l0")
    assert (bias_hh.textbook, bias_hh.pytorch) == (0, 12)


def test_gru_gate_names_in_pytorch_order():
    report = count_params("gru", 4, 2, 1, 4)
    gates = [r.gate for r in report.rows if r.name == "rnn.bias_hh_l0"]
    assert gates == ["reset", "update", "new"]


def test_embedding_ignores_input_size():
    a = count_params("gru", 1, 8, 2, 28, embedding=(28, 5))
    b = count_params("gru", 999, 8, 2, 28, embedding=(28, 5))
    assert a == b
    row = a.rows[0]
    assert (row.layer, row.name, row.shape, row.textbook, row.pytorch, row.formula) == (
        "embedding",
        "embedding.weight",
        (28, 5),
        140,
        140,
        "28×5 = 140",
    )


@pytest.mark.parametrize(
    "embedding,has_embedding", [("onehot", False), ("vocab", True), ("16", True)]
)
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_report_for_config_matches_from_config(embedding, has_embedding, cell):
    vocab = 28
    config = TrainConfig(cell=cell, layers=2, hidden=32, embedding=embedding)
    report = report_for_config(config, vocab)
    model = CharRNN.from_config(config, vocab)
    assert report.total_pytorch == sum(p.numel() for p in model.parameters())
    assert [r.name for r in report_for_config(config, vocab, per_gate=False).rows] == [
        name for name, _ in model.named_parameters()
    ]
    layers = [t[0] for t in report.layer_totals()]
    assert (layers[0] == "embedding") is has_embedding
    if embedding == "vocab":
        assert report.rows[0].shape == (28, 28)
    if embedding == "16":
        assert report.rows[0].shape == (28, 16)
    if embedding == "onehot":
        assert report.rows[0].shape[1] == vocab  # weight_ih_l0 sees the one-hot vector


def test_report_for_config_rejects_bad_model_fields():
    with pytest.raises(ConfigError) as info:
        report_for_config(TrainConfig(embedding="wide", hidden=0), 28)
    assert set(info.value.errors) == {"embedding", "hidden"}
    # Non-model fields do not matter for the count.
    report_for_config(TrainConfig(lr=-1.0), 28)


@pytest.mark.parametrize(
    "args",
    [("conv", 1, 3, 1, 1), ("rnn", 0, 3, 1, 1), ("rnn", 1, 0, 1, 1), ("rnn", 1, 3, 0, 1)],
)
def test_count_params_rejects_bad_arguments(args):
    with pytest.raises(ValueError):
        count_params(*args)


def test_count_params_rejects_bad_embedding():
    with pytest.raises(ValueError):
        count_params("rnn", 1, 3, 1, 1, embedding=(28, 0))


def test_to_dict_json_round_trip():
    report = count_params("lstm", 1, 3, 2, 1, embedding=(28, 5))
    data = json.loads(json.dumps(report.to_dict()))
    assert set(data) == {"layers", "total_textbook", "total_pytorch"}
    assert (data["total_textbook"], data["total_pytorch"]) == (
        report.total_textbook,
        report.total_pytorch,
    )
    assert [(d["layer"], d["textbook"], d["pytorch"]) for d in data["layers"]] == [
        tuple(t) for t in report.layer_totals()
    ]
    rows = [p for d in data["layers"] for p in d["params"]]
    assert len(rows) == len(report.rows)
    first = rows[0]
    assert set(first) == {"layer", "name", "gate", "shape", "textbook", "pytorch", "formula"}
    assert first["shape"] == [28, 5]
    rebuilt = ParamReport(
        rows=tuple(type(report.rows[0])(**{**p, "shape": tuple(p["shape"])}) for p in rows),
        total_textbook=data["total_textbook"],
        total_pytorch=data["total_pytorch"],
    )
    assert rebuilt == report


def test_bias_note_is_one_line():
    for note in (BIAS_NOTE, *(bias_note(cell) for cell in GATES)):
        assert "\n" not in note
        assert "b_ih" in note and "b_hh" in note


def test_bias_note_names_gates_only_for_gated_cells():
    assert "gate" not in bias_note("rnn")
    assert "per layer" in bias_note("rnn")
    for cell in ("gru", "lstm"):
        gates = len(GATES[cell])
        assert "per gate" in bias_note(cell)
        assert f"{gates}×hidden more per layer" in bias_note(cell)
        # the note's figure is the report's: PyTorch minus textbook, per layer
        report = count_params(cell, 5, 7, 1, 5)
        assert report.total_pytorch - report.total_textbook == gates * 7
    rnn = count_params("rnn", 5, 7, 1, 5)
    assert rnn.total_pytorch - rnn.total_textbook == 7


def test_params_cli_note_matches_the_cell(capsys):
    from rnn_tui.cli import main

    assert main(["params", "--cell", "rnn"]) == 0
    out = capsys.readouterr().out
    assert "per layer (b_ih and b_hh)" in " ".join(out.split())
    assert "per gate" not in out


def test_import_does_not_load_torch():
    code = "import sys, rnn_tui.model.params; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
