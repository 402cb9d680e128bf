"""The headless CLI: flags, outputs, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rnn_tui.cli import main
from rnn_tui.config import preset


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


TINY = [
    "--hidden",
    "8",
    "--batch-size",
    "8",
    "--num-steps",
    "16",
    "--epochs",
    "2",
    "--sample-length",
    "5",
    "--quiet",
]


def test_params_reproduces_the_worked_example(capsys):
    code, out, _ = run_cli(
        [
            "params",
            "--cell",
            "rnn",
            "--input-size",
            "1",
            "--hidden",
            "3",
            "--layers",
            "2",
            "--output-size",
            "1",
        ],
        capsys,
    )
    assert code == 0
    assert "textbook: 15 + 21 + 4 = 40; PyTorch: 18 + 24 + 4 = 46" in out


def test_params_json(capsys):
    code, out, _ = run_cli(
        [
            "params",
            "--cell",
            "rnn",
            "--input-size",
            "1",
            "--hidden",
            "3",
            "--layers",
            "2",
            "--output-size",
            "1",
            "--json",
        ],
        capsys,
    )
    data = json.loads(out)
    assert code == 0 and data["total_textbook"] == 40 and data["total_pytorch"] == 46
    assert [layer["textbook"] for layer in data["layers"]] == [15, 21, 4]


def test_train_writes_every_output(tiny_corpus, tmp_path, isolated_dirs, capsys):
    out_dir = tmp_path / "out"
    code, out, err = run_cli(
        ["train", "--corpus", str(tiny_corpus), *TINY, "--out", str(out_dir)], capsys
    )
    assert code == 0, err
    assert "Epoch 1, Loss " in out and "Epoch 2, Loss " in out
    assert {p.name for p in out_dir.iterdir()} >= {
        "config.json",
        "metrics.jsonl",
        "last.pt",
        "best.pt",
        "summary.json",
    }
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["steps"] == 28 and summary["reason"] == "finished"
    assert summary["params_pytorch"] == 28 * 8 + 8 * 8 + 2 * 8 + 8 * 28 + 28
    for key in ("best_val_ppl", "final_train_ppl", "tokens_per_s", "seconds"):
        assert summary[key] > 0
    lines = [json.loads(line) for line in (out_dir / "metrics.jsonl").read_text().splitlines()]
    assert [line["event"] for line in lines].count("StepEnd") == 28
    assert [line["event"] for line in lines].count("EpochEnd") == 2
    assert json.loads((out_dir / "config.json").read_text())["hidden"] == 8


def test_train_records_the_run_in_the_store(tiny_corpus, isolated_dirs, capsys):
    code, out, _ = run_cli(["train", "--corpus", str(tiny_corpus), *TINY, "--name", "tiny"], capsys)
    assert code == 0 and "run id: 1" in out
    from rnn_tui.store import RunStore

    with RunStore() as store:
        run = store.get_run(1)
        assert (run.name, run.status, run.steps) == ("tiny", "finished", 28)
        assert len(store.step_metrics(1)) == 28 and len(store.epoch_metrics(1)) == 2


def test_sweep_runs_the_cross_product_and_summarises(tiny_corpus, isolated_dirs, capsys):
    code, out, _ = run_cli(
        ["train", "--corpus", str(tiny_corpus), *TINY, "--hidden", "4,8", "--epochs", "1"], capsys
    )
    assert code == 0
    assert "run 1/2: hidden=4" in out and "run 2/2: hidden=8" in out
    assert "Sweep summary" in out and "best" in out


def test_seed_preset_prints_the_notebook_lines(isolated_dirs, capsys):
    assert preset("seed").epochs == 20  # the notebook's 20; three show the lines' form
    args = ["train", "--preset", "seed", "--epochs", "3", "--no-store", "--quiet"]
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("Epoch ")]
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1, Loss ") and ", Perplexity " in lines[0]
    assert lines[-1].startswith("Epoch 3, Loss ")


def test_sample_streams_from_a_checkpoint(tiny_corpus, tmp_path, isolated_dirs, capsys):
    out_dir = tmp_path / "out"
    assert (
        run_cli(
            ["train", "--corpus", str(tiny_corpus), *TINY, "--out", str(out_dir), "--no-store"],
            capsys,
        )[0]
        == 0
    )
    args = [
        "sample",
        "--checkpoint",
        str(out_dir / "last.pt"),
        "--prefix",
        "the ",
        "--length",
        "30",
        "--temperature",
        "0.5",
        "--seed",
        "1",
    ]
    code, out, _ = run_cli(args, capsys)
    assert code == 0 and out.startswith("the ") and len(out.rstrip("\n")) == 34
    assert run_cli(args, capsys)[1] == out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--hidden", "abc"], "rnn-tui: error: --hidden: must be a whole number"),
        (["train", "--bogus"], "rnn-tui train: error: unrecognized arguments: --bogus"),
        (["train", "--cell", "tcn"], "--cell: must be one of rnn, gru, lstm"),
        (["sample", "--checkpoint", "/nonexistent.pt"], "checkpoint not found: /nonexistent.pt"),
        (["params", "--hidden", "0"], "--hidden must be at least 1"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(args, message, isolated_dirs, capsys):
    try:
        code = main(args)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"caf\xe9 au lait", "is not UTF-8 text: invalid byte 0xe9 at offset 3"),
        (b"tiny", "corpus too short: 4 characters after preprocessing"),
    ],
)
def test_bad_corpus_exits_2_without_traceback(content, message, tmp_path, isolated_dirs):
    corpus = tmp_path / "bad.txt"
    corpus.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "rnn_tui", "train", "--corpus", str(corpus), "--quiet"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_corrupt_checkpoint_sample_exits_2(tmp_path, isolated_dirs):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x80\x02not really a checkpoint")
    result = subprocess.run(
        [sys.executable, "-m", "rnn_tui", "sample", "--checkpoint", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is not a readable rnn-tui checkpoint" in result.stderr


def test_unknown_prefix_characters(tiny_corpus, tmp_path, isolated_dirs, capsys):
    out_dir = tmp_path / "out"
    run_cli(
        ["train", "--corpus", str(tiny_corpus), *TINY, "--out", str(out_dir), "--no-store"], capsys
    )
    code, _, err = run_cli(
        ["sample", "--checkpoint", str(out_dir / "last.pt"), "--prefix", "QZ!"], capsys
    )
    assert code == 2 and "not in the model's vocabulary: '!', 'q', 'z'" in err  # lowercased


def test_resume_by_run_id_continues_the_stored_run(tiny_corpus, capsys):
    assert run_cli(["train", "--corpus", str(tiny_corpus), *TINY, "--epochs", "1"], capsys)[0] == 0
    code, out, _ = run_cli(["train", "--resume", "1", "--epochs", "3", "--quiet"], capsys)
    assert code == 0 and "resumed at step 14" in out and "Epoch 3, Loss" in out
    from rnn_tui.reports.curves import Curves
    from rnn_tui.store import RunStore

    with RunStore() as store:
        run = store.get_run(1)
        assert (run.status, run.steps) == ("finished", 42)
        assert [e["epoch"] for e in store.epoch_metrics(1)] == [1, 2, 3]
        curves = Curves([], [], [])
        curves.load(store.run_dir(1) / "metrics.jsonl", before_epoch=99)
    assert curves.epochs == [1, 2, 3]


def test_a_run_reads_its_checkpoint_and_checks_its_config_once(tiny_corpus, capsys, monkeypatch):
    """Flags become a config checked once; a resume reads its checkpoint once (the plan and
    the trainer share it) and checks the checkpoint's config and the resumed one once each."""
    import torch

    import rnn_tui.config as config_module

    checks, loads = [], []
    real_check, real_load = config_module.field_errors, torch.load
    monkeypatch.setattr(config_module, "field_errors", lambda c: checks.append(c) or real_check(c))
    monkeypatch.setattr(
        torch, "load", lambda path, **kw: loads.append(path) or real_load(path, **kw)
    )

    code, _, err = run_cli(["train", "--corpus", str(tiny_corpus), *TINY, "--epochs", "1"], capsys)
    assert code == 0, err
    assert len(checks) == 1 and loads == []

    checks.clear()
    code, out, err = run_cli(["train", "--resume", "1", "--epochs", "2", "--quiet"], capsys)
    assert code == 0 and "resumed at step 14" in out, err
    assert len(loads) == 1 and loads[0].name == "last.pt"
    # Once each: the resumed config (when it is planned), the checkpoint's (when it is read).
    assert sorted(c.epochs for c in checks) == [1, 2]
