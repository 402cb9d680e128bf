"""The run database as rnn-tui's first release (schema version 1, SQLite only) created it,
from its statements frozen in rnn_tui.store.legacy, so the upgrade test starts from a real
old store."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from rnn_tui.store.legacy import MIGRATIONS

# Version 1's statements, as frozen in the store's own record of older schemas.
V1_SCHEMA = MIGRATIONS[:1]


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
