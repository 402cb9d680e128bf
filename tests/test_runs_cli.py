"""`rnn-tui runs ...` through add_runs_parser and run_runs_command."""

from __future__ import annotations

import argparse
import builtins
import csv
import io
import json

import pytest

from rnn_tui.cli.runs import add_runs_parser, run_runs_command
from rnn_tui.config import TrainConfig
from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.store import RunStore
from rnn_tui.training.events import EpochEnd, StepEnd


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "220")  # rich tables unwrapped
    return tmp_path


def parse(*argv):
    parser = argparse.ArgumentParser(prog="rnn-tui")
    add_runs_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


def run(*argv):
    args = parse(*argv)
    assert args.handler is run_runs_command
    return run_runs_command(args)


def make_run(store, hidden, val_ppls, status="finished", name=None):
    cfg = TrainConfig().replace(cell="gru", hidden=hidden).to_dict()
    run_id = store.create_run(cfg, name=name, params=1000 * hidden)
    recorder = store.recorder(run_id)
    for epoch, val in enumerate(val_ppls, start=1):
        recorder(StepEnd(epoch, epoch, 1.0, 5.0, 0.01, 2000.0, 100 * epoch, float(epoch)))
        recorder(
            EpochEnd(
                epoch,
                epoch,
                1.5,
                6.0 - epoch / 2,
                1.6,
                val,
                2000.0,
                100 * epoch,
                float(epoch),
                f"sample of epoch {epoch}",
                val == min(val_ppls[:epoch]),
                None,
            )  # fmt: skip
        )
    store.finish_run(
        run_id, status, "done", best_val_ppl=min(val_ppls), final_train_ppl=5.0,
        final_val_ppl=val_ppls[-1], tokens_per_s=2000.0, steps=len(val_ppls),
        epochs=len(val_ppls), seconds=83.0,
    )  # fmt: skip
    return run_id


@pytest.fixture
def runs(env):
    with RunStore() as store:
        a = make_run(store, 32, [9.0, 7.25], name="small")
        b = make_run(store, 64, [8.0, 6.5], name="big")
        store.set_tags(b, ["paper"])
    return a, b


def test_list(runs, capsys):
    assert run("runs", "list") == 0
    out = capsys.readouterr().out
    assert "small" in out and "big" in out
    assert "gru 1x64" in out and "6.50" in out and "1m23s" in out and "2,000" in out
    assert out.index("big") < out.index("small")  # newest first


def test_list_filter_and_json(runs, capsys):
    assert run("runs", "list", "--filter", "PAPER", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in data] == ["big"]
    assert data[0]["tags"] == ["paper"] and data[0]["best_val_ppl"] == 6.5
    assert run("runs", "list", "--filter", "nothing") == 0
    assert "no runs matching 'nothing'" in capsys.readouterr().out


def test_show(runs, capsys):
    a, _ = runs
    assert run("runs", "show", str(a)) == 0
    out = capsys.readouterr().out
    assert f"{a} small" in out
    assert "finished  done" in out
    assert "32,000" in out  # parameters
    assert "7.25" in out and "9.00" in out
    assert "sample of epoch 2" in out
    assert run("runs", "show", str(a), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run"]["id"] == a
    assert [e["val_ppl"] for e in data["epochs"]] == [9.0, 7.25]


def test_show_missing_run(env):
    with pytest.raises(StoreError, match="^no run with id 99$"):
        run("runs", "show", "99")


def test_compare_table(runs, capsys):
    a, b = runs
    assert run("runs", "compare", str(a), str(b)) == 0
    out = capsys.readouterr().out
    assert "hidden" in out  # the one setting that differs
    assert "optimizer" not in out
    lines = [line for line in out.splitlines() if " big " in line]
    assert lines and "*" in lines[0] and "64" in lines[0] and "6.50" in lines[0]
    assert f"best: run {b} (big), validation perplexity 6.50" in out


def test_compare_png(runs, env, capsys):  # matplotlib is a test dependency: no skip
    a, b = runs
    out_file = env / "cmp.png"
    assert run("runs", "compare", str(a), str(b), "--png", str(out_file), "--x", "tokens") == 0
    assert f"wrote {out_file}" in capsys.readouterr().out
    assert out_file.read_bytes().startswith(b"\x89PNG")


def test_compare_png_without_matplotlib(runs, env, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(RnnTuiError) as info:
        run("runs", "compare", str(runs[0]), "--png", str(env / "x.png"))
    assert str(info.value) == "--png needs matplotlib: pip install 'rnn-tui[plot]'"


def test_export(runs, env, capsys):
    a, b = runs
    assert run("runs", "export", str(a), str(b), "--format", "csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["run_name"], r["epoch"], r["val_ppl"]) for r in rows] == [
        ("small", "1", "9.0"),
        ("small", "2", "7.25"),
        ("big", "1", "8.0"),
        ("big", "2", "6.5"),
    ]
    target = env / "out.json"
    assert run("runs", "export", str(b), "--format", "json", "--output", str(target)) == 0
    assert f"wrote 1 run to {target}" in capsys.readouterr().err
    data = json.loads(target.read_text())
    assert data[0]["run"]["name"] == "big" and len(data[0]["steps"]) == 2


def test_rename_and_tag(runs, capsys):
    a, _ = runs
    assert run("runs", "rename", str(a), "tiny") == 0
    assert f"run {a} renamed to 'tiny'" in capsys.readouterr().out
    assert run("runs", "tag", str(a), "x", "y") == 0
    assert f"run {a} tags: x, y" in capsys.readouterr().out
    assert run("runs", "tag", str(a), "x", "--remove") == 0
    assert f"run {a} tags: y" in capsys.readouterr().out
    with RunStore() as store:
        run_row = store.get_run(a)
    assert (run_row.name, run_row.tags) == ("tiny", ["y"])


def test_delete(runs, capsys, monkeypatch):
    a, b = runs
    with RunStore() as store:
        folder = store.run_dir(a)
    (folder / "last.pt").write_bytes(b"x")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    with pytest.raises(RnnTuiError, match="needs --yes"):
        run("runs", "delete", str(a))
    assert folder.exists()
    assert run("runs", "delete", str(a), "--yes") == 0
    assert f"deleted run {a} (small)" in capsys.readouterr().out
    assert not folder.exists()
    with RunStore() as store:
        assert [r.id for r in store.list_runs()] == [b]


def test_bad_database_is_a_store_error(env, monkeypatch):
    bad = env / "garbage"
    bad.mkdir()
    (bad / "runs.sqlite3").write_bytes(b"\x00garbage" * 100)
    monkeypatch.setenv("RNN_TUI_DATA_DIR", str(bad))
    with pytest.raises(StoreError, match="is not a readable rnn-tui database"):
        run("runs", "list")


def test_parser_rejects_bad_arguments(env):
    with pytest.raises(SystemExit):
        parse("runs", "export", "1")  # --format is required
    with pytest.raises(SystemExit):
        parse("runs", "compare", "1", "--x", "bogus")
