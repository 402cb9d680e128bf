"""Stores of versions 1 and 2 (SQLite, made by the frozen migrations) open upgraded to this
version, accept the `pruned` status and keep every row."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest

from rnn_tui.errors import StoreError
from rnn_tui.store import RUN_STATUSES, RunStore, schema_version
from rnn_tui.store.legacy import MIGRATIONS


def _legacy_store(path, version):
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        for migration in MIGRATIONS[:version]:
            for statement in migration:
                statement(conn) if callable(statement) else conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
        conn.execute(
            "INSERT INTO runs (name, status, config, created) VALUES ('old', 'finished', '{}', 1)"
        )
        conn.execute("INSERT INTO epoch_metrics (run_id, epoch, step, val_ppl) VALUES (1, 1, 9, 5)")
        if version == 1:
            with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
                conn.execute("UPDATE runs SET status = 'pruned'")  # version 1 refuses it


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_store_is_upgraded_to_take_pruned_runs(tmp_path, version):
    path = tmp_path / "runs.sqlite3"
    _legacy_store(path, version)
    with RunStore(path) as store:
        assert store.user_version() == schema_version() == 3
        store.update_run(1, status="pruned", message="pruned: val ppl 5.000")
        run = store.get_run(1)
        assert (run.name, run.status) == ("old", "pruned")
        assert [row["val_ppl"] for row in store.epoch_metrics(1)] == [5.0]  # kept
        with pytest.raises(StoreError, match="unknown run status 'nonsense'"):
            store.update_run(1, status="nonsense")  # the code checks statuses now
    assert (tmp_path / f"runs.sqlite3.v{version}.backup").is_file()
    with contextlib.closing(sqlite3.connect(path)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert "pruned" in RUN_STATUSES
