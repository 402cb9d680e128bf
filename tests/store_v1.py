"""The run database as rnn-tui's first release (schema version 1, SQLite only) created it:
its statements copied verbatim, so the upgrade test starts from a real old store."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

V1_STATUSES = ("running", "finished", "stopped", "diverged", "interrupted", "error")

STATUS_CHECK = ", ".join(f"'{s}'" for s in V1_STATUSES)

V1_SCHEMA: list[tuple[str, ...]] = [
    (
        """CREATE TABLE sweeps (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            configs TEXT NOT NULL DEFAULT '[]'
        )""",
        f"""CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN ({STATUS_CHECK})),
            config TEXT NOT NULL DEFAULT '{{}}',
            tags TEXT NOT NULL DEFAULT '[]',
            created REAL NOT NULL,
            ended REAL,
            device TEXT NOT NULL DEFAULT '',
            torch_version TEXT NOT NULL DEFAULT '',
            params INTEGER NOT NULL DEFAULT 0,
            pid INTEGER,
            pid_start TEXT,
            hostname TEXT NOT NULL DEFAULT '',
            sweep_id INTEGER REFERENCES sweeps (id) ON DELETE SET NULL,
            sweep_index INTEGER,
            message TEXT NOT NULL DEFAULT '',
            best_val_ppl REAL,
            final_train_ppl REAL,
            final_val_ppl REAL,
            tokens_per_s REAL,
            steps INTEGER NOT NULL DEFAULT 0,
            epochs INTEGER NOT NULL DEFAULT 0,
            seconds REAL,
            checkpoint TEXT,
            best_checkpoint TEXT
        )""",
        "CREATE INDEX runs_status ON runs (status)",
        "CREATE INDEX runs_sweep ON runs (sweep_id, sweep_index)",
        """CREATE TABLE step_metrics (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            epoch INTEGER NOT NULL,
            loss REAL,
            ppl REAL,
            lr REAL,
            tokens INTEGER,
            elapsed REAL,
            tokens_per_s REAL,
            PRIMARY KEY (run_id, step)
        ) WITHOUT ROWID""",
        """CREATE TABLE epoch_metrics (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            epoch INTEGER NOT NULL,
            step INTEGER NOT NULL,
            train_loss REAL,
            train_ppl REAL,
            val_loss REAL,
            val_ppl REAL,
            tokens INTEGER,
            elapsed REAL,
            tokens_per_s REAL,
            sample TEXT NOT NULL DEFAULT '',
            is_best INTEGER NOT NULL DEFAULT 0,
            checkpoint TEXT,
            PRIMARY KEY (run_id, epoch)
        ) WITHOUT ROWID""",
    ),
]


def create_v1_store(path: Path) -> None:
    """A version-1 store as version 1's code made it: WAL, user_version 1, no rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("BEGIN IMMEDIATE")
        for statement in V1_SCHEMA[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")
