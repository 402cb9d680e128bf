"""The SQLite schema of versions 1 and 2, frozen: what older stores hold.

Version 3 (schema.py) replaced these migrations with one SQLAlchemy definition for both
backends; `migrate` upgrades a store of version 1 or 2 from what these made. Tests build old
stores from them. Never edit: they are what released rnn-tui wrote.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

_STATUSES_1 = ("running", "finished", "stopped", "diverged", "interrupted", "error")

STATUS_CHECK = ", ".join(f"'{s}'" for s in _STATUSES_1)


def _allow_pruned(conn: sqlite3.Connection) -> None:
    """Add `pruned` to the runs table's status CHECK in place.

    SQLite cannot alter a CHECK; rebuilding the table would cascade-delete every run's
    metrics (foreign keys are on and cannot be switched off inside the migration's
    transaction). Widening a CHECK changes no stored row, which is the case SQLite documents
    for editing the schema text (https://sqlite.org/lang_altertable.html#otheralter).
    """
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' "
            "AND name = 'runs'",
            ("'error')", "'error', 'pruned')"),
        )
        conn.execute(f"PRAGMA schema_version = {int(version) + 1}")  # reload the schema
    finally:
        conn.execute("PRAGMA writable_schema = OFF")


Migration = tuple[str | Callable[[sqlite3.Connection], None], ...]

# Migration N (1-based) brings a database from user_version N-1 to N. Append only.
MIGRATIONS: list[Migration] = [
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
    # 2: a search's pruned trial ends with status `pruned`. (A store without a CHECK on
    # status needs no such step: the code checks statuses.)
    (_allow_pruned,),
]
