"""The run store on both backends (SQLite and a real PostgreSQL server): schema and
versions, runs and metrics, batching, crash recovery, concurrent processes, export and the
errors a bad database gives. Tests that use `db` run on each backend."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from privileges import as_an_ordinary_user

from rnn_tui import store as store_module
from rnn_tui.config import TrainConfig
from rnn_tui.errors import StoreError
from rnn_tui.reports.compare import summary_rows
from rnn_tui.store import (
    INTERRUPTED_MESSAGE,
    RunStore,
    data_dir,
    default_db_path,
    schema_version,
)
from rnn_tui.training.events import EpochEnd, RunEnd, RunStart, StepEnd

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(tmp_path, monkeypatch, store_url):
    monkeypatch.setenv("RNN_TUI_DATA_DIR", str(tmp_path / "data"))
    with RunStore(store_url) as store:
        yield store


def config(**changes):
    return TrainConfig().replace(**changes).to_dict()


def step(n, epoch=1):
    return StepEnd(
        step=n, epoch=epoch, loss=2.0 + n / 1000, ppl=7.5 - n / 1000, lr=0.01,
        tokens_per_s=1000.0 + n, tokens=32 * 35 * n, elapsed=0.5 * n,
    )  # fmt: skip


def epoch_end(epoch, stp, val_ppl, is_best, checkpoint=None, sample="the time traveller"):
    return EpochEnd(
        epoch=epoch, step=stp, train_loss=1.5, train_ppl=4.5 - epoch / 10, val_loss=1.6,
        val_ppl=val_ppl, tokens_per_s=1200.0, tokens=1120 * stp, elapsed=0.5 * stp,
        sample=sample, is_best=is_best, checkpoint=checkpoint,
    )  # fmt: skip


def run_start(cfg, start_step=0):
    return RunStart(
        config=cfg, device="cpu", params_pytorch=12345, vocab_size=28, train_tokens=1000,
        val_tokens=100, steps_per_epoch=10, total_steps=30, start_step=start_step, out_dir=None,
    )  # fmt: skip


def child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# --------------------------------------------------------------------------- paths, schema


def test_data_dir_follows_env(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_TUI_DATA_DIR", str(tmp_path / "d"))
    assert data_dir() == tmp_path / "d"
    assert default_db_path() == tmp_path / "d" / "runs.sqlite3"
    with RunStore() as store:
        assert store.path == tmp_path / "d" / "runs.sqlite3"
        assert store.path.exists()
        assert store.run_dir(7) == tmp_path / "d" / "runs" / "7"
        assert (tmp_path / "d" / "runs" / "7").is_dir()


def test_new_database_is_wal_at_current_version(tmp_path):
    with RunStore(tmp_path / "runs.sqlite3") as db:
        assert db.user_version() == schema_version() == store_module.SCHEMA_VERSION == 3
    conn = sqlite3.connect(db.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "sweeps", "step_metrics", "epoch_metrics", "rnn_tui_meta"} <= tables
    assert conn.execute("SELECT value FROM rnn_tui_meta").fetchall() == [("3",)]
    conn.close()


def test_one_schema_on_both_backends(db):
    """The same tables and columns, from the one definition, whichever the backend."""
    from sqlalchemy import inspect

    with db._read() as conn:
        found = inspect(conn.connection)
        names = found.get_table_names()
        tables = {name: [c["name"] for c in found.get_columns(name)] for name in names}
    defined = store_module.schema.metadata.sorted_tables
    expected = {table.name: [c.name for c in table.columns] for table in defined}
    assert tables == expected
    assert "heartbeat" in tables["runs"] and "stop_requested" in tables["runs"]


def test_empty_file_becomes_a_store_and_a_foreign_one_is_refused(tmp_path):
    path = tmp_path / "empty.sqlite3"
    path.touch()  # an empty file is a SQLite database with nothing in it yet
    with RunStore(path) as store:
        assert store.user_version() == schema_version()
        run_id = store.create_run(config())
    with RunStore(path) as store:  # reopening at the current version keeps the data
        assert [r.id for r in store.list_runs()] == [run_id]
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE unrelated (x)")  # someone else's database, user_version 0
    conn.commit()
    conn.close()
    with pytest.raises(StoreError) as info:
        RunStore(other)
    assert str(info.value) == (
        f"run database {other} is not an rnn-tui store: it holds other tables (unrelated); "
        "give rnn-tui a database of its own"
    )
    conn = sqlite3.connect(other)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["unrelated"]
    conn.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "runs.sqlite3"
    RunStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema_version() + 5}")
    conn.commit()
    conn.close()
    for readonly in (False, True):
        with pytest.raises(StoreError) as info:
            RunStore(path, readonly=readonly)
        assert str(info.value) == (
            f"run database {path} has schema version {schema_version() + 5}, written by a "
            f"newer rnn-tui (this one knows up to {schema_version()}); upgrade rnn-tui to use it"
        )


# --------------------------------------------------------------------------- bad databases


def test_garbage_file_gives_store_error(tmp_path):
    path = tmp_path / "runs.sqlite3"
    path.write_bytes(b"this is not sqlite at all\x00\x01\x02" * 200)
    with pytest.raises(StoreError) as info:
        RunStore(path)
    assert str(info.value).startswith(f"run database {path} is not a readable rnn-tui database")
    assert "\n" not in str(info.value)
    assert path.read_bytes().startswith(b"this is not sqlite")  # left alone


def test_directory_gives_store_error(tmp_path):
    with pytest.raises(StoreError, match="is a directory"):
        RunStore(tmp_path)


def test_unreadable_file_gives_store_error(tmp_path):
    """Root reads any file, and CI runs as root: the check runs without root's file
    overrides, as any user's process would (tests/privileges.py)."""
    path = tmp_path / "runs.sqlite3"
    RunStore(path).close()
    path.chmod(0)

    def open_it() -> None:
        with pytest.raises(PermissionError):
            path.read_bytes()  # the fault is in effect, for root too
        with pytest.raises(StoreError, match=str(path)):
            RunStore(path)

    try:
        as_an_ordinary_user(open_it)
    finally:
        path.chmod(0o644)


def test_locked_database_gives_store_error(tmp_path):
    path = tmp_path / "runs.sqlite3"
    store = RunStore(path, busy_timeout=0.05)
    holder = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as info:
            store.create_run(config())
        assert str(info.value) == (
            f"run database {path} is locked by another process; try again when it is done"
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.create_run(config()) == 1  # usable once the lock is gone
    store.close()


def test_locked_rollback_journal_database_on_open(tmp_path):
    path = tmp_path / "runs.sqlite3"
    holder = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # not WAL yet: this blocks even readers
    try:
        with pytest.raises(StoreError, match="is locked by another process"):
            RunStore(path, busy_timeout=0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_closed_store_gives_store_error(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite3")
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.list_runs()


# --------------------------------------------------------------------------- runs, metrics


def test_create_and_get_run(db):
    cfg = config(cell="lstm", layers=2, hidden=64, batch_size=16, lr=0.003)
    run_id = db.create_run(cfg, device="cpu", torch_version="2.13.0", params=999)
    run = db.get_run(run_id)
    assert run.id == run_id == 1
    assert run.name == "lstm-2x64-1"
    assert run.status == "running"
    assert run.config == cfg
    assert (run.cell, run.layers, run.hidden, run.batch_size, run.lr) == ("lstm", 2, 64, 16, 0.003)
    assert (run.device, run.torch_version, run.params) == ("cpu", "2.13.0", 999)
    assert run.pid == os.getpid()
    assert run.ended is None and run.tags == [] and run.message == ""
    assert run.best_val_ppl is None and run.steps == 0
    with pytest.raises(StoreError, match="^no run with id 42$"):
        db.get_run(42)


def test_recorder_writes_a_whole_run(db):
    cfg = config(cell="gru", hidden=32)
    run_id = db.create_run(cfg)
    recorder = db.recorder(run_id, flush_seconds=3600)
    recorder(run_start(cfg))
    for n in range(1, 11):
        recorder(step(n))
    recorder(epoch_end(1, 10, 5.0, True, "/ck/best-1.pt", sample="the time tra"))
    for n in range(11, 21):
        recorder(step(n, epoch=2))
    recorder(epoch_end(2, 20, 5.5, False, "/ck/last-2.pt", sample="the time traveller"))
    recorder(
        RunEnd(
            reason="finished",
            message="2 epochs",
            step=20,
            epoch=2,
            best_val_ppl=5.0,
            final_train_ppl=4.3,
            tokens_per_s=1234.5,
            elapsed=10.0,
            checkpoint="/ck/last-2.pt",
            best_checkpoint="/ck/best-1.pt",
        )  # fmt: skip
    )
    run = db.get_run(run_id)
    assert run.status == "finished"
    assert run.message == "2 epochs"
    assert (run.device, run.params) == ("cpu", 12345)
    assert run.best_val_ppl == 5.0
    assert run.final_train_ppl == 4.3
    assert run.final_val_ppl == 5.5
    assert run.tokens_per_s == 1234.5
    assert (run.steps, run.epochs, run.seconds) == (20, 2, 10.0)
    assert run.checkpoint == "/ck/last-2.pt"
    assert run.best_checkpoint == "/ck/best-1.pt"
    assert run.ended is not None and run.ended >= run.created

    steps = db.step_metrics(run_id)
    assert [s["step"] for s in steps] == list(range(1, 21))
    assert steps[0] == {
        "step": 1, "epoch": 1, "loss": 2.001, "ppl": 7.499, "lr": 0.01, "tokens": 1120,
        "elapsed": 0.5, "tokens_per_s": 1001.0,
    }  # fmt: skip
    assert [s["step"] for s in db.step_metrics(run_id, after_step=18)] == [19, 20]

    epochs = db.epoch_metrics(run_id)
    assert epochs[0] == {
        "epoch": 1, "step": 10, "train_loss": 1.5, "train_ppl": 4.4, "val_loss": 1.6,
        "val_ppl": 5.0, "tokens": 11200, "elapsed": 5.0, "tokens_per_s": 1200.0,
        "sample": "the time tra", "is_best": True, "checkpoint": "/ck/best-1.pt",
    }  # fmt: skip
    assert epochs[1]["is_best"] is False and epochs[1]["sample"] == "the time traveller"
    assert [e["epoch"] for e in db.epoch_metrics(run_id, after_epoch=1)] == [2]


def test_progress_is_visible_while_running(db):
    run_id = db.create_run(config())
    recorder = db.recorder(run_id, flush_seconds=3600)
    for n in range(1, 11):
        recorder(step(n))
    recorder(epoch_end(1, 10, 6.0, True, "/ck/e1.pt"))
    run = db.get_run(run_id)
    assert run.status == "running"
    assert (run.steps, run.epochs, run.best_val_ppl, run.final_val_ppl) == (10, 1, 6.0, 6.0)
    assert run.best_checkpoint == "/ck/e1.pt" and run.checkpoint == "/ck/e1.pt"
    assert run.seconds == 5.0 and run.tokens_per_s == 1010.0


def test_steps_are_batched_until_a_flush(db):
    run_id = db.create_run(config())
    recorder = db.recorder(run_id, flush_every=100, flush_seconds=3600)
    with RunStore(db.url) as other:
        for n in range(1, 100):
            recorder(step(n))
        assert other.step_metrics(run_id) == []  # 99 buffered steps: nothing written yet
        recorder(step(100))  # the 100th step flushes
        assert len(other.step_metrics(run_id)) == 100
        recorder(step(101))
        assert len(other.step_metrics(run_id)) == 100
        recorder.flush()
        assert [s["step"] for s in other.step_metrics(run_id, after_step=99)] == [100, 101]


def test_steps_flush_after_time(db):
    now = [0.0]
    run_id = db.create_run(config())
    recorder = db.recorder(run_id, flush_every=1000, flush_seconds=1.0, clock=lambda: now[0])
    recorder(step(1))
    recorder(step(2))
    assert db.step_metrics(run_id) == []
    now[0] = 1.5
    recorder(step(3))
    assert [s["step"] for s in db.step_metrics(run_id)] == [1, 2, 3]


def test_resumed_run_replaces_steps_after_the_checkpoint(db):
    cfg = config()
    run_id = db.create_run(cfg)
    recorder = db.recorder(run_id)
    recorder(run_start(cfg))
    for n in range(1, 31):
        recorder(step(n, epoch=1 + (n - 1) // 10))
        if n % 10 == 0:
            recorder(epoch_end(n // 10, n, 6.0 - n / 10, True))
    recorder.flush()
    db.finish_run(run_id, "stopped", "stopped by user")
    # resume from the checkpoint at step 20: rows after it are replaced
    recorder = db.recorder(run_id)
    recorder(run_start(cfg, start_step=20))
    assert db.get_run(run_id).status == "running"
    assert db.get_run(run_id).best_val_ppl == 3.0
    assert db.step_metrics(run_id)[-1]["step"] == 20
    assert [e["epoch"] for e in db.epoch_metrics(run_id)] == [1, 2]
    recorder(StepEnd(21, 3, 9.0, 9.0, 0.01, 1.0, 1, 1.0))
    recorder.flush()
    steps = db.step_metrics(run_id)
    assert len(steps) == 21 and steps[-1]["loss"] == 9.0


def test_finish_and_status_checks(db):
    run_id = db.create_run(config())
    with pytest.raises(StoreError, match="unknown run status 'done'"):
        db.finish_run(run_id, "done")
    db.finish_run(run_id, "diverged", "loss is nan", steps=7, epoch=1)
    run = db.get_run(run_id)
    assert (run.status, run.message, run.steps, run.epochs) == ("diverged", "loss is nan", 7, 1)
    db.set_status(run_id, "running")
    run = db.get_run(run_id)
    assert (run.status, run.ended, run.message) == ("running", None, "")
    db.update_run(run_id, device="cuda:0", params=77, checkpoint="/a.pt")
    run = db.get_run(run_id)
    assert (run.device, run.params, run.checkpoint) == ("cuda:0", 77, "/a.pt")
    with pytest.raises(ValueError):
        db.update_run(run_id, id=3)


def test_rename_tags_list_filter(db):
    a = db.create_run(config(cell="lstm", corpus="/texts/shakespeare.txt"))
    b = db.create_run(config(cell="gru"))
    c = db.create_run(config(cell="rnn"))
    db.rename(b, "My Baseline")
    db.set_tags(c, ["keep", " paper ", "keep", ""])
    db.finish_run(a, "finished")
    assert db.get_run(b).name == "My Baseline"
    assert db.get_run(c).tags == ["keep", "paper"]
    assert [r.id for r in db.list_runs()] == [c, b, a]  # newest first
    assert [r.id for r in db.list_runs("baseline")] == [b]
    assert [r.id for r in db.list_runs("PAPER")] == [c]
    assert [r.id for r in db.list_runs("finished")] == [a]
    assert [r.id for r in db.list_runs("lstm")] == [a]
    assert [r.id for r in db.list_runs("shakespeare")] == [a]
    assert [r.id for r in db.list_runs("time machine")] == [c, b]
    assert db.list_runs("nothing-like-this") == []
    with pytest.raises(StoreError, match="cannot be empty"):
        db.rename(a, "  ")


def test_delete_removes_rows_and_checkpoints(db):
    keep = db.create_run(config())
    gone = db.create_run(config())
    folder = db.run_dir(gone)
    (folder / "best.pt").write_bytes(b"weights")
    recorder = db.recorder(gone)
    recorder(step(1))
    recorder(epoch_end(1, 1, 5.0, True, str(folder / "best.pt")))
    db.finish_run(gone, "finished")
    db.delete_run(gone)
    assert not folder.exists()
    assert [r.id for r in db.list_runs()] == [keep]
    assert db.step_metrics(gone) == [] and db.epoch_metrics(gone) == []
    with pytest.raises(StoreError, match="no run with id"):
        db.get_run(gone)


def test_delete_refuses_a_live_run(db):
    run_id = db.create_run(config())  # running, written by this (live) process
    with pytest.raises(StoreError, match="is still running"):
        db.delete_run(run_id)


def test_sweeps(db):
    configs = [config(hidden=h) for h in (32, 64)]
    sweep = db.create_sweep("hidden sweep", configs)
    ids = [db.create_run(c, sweep_id=sweep, sweep_index=i) for i, c in enumerate(configs)]
    db.create_run(config())
    assert db.sweep_configs(sweep) == configs
    runs = db.sweep_runs(sweep)
    assert [(r.id, r.sweep_id, r.sweep_index) for r in runs] == [
        (ids[0], sweep, 0),
        (ids[1], sweep, 1),
    ]


def test_export_json_and_csv(db):
    run_id = db.create_run(config(cell="gru", hidden=48), name="exp")
    recorder = db.recorder(run_id)
    recorder(step(1))
    recorder(epoch_end(1, 1, 5.25, True, sample='a "quoted",\nsample'))
    recorder(step(2))
    recorder(epoch_end(2, 2, 5.5, False))
    db.finish_run(run_id, "finished", best_val_ppl=5.25)

    data = json.loads(db.export([run_id], "json"))
    assert len(data) == 1
    assert data[0]["run"]["name"] == "exp"
    assert data[0]["run"]["best_val_ppl"] == 5.25
    assert data[0]["run"]["config"]["hidden"] == 48
    assert [s["step"] for s in data[0]["steps"]] == [1, 2]
    assert data[0]["epochs"][0]["sample"] == 'a "quoted",\nsample'

    rows = list(csv.DictReader(io.StringIO(db.export([run_id], "csv"))))
    assert len(rows) == 2
    assert rows[0]["run_id"] == str(run_id) and rows[0]["run_name"] == "exp"
    assert (rows[0]["cell"], rows[0]["hidden"], rows[0]["corpus"]) == ("gru", "48", "")
    assert (rows[0]["epoch"], rows[0]["val_ppl"], rows[0]["is_best"]) == ("1", "5.25", "1")
    assert (rows[1]["epoch"], rows[1]["val_ppl"], rows[1]["is_best"]) == ("2", "5.5", "0")
    assert "sample" not in rows[0]
    with pytest.raises(StoreError, match="unknown export format 'xml'"):
        db.export([run_id], "xml")


def test_summary_rows_marks_best(db):
    ids = [db.create_run(config(hidden=h, lr=0.01)) for h in (32, 64, 128)]
    db.finish_run(ids[0], "finished", best_val_ppl=6.0)
    db.finish_run(ids[1], "finished", best_val_ppl=4.5)
    runs = [db.get_run(i) for i in ids]
    varied, rows, best = summary_rows(runs)
    assert varied == ["hidden"]
    assert best == 1
    assert [r["best"] for r in rows] == [False, True, False]
    assert rows[0]["config"] == {"hidden": 32}
    assert rows[2]["best_val_ppl"] is None
    assert summary_rows([]) == ([], [], None)
    varied, rows, best = summary_rows(runs[2:])
    assert (varied, rows[0]["config"], rows[0]["best"], best) == ([], {}, False, None)


def test_threads_share_a_store(db):
    run_id = db.create_run(config())
    recorder = db.recorder(run_id, flush_every=10)
    errors = []

    def train():
        try:
            for n in range(1, 501):
                recorder(step(n))
            recorder.flush()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=train)
    worker.start()
    seen = 0
    while worker.is_alive():
        rows = db.step_metrics(run_id, after_step=seen)
        if rows:
            seen = rows[-1]["step"]
        db.list_runs()
    worker.join()
    assert errors == []
    assert len(db.step_metrics(run_id)) == 500


# --------------------------------------------------------------------------- processes

_KILLED_CHILD = textwrap.dedent(
    """
    import sys, time
    from rnn_tui.training.events import StepEnd
    from rnn_tui.store import RunStore
    store = RunStore()  # $RNN_TUI_STORE: no password on a command line
    run_id = store.create_run({"cell": "lstm", "layers": 1, "hidden": 8})
    recorder = store.recorder(run_id, flush_every=50, flush_seconds=3600)
    for n in range(1, 151):
        recorder(StepEnd(n, 1, 1.0, float(n), 0.01, 10.0, n, n / 10))
    for n in range(151, 171):  # buffered, never flushed
        recorder(StepEnd(n, 1, 1.0, float(n), 0.01, 10.0, n, n / 10))
    print(run_id, flush=True)
    time.sleep(60)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkilled_run_is_marked_interrupted(store_url):
    path = store_url
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CHILD],
        stdout=subprocess.PIPE, text=True, env={**child_env(), "RNN_TUI_STORE": path},
    )  # fmt: skip
    reader = RunStore(path)  # a long-lived reader, like the Runs screen's
    try:
        run_id = int(child.stdout.readline())
        with RunStore(path) as store:  # the writer is alive: still running
            assert store.get_run(run_id).status == "running"
        assert reader.recover() == 0
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
        # Reads show it interrupted at once; recover() writes it (a reader never writes).
        assert reader.get_run(run_id).status == "interrupted"
        assert reader.recover() == 1
        assert reader.get_run(run_id).status == "interrupted"
        assert reader.recover() == 0
    finally:
        reader.close()
        if child.poll() is None:  # pragma: no cover
            child.kill()
            child.wait()
        child.stdout.close()
    with RunStore(path) as store:
        run = store.get_run(run_id)
        assert run.status == "interrupted"
        assert run.message == INTERRUPTED_MESSAGE == "process died; data kept up to the last flush"
        assert run.ended is not None
        assert run.steps == 150
        steps = store.step_metrics(run_id)
        assert [s["step"] for s in steps] == list(range(1, 151))
        assert steps[-1]["ppl"] == 150.0


_WRITER_CHILD = textwrap.dedent(
    """
    import sys
    from rnn_tui.training.events import EpochEnd, StepEnd
    from rnn_tui.store import RunStore
    with RunStore() as store:  # $RNN_TUI_STORE
        run_id = store.create_run({"cell": "gru", "layers": 1, "hidden": 8}, name="writer")
        recorder = store.recorder(run_id, flush_seconds=3600)
        for epoch in range(1, 4):
            for n in range((epoch - 1) * 10 + 1, epoch * 10 + 1):
                recorder(StepEnd(n, epoch, 1.0, 2.0, 0.01, 10.0, n, n / 10))
            recorder(EpochEnd(epoch, epoch * 10, 1.0, 2.0, 1.0, 3.0 - epoch / 10, 10.0,
                              epoch * 10, epoch, f"sample {epoch}", True, None))
            print(run_id, epoch, flush=True)
            sys.stdin.readline()  # wait until the reader has looked
        store.finish_run(run_id, "finished")
    """
)


def test_reader_sees_metrics_while_another_process_writes(store_url):
    path = store_url
    RunStore(path).close()
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER_CHILD],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**child_env(), "RNN_TUI_STORE": path},
    )  # fmt: skip
    try:
        with RunStore(path) as reader:
            for expected_epoch in range(1, 4):
                run_id, epoch = map(int, child.stdout.readline().split())
                assert epoch == expected_epoch
                run = reader.get_run(run_id)
                assert (run.status, run.epochs, run.steps) == ("running", epoch, epoch * 10)
                assert len(reader.step_metrics(run_id)) == epoch * 10
                assert reader.epoch_metrics(run_id)[-1]["sample"] == f"sample {epoch}"
                child.stdin.write("go\n")
                child.stdin.flush()
            assert child.wait(timeout=10) == 0
            assert reader.get_run(run_id).status == "finished"
    finally:
        if child.poll() is None:  # pragma: no cover
            child.kill()
            child.wait()
        child.stdin.close()
        child.stdout.close()


def test_a_locked_store_keeps_rows_in_memory_and_retries(tmp_path):
    """Training goes on while another process holds the write lock; nothing is dropped."""
    path = tmp_path / "locked.sqlite3"
    store = RunStore(path, busy_timeout=0.05)
    run_id = store.create_run(config())
    now = [0.0]
    gave_up = []
    recorder = store.recorder(
        run_id, flush_every=5, clock=lambda: now[0], retry_for=60.0, on_give_up=gave_up.append
    )
    recorder(run_start(config()))
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    for n in range(1, 51):
        now[0] = n * 0.5  # 25 s of training under the lock
        recorder(step(n))
    assert store.step_metrics(run_id) == [] and len(recorder._steps) == 50
    assert (gave_up, recorder.error) == ([], None)
    locker.execute("COMMIT")
    now[0] = 40.0
    recorder(step(51))
    assert [row["step"] for row in store.step_metrics(run_id)] == list(range(1, 52))
    for n in range(52, 60):
        recorder(step(n))
    locker.execute("BEGIN IMMEDIATE")
    now[0] = 200.0
    recorder(step(60))  # the first failure of this outage
    assert gave_up == []
    now[0] = 261.0  # past the retry window: give up once, with one line
    recorder(step(61))
    recorder(step(62))
    assert len(gave_up) == 1 and recorder.error == gave_up[0]
    assert "is locked by another process" in recorder.error and "\n" not in recorder.error
    assert len(store.step_metrics(run_id)) == 56  # written before this outage
    assert [row[1] for row in recorder._steps] == list(range(57, 63))  # the rest: in memory
    recorder(RunEnd("stopped", "stopped at step 62", 62, 1, None, None, 1.0, 1.0, None, None))
    locker.execute("ROLLBACK")
    locker.close()
    store.close()
