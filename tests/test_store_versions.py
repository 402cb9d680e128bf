"""Store versions and faults: a version-1 SQLite store upgraded in place after a backup copy,
read-only opens that never write, and the PostgreSQL faults (unreachable, wrong password,
someone else's database, a newer store), each one line without the password."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest
from store_v1 import create_v1_store

from rnn_tui.errors import StoreError
from rnn_tui.store import RunStore, schema_version
from rnn_tui.training.events import EpochEnd, RunEnd, RunStart, StepEnd


def _fill_v1(path):
    """Two runs, a sweep, metrics and a deleted run, written with version 1's SQL."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("INSERT INTO sweeps (name, created, configs) VALUES ('s', 1.0, '[{}]')")
        for run_id, status in ((1, "finished"), (2, "stopped"), (3, "finished")):
            conn.execute(
                "INSERT INTO runs (id, name, status, config, created, hostname, sweep_id, "
                "sweep_index, best_val_ppl, steps, tags) "
                "VALUES (?, ?, ?, '{\"cell\": \"gru\"}', ?, 'h', 1, ?, 4.5, 20, '[\"x\"]')",
                (run_id, f"run{run_id}", status, float(run_id), run_id),
            )
            for step in range(1, 21):
                conn.execute(
                    "INSERT INTO step_metrics VALUES (?, ?, 1, 1.0, 2.0, 0.1, 10, 0.5, 100.0)",
                    (run_id, step),
                )
            conn.execute(
                "INSERT INTO epoch_metrics (run_id, epoch, step, val_ppl, sample, is_best) "
                "VALUES (?, 1, 20, 4.5, 'text', 1)",
                (run_id,),
            )
        conn.execute("DELETE FROM runs WHERE id = 3")  # its metrics go with it (cascade)


def test_a_version_1_store_is_upgraded_in_place_after_a_backup(tmp_path):
    path = tmp_path / "runs.sqlite3"
    create_v1_store(path)
    _fill_v1(path)
    before = path.read_bytes()
    with RunStore(path, readonly=True) as reader:  # reading never writes: no upgrade
        assert reader.user_version() == 1
        assert [(r.id, r.name, r.status) for r in reader.list_runs()] == [
            (2, "run2", "stopped"), (1, "run1", "finished")
        ]  # fmt: skip
        assert len(reader.step_metrics(1)) == 20
    assert not list(tmp_path.glob("*.backup"))
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    with RunStore(path) as store:  # a writer upgrades
        assert store.user_version() == schema_version() == 3
        runs = store.list_runs()
        assert [(r.id, r.name, r.status, r.tags, r.sweep_id) for r in runs] == [
            (2, "run2", "stopped", ["x"], 1), (1, "run1", "finished", ["x"], 1)
        ]  # fmt: skip
        assert [row["step"] for row in store.step_metrics(1)] == list(range(1, 21))
        assert store.epoch_metrics(2)[0]["is_best"] is True
        assert store.sweep_configs(1) == [{}]
        new_id = store.create_run({"cell": "lstm"}, name="new")
        assert new_id == 4  # id 3 was deleted: AUTOINCREMENT never reuses it
        store.update_run(new_id, status="finished")
        store.delete_run(1)  # foreign keys still cascade after the rebuild
        assert store.step_metrics(1) == []
    backups = list(tmp_path.glob("*.backup"))
    assert [b.name for b in backups] == ["runs.sqlite3.v1.backup"]
    with contextlib.closing(sqlite3.connect(backups[0])) as copy:  # the old store, whole
        assert copy.execute("PRAGMA user_version").fetchone()[0] == 1
        assert copy.execute("SELECT count(*) FROM step_metrics").fetchone()[0] == 40
        sql = copy.execute("SELECT sql FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
        assert "CHECK (status IN" in sql
    assert len(before) > 0
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"runs_status", "runs_sweep"} <= names


def test_a_failed_upgrade_leaves_the_old_store_whole(tmp_path, monkeypatch):
    from rnn_tui.store import migrate

    path = tmp_path / "runs.sqlite3"
    create_v1_store(path)
    _fill_v1(path)

    def broken(tx):
        migrate._sqlite_to_3(tx)
        raise StoreError("simulated failure half way")

    monkeypatch.setitem(migrate.UPGRADES, 1, broken)
    with pytest.raises(StoreError, match="simulated failure"):
        RunStore(path)
    with contextlib.closing(sqlite3.connect(path)) as conn:  # rolled back: version 1, whole
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "runs_new" not in tables and "rnn_tui_meta" not in tables
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    monkeypatch.undo()
    with RunStore(path) as store:
        assert store.user_version() == 3 and len(store.list_runs()) == 2


def test_a_reader_never_creates_a_store(tmp_path, pg_url):
    path = tmp_path / "none" / "runs.sqlite3"
    with RunStore(path, readonly=True) as reader:
        assert reader.list_runs() == [] and reader.user_version() == 0
        with pytest.raises(StoreError, match="^no run with id 1$"):
            reader.get_run(1)
    assert not path.exists() and not path.parent.exists()
    with RunStore(pg_url, readonly=True) as reader:
        assert reader.list_runs() == []
    with RunStore(pg_url) as store:  # nothing was created by the reader: a writer creates
        assert store.user_version() == 3


def _one_line(info, *hidden):
    message = str(info.value)
    assert "\n" not in message
    for secret in hidden:
        assert secret not in message
    return message


def test_postgres_faults_are_one_line_each(pg_server, pg_url):
    from pg_server import PASSWORD, free_port

    port = free_port()  # nobody listens there
    with pytest.raises(StoreError) as info:
        RunStore(f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/x")
    message = _one_line(info, PASSWORD)
    assert message.startswith(
        f"run store postgresql+psycopg://postgres@127.0.0.1:{port}/x cannot be reached"
    )

    wrong = pg_url.replace(PASSWORD, "not-the-password")
    with pytest.raises(StoreError) as info:
        RunStore(wrong)
    message = _one_line(info, "not-the-password", PASSWORD)
    assert "PostgreSQL refused the login of user postgres (wrong or no password;" in message

    with pytest.raises(StoreError) as info:
        RunStore(pg_server.url("no_such_db"))
    assert "the database no_such_db does not exist" in _one_line(info, PASSWORD)

    foreign = pg_server.new_database("foreign")
    pg_server.admin("CREATE TABLE runs (id int, what text)", "CREATE TABLE users (x int)",
                    database=foreign)  # fmt: skip
    with pytest.raises(StoreError) as info:
        RunStore(pg_server.url(foreign))
    assert _one_line(info, PASSWORD).endswith(
        "is not an rnn-tui store: it holds other tables (runs, users); "
        "give rnn-tui a database of its own"
    )

    with RunStore(pg_url) as store:
        store.create_run({"cell": "gru"})
    pg_server.admin("UPDATE rnn_tui_meta SET value = '9'", database=pg_url.rsplit("/", 1)[1])
    for readonly in (False, True):
        with pytest.raises(StoreError) as info:
            RunStore(pg_url, readonly=readonly)
        assert "has schema version 9, written by a newer rnn-tui" in _one_line(info, PASSWORD)


def test_optuna_tables_do_not_make_a_database_foreign(pg_server):
    name = pg_server.new_database("study")
    pg_server.admin("CREATE TABLE studies (study_id int)", "CREATE TABLE version_info (v int)",
                    database=name)  # fmt: skip
    with RunStore(pg_server.url(name)) as store:
        assert store.user_version() == 3


def _events(store, run_id):
    rec = store.recorder(run_id, heartbeat=False)
    rec(RunStart({"cell": "gru"}, "cpu", 10, 28, 100, 10, 5, 10, 0, None))
    for n in range(1, 11):
        rec(StepEnd(n, 1, 1.0, 2.0, 0.1, 100.0, n * 10, n * 0.1))
    rec(EpochEnd(1, 10, 1.0, 2.7, 1.1, 3.0, 100.0, 100, 1.0, "s", True, None))
    rec(RunEnd("finished", "", 10, 1, 3.0, 2.7, 100.0, 1.0, None, None))


def test_two_stores_never_mix_run_folders(tmp_path, pg_url):
    with RunStore(tmp_path / "data" / "runs.sqlite3") as lite, RunStore(pg_url) as pg:
        assert lite.run_dir_path(1) != pg.run_dir_path(1)
        assert pg.run_dir_path(1).is_relative_to(tmp_path / "data" / "postgresql")
        for store in (lite, pg):
            run_id = store.create_run({"cell": "gru"})
            _events(store, run_id)
            assert store.get_run(run_id).status == "finished"
            assert len(store.step_metrics(run_id)) == 10


def test_store_faults_through_the_cli_and_the_tui(pg_server, pg_url, tmp_path):
    """Each fault is one line and exit code 2, for a command and for the TUI."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from pg_server import PASSWORD, free_port

    foreign = pg_server.new_database("foreign")
    pg_server.admin("CREATE TABLE runs (id int)", database=foreign)
    with RunStore(pg_url) as store:
        store.create_run({"cell": "gru"})
    pg_server.admin("UPDATE rnn_tui_meta SET value = '9'", database=pg_url.rsplit("/", 1)[1])
    cases = {
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free_port()}/x": "cannot be reached",
        pg_url.replace(PASSWORD, "wrong-pw"): "refused the login of user postgres",
        pg_server.url(foreign): "is not an rnn-tui store",
        pg_url: "written by a newer rnn-tui",
    }
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for url, words in cases.items():
        for argv in (["--store", url, "runs", "list"], ["--store", url]):
            result = subprocess.run(
                [sys.executable, "-m", "rnn_tui", *argv], env=env, capture_output=True,
                text=True, timeout=60, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            lines = result.stderr.splitlines()
            assert (result.returncode, len(lines)) == (2, 1), (argv, result.stderr)
            assert words in lines[0] and lines[0].startswith("rnn-tui: error: run store ")
            assert PASSWORD not in lines[0] and "wrong-pw" not in lines[0]
