"""Store migration 2: a store of version 1 accepts the `pruned` status and keeps every row."""

from __future__ import annotations

import sqlite3

import pytest

from rnn_tui.store import RUN_STATUSES, RunStore, schema_version
from rnn_tui.store import schema as schema_module


def test_a_version_1_store_is_upgraded_to_take_pruned_runs(tmp_path, monkeypatch):
    path = tmp_path / "runs.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(schema_module, "MIGRATIONS", schema_module.MIGRATIONS[:1])
        with RunStore(path) as store:
            run_id = store.create_run({"cell": "rnn"}, name="old")
            with store._write() as conn:
                conn.execute(
                    "INSERT INTO epoch_metrics (run_id, epoch, step, val_ppl) VALUES (?, 1, 9, 5)",
                    (run_id,),
                )
    raw = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        raw.execute("UPDATE runs SET status = 'pruned'")  # version 1 refuses it
    raw.close()
    with RunStore(path) as store:
        assert store.user_version() == schema_version() == 2
        store.update_run(run_id, status="pruned", message="pruned: val ppl 5.000")
        run = store.get_run(run_id)
        assert (run.name, run.status) == ("old", "pruned")
        assert [row["val_ppl"] for row in store.epoch_metrics(run_id)] == [5.0]  # kept
    raw = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        raw.execute("UPDATE runs SET status = 'nonsense'")  # the CHECK still holds the rest
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    assert "pruned" in RUN_STATUSES
