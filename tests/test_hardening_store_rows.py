"""The store is untrusted input: tampered rows show as `damaged` with a one-line reason in
lists and views, are refused in one line by the commands that need them, and never give a
traceback; the other rows still show.

Each row of the table tampers with one run of a store that also holds a good run, through
SQLite itself (as another machine, an older version or a hand edit would), then runs the real
CLI on it.
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import pytest

from rnn_tui.store import RunStore
from rnn_tui.store.schema import MIGRATIONS, STATUS_CHECK
from rnn_tui.store.validate import (
    DAMAGED,
    read_epoch,
    read_run,
    read_step,
    read_sweep_configs,
)
from rnn_tui.training.events import EpochEnd, StepEnd
from tests.cli_calls import call_cli

GOOD_NAME = "good-run"


def _strict(text: str):
    """json.loads that refuses Infinity and NaN, as jq, JavaScript and Go do."""

    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def _record(store: RunStore, name: str) -> int:
    run_id = store.create_run({"cell": "gru", "layers": 1, "hidden": 8}, name=name, params=99)
    recorder = store.recorder(run_id)
    recorder(StepEnd(1, 1, 1.0, 2.7, 0.01, 100.0, 10, 0.5))
    recorder(EpochEnd(1, 1, 1.0, 2.7, 1.1, 3.0, 100.0, 10, 0.5, "sample", True, None))
    recorder.flush()
    store.finish_run(run_id, "finished", seconds=0.5)
    return run_id


# name -> (SQL that tampers with run ?, parameters after the id), the reason's words
TAMPERED = {
    "config a JSON list": ("UPDATE runs SET config = '[1, 2]' WHERE id = ?", "config"),
    "config not JSON": ("UPDATE runs SET config = '{\"cell\": ' WHERE id = ?", "config"),
    "config setting of the wrong type": (
        "UPDATE runs SET config = '{\"hidden\": \"big\"}' WHERE id = ?",
        "hidden",
    ),
    "tags a number": ("UPDATE runs SET tags = '7' WHERE id = ?", "tags"),
    "tags not texts": ("UPDATE runs SET tags = '[1, null]' WHERE id = ?", "tags"),
    "created 1e300": ("UPDATE runs SET created = 1e300 WHERE id = ?", "created"),
    "ended negative": ("UPDATE runs SET ended = -5 WHERE id = ?", "ended"),
    "infinite duration": ("UPDATE runs SET seconds = 9e999 WHERE id = ?", "seconds"),
    "perplexity as text": ("UPDATE runs SET best_val_ppl = 'low' WHERE id = ?", "best_val_ppl"),
    "name as non-UTF-8 bytes": (
        "UPDATE runs SET name = CAST(x'fffe41' AS TEXT) WHERE id = ?", "name"
    ),
    "name as a blob": ("UPDATE runs SET name = x'00ff' WHERE id = ?", "name"),
    "pid as text": ("UPDATE runs SET pid = 'twelve' WHERE id = ?", "pid"),
    "pid 2**62": (f"UPDATE runs SET pid = {2**62} WHERE id = ?", "pid"),
    "checkpoint path of 5000 chars": (
        "UPDATE runs SET checkpoint = '/' || replace(hex(zeroblob(2500)), '0', 'a') WHERE id = ?",
        "checkpoint",
    ),
    "params negative": ("UPDATE runs SET params = -3 WHERE id = ?", "params"),
    "steps as a real": ("UPDATE runs SET steps = 2.5 WHERE id = ?", "steps"),
    "status unknown (schema check dropped)": (None, "status"),
    "NULL status in an older schema": (None, "status"),
    "NULL created in an older schema": (None, "created"),
}  # fmt: skip


def _older_schema(path: Path) -> None:
    """A database of an older schema that lacked the NOT NULL and CHECK constraints."""
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        statement = statement.replace("NOT NULL", "")
        statement = statement.replace(f"CHECK (status IN ({STATUS_CHECK}))", "")
        conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    conn.commit()
    conn.close()


def _tamper(case: str, db: Path, run_id: int) -> None:
    conn = sqlite3.connect(db)
    sql = TAMPERED[case][0]
    if sql is not None:
        conn.execute(sql, (run_id,))
    elif case.startswith("NULL status"):
        conn.execute("UPDATE runs SET status = NULL WHERE id = ?", (run_id,))
    elif case.startswith("NULL created"):
        conn.execute("UPDATE runs SET created = NULL WHERE id = ?", (run_id,))
    else:
        conn.execute("UPDATE runs SET status = 'exploded' WHERE id = ?", (run_id,))
    conn.commit()
    conn.close()


@pytest.fixture
def data(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("RNN_TUI_DATA_DIR", str(folder))
    monkeypatch.setenv("COLUMNS", "200")
    return folder


@pytest.mark.parametrize("case", list(TAMPERED))
def test_a_tampered_row_is_damaged_in_views_and_refused_by_commands(case, data, tmp_path):
    db = data / "runs.sqlite3"
    if "older schema" in case or "schema check" in case:
        _older_schema(db)
    with RunStore(db) as store:
        good = _record(store, GOOD_NAME)
        bad = _record(store, "bad-run")
    _tamper(case, db, bad)
    word = TAMPERED[case][1]

    # Lists and views: the damaged row with its reason; the good one as always.
    listed = call_cli(["runs", "list"], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert GOOD_NAME in listed.stdout and DAMAGED in listed.stdout
    assert word in listed.stdout, listed.stdout
    assert listed.stderr == ""

    listed = call_cli(["runs", "list", "--json"], cwd=tmp_path)
    rows = {row["id"]: row for row in _strict(listed.stdout)}
    assert rows[good]["name"] == GOOD_NAME and rows[good]["status"] == "finished"
    assert rows[bad]["status"] == DAMAGED and word in rows[bad]["message"]
    assert "\n" not in rows[bad]["message"]

    shown = call_cli(["runs", "show", str(bad)], cwd=tmp_path)
    assert shown.returncode == 0 and DAMAGED in shown.stdout and word in shown.stdout
    shown = call_cli(["runs", "show", str(bad), "--json"], cwd=tmp_path)
    assert _strict(shown.stdout)["run"]["status"] == DAMAGED

    compared = call_cli(["runs", "compare", str(good), str(bad)], cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert GOOD_NAME in compared.stdout and DAMAGED in compared.stdout

    # Commands that need the run refuse it in one line, exit code 2.
    for command in (
        ["runs", "export", str(bad), "--format", "json"],
        ["runs", "export", str(good), str(bad), "--format", "csv"],
        ["runs", "watch", str(bad)],
        ["runs", "stop", str(bad)],
        ["runs", "tag", str(bad), "x"],
        ["train", "--resume", str(bad)],
        ["sample", "--checkpoint", str(bad)],
    ):
        refused = call_cli(command, cwd=tmp_path)
        assert refused.returncode == 2, (command, refused)
        assert refused.stdout == ""
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and f"run {bad} is damaged" in lines[0], (command, lines)

    # The good run still works everywhere, and the damaged one can be deleted.
    exported = call_cli(["runs", "export", str(good), "--format", "json"], cwd=tmp_path)
    assert exported.returncode == 0 and _strict(exported.stdout)[0]["run"]["id"] == good
    deleted = call_cli(["runs", "delete", str(bad), "--yes"], cwd=tmp_path)
    assert deleted.returncode == 0, deleted.stderr
    with RunStore(db) as store:
        assert [run.id for run in store.list_runs()] == [good]


def test_the_readers_take_any_mapping_and_check_every_column():
    good = {
        "id": 4, "name": "n", "status": "finished", "config": {"hidden": 8}, "tags": ["a"],
        "created": 1.7e9, "ended": None, "device": "cpu", "torch_version": "2", "params": 5,
        "pid": 10, "pid_start": "77", "hostname": "h", "sweep_id": None, "sweep_index": None,
        "message": "", "best_val_ppl": math.inf, "final_train_ppl": 3.0, "final_val_ppl": None,
        "tokens_per_s": 10.0, "steps": 3, "epochs": 1, "seconds": 2.0, "checkpoint": None,
        "best_checkpoint": None, "later_column": "kept",
    }  # fmt: skip
    run = read_run(good)
    assert run.status == "finished" and run.pid_start == "77"
    assert run.best_val_ppl == math.inf and run.extra == {"later_column": "kept"}
    assert "pid_start" not in run.to_dict()
    wrong = [("id", 0), ("id", True), ("epochs", -1), ("tokens_per_s", -1.0),
             ("sweep_index", "1"), ("hostname", 3), ("message", "a\x00b")]  # fmt: skip
    for column, value in wrong:
        damaged = read_run({**good, column: value})
        assert damaged.status == DAMAGED and column in damaged.message, (column, damaged)

    step = {"step": 1, "epoch": 1, "loss": 1.0, "ppl": 2.7, "lr": 0.1, "tokens": 5,
            "elapsed": 0.1, "tokens_per_s": 50.0}  # fmt: skip
    assert read_step(step) == step
    assert read_step({**step, "step": "1"}) is None
    assert read_step({**step, "elapsed": math.nan}) is None
    epoch = {"epoch": 1, "step": 1, "train_loss": 1.0, "train_ppl": 2.7, "val_loss": 1.0,
             "val_ppl": math.inf, "tokens": 5, "elapsed": 0.1, "tokens_per_s": 50.0,
             "sample": "s", "is_best": 1, "checkpoint": None}  # fmt: skip
    assert read_epoch(epoch)["is_best"] is True
    assert read_epoch({**epoch, "sample": b"\xff"}) is None
    assert read_epoch({**epoch, "is_best": 7}) is None
    assert read_sweep_configs('[{"hidden": 8}]') == [{"hidden": 8}]
    with pytest.raises(ValueError, match="configs"):
        read_sweep_configs("[1]")


def test_damaged_metric_rows_are_left_out_and_the_rest_still_read(data, tmp_path):
    db = data / "runs.sqlite3"
    with RunStore(db) as store:
        run_id = _record(store, "r")
        recorder = store.recorder(run_id)
        recorder(StepEnd(2, 1, 1.0, 2.7, 0.01, 100.0, 20, 1.0))
        recorder.flush()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE step_metrics SET loss = 'x' WHERE step = 1")
    conn.execute("UPDATE epoch_metrics SET sample = CAST(x'ff' AS TEXT)")
    conn.commit()
    conn.close()
    with RunStore(db) as store:
        assert [row["step"] for row in store.step_metrics(run_id)] == [2]
        assert store.epoch_metrics(run_id) == []
    shown = call_cli(["runs", "show", str(run_id)], cwd=tmp_path)
    assert shown.returncode == 0 and "Run" in shown.stdout


def test_a_damaged_sweep_is_refused_in_one_line(data):
    db = data / "runs.sqlite3"
    with RunStore(db) as store:
        sweep = store.create_sweep("s", [{"hidden": 8}])
    conn = sqlite3.connect(db)
    conn.execute("UPDATE sweeps SET configs = '{\"a\": 1}'")
    conn.commit()
    conn.close()
    with RunStore(db) as store, pytest.raises(Exception, match="sweep .* is damaged"):
        store.sweep_configs(sweep)


async def test_the_tui_runs_screen_shows_damaged_rows_with_their_reason(tmp_path):
    from tests.test_ui_runs import RnnTuiApp, db_path, open_runs, row_texts, three_runs

    alpha, beta, gamma = three_runs(tmp_path)
    conn = sqlite3.connect(db_path(tmp_path))
    conn.execute("UPDATE runs SET config = '[1]' WHERE id = ?", (beta,))
    conn.execute("UPDATE runs SET created = 1e300 WHERE id = ?", (gamma,))
    conn.commit()
    conn.close()
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        screen = await open_runs(pilot)
        rows = {row["id"]: row for row in row_texts(screen)}
        assert rows[str(alpha)]["name"] == "alpha" and rows[str(alpha)]["status"] == "finished"
        for run_id, word in ((beta, "config"), (gamma, "created")):
            assert rows[str(run_id)]["status"] == DAMAGED
            assert word in rows[str(run_id)]["name"], rows[str(run_id)]
        for _ in rows:  # the line under the table, for each row in turn: no traceback
            await pilot.press("down")
            await pilot.pause()
        assert screen.is_current
        # Its settings are refused, not taken for the defaults (edit, resume, compare).
        from rnn_tui.errors import RnnTuiError
        from rnn_tui.ui.screens.runs_snapshot import stored_config

        with pytest.raises(RnnTuiError, match="damaged"):
            stored_config(screen.table.run_by_id(beta))


def test_a_name_or_tag_too_long_to_read_back_is_refused_when_written(data):
    from rnn_tui.errors import StoreError
    from rnn_tui.store.validate import MAX_NAME

    with RunStore(data / "runs.sqlite3") as store:
        run_id = _record(store, "r")
        with pytest.raises(StoreError, match="at most"):
            store.rename(run_id, "x" * (MAX_NAME + 1))
        with pytest.raises(StoreError, match="at most"):
            store.set_tags(run_id, ["t" * (MAX_NAME + 1)])
        store.rename(run_id, "x" * MAX_NAME)
        assert store.get_run(run_id).name == "x" * MAX_NAME  # not damaged
