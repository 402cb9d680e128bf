"""A store's schema version: read, checked, and brought to this code's by creating or
upgrading the store.

Only a store opened for writing is created or upgraded; an upgrade first copies the SQLite
file beside itself (`runs.sqlite3.v1.backup`), then runs in one transaction, so a store is
either all old or all new. A store written by a newer rnn-tui, or a database holding someone
else's tables, is refused in one line.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData
from sqlalchemy.schema import CreateIndex, CreateTable

from rnn_tui.errors import StoreError
from rnn_tui.store import schema

if TYPE_CHECKING:
    import sqlalchemy

    from rnn_tui.store.connection import Database, Transaction

# Any number: the PostgreSQL advisory lock that two processes creating one store queue on.
_CREATE_LOCK = 0x726E6E747569  # "rnntui"

# The runs columns of versions 1 and 2, all kept by version 3.
V1_RUN_COLUMNS = (
    "id", "name", "status", "config", "tags", "created", "ended", "device", "torch_version",
    "params", "pid", "pid_start", "hostname", "sweep_id", "sweep_index", "message",
    "best_val_ppl", "final_train_ppl", "final_val_ppl", "tokens_per_s", "steps", "epochs",
    "seconds", "checkpoint", "best_checkpoint",
)  # fmt: skip


def open_store(db: Database) -> int:
    """The store's version once open: this code's, or (read-only) what it was."""
    with db._connection() as conn:
        version, tables = read_version(db, conn)
    check_version(db, version, tables)
    if version == schema.SCHEMA_VERSION or db.readonly:
        return version
    if version == 0:
        _create(db)
    else:
        _upgrade(db, version)
    return schema.SCHEMA_VERSION


def read_version(db: Database, conn: sqlalchemy.Connection) -> tuple[int, list[str]]:
    """(schema version, the database's tables); version 0 for a store not created yet."""
    if not db.url.is_postgres:
        raw = conn.connection.driver_connection
        version = int(raw.execute("PRAGMA user_version").fetchone()[0])
        rows = raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return version, [r[0] for r in rows if not str(r[0]).startswith("sqlite_")]
    tables = [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    ]
    if schema.META_TABLE not in tables:
        return 0, tables
    value = conn.exec_driver_sql(
        f"SELECT value FROM {schema.META_TABLE} WHERE key = 'schema_version'"
    ).scalar()
    try:
        return int(value), tables
    except (TypeError, ValueError):
        raise StoreError(
            f"{db.where} is not an rnn-tui store: its {schema.META_TABLE} table has no "
            "schema version"
        ) from None


def check_version(db: Database, version: int, tables: list[str]) -> None:
    if version > schema.SCHEMA_VERSION:
        raise StoreError(
            f"{db.where} has schema version {version}, written by a newer rnn-tui (this one "
            f"knows up to {schema.SCHEMA_VERSION}); upgrade rnn-tui to use it"
        )
    if version < 0:
        raise StoreError(f"{db.where} is not an rnn-tui store (schema version {version})")
    if version == 0:
        others = sorted(set(tables) - schema.OPTUNA_TABLES)
        if others:
            raise StoreError(
                f"{db.where} is not an rnn-tui store: it holds other tables "
                f"({', '.join(others[:4])}{', ...' if len(others) > 4 else ''}); "
                "give rnn-tui a database of its own"
            )


def set_version(db: Database, tx: Transaction, version: int) -> None:
    tx.execute(
        f"INSERT INTO {schema.META_TABLE} (key, value) VALUES ('schema_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(int(version)),),
    )
    if not db.url.is_postgres:  # what version 1 read, so that it refuses this store
        tx.execute(f"PRAGMA user_version = {int(version)}")


def _create(db: Database) -> None:
    with db._write() as tx:
        if db.url.is_postgres:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (_CREATE_LOCK,))
        # Read again under the lock: another process may have created it meanwhile.
        version, tables = read_version(db, tx.connection)
        check_version(db, version, tables)
        if version == schema.SCHEMA_VERSION:
            return
        schema.metadata.create_all(tx.connection)
        set_version(db, tx, schema.SCHEMA_VERSION)


def _upgrade(db: Database, version: int) -> None:
    if db.url.is_postgres or db.path is None:  # no PostgreSQL store older than version 2
        raise StoreError(f"{db.where} has schema version {version}, which rnn-tui cannot upgrade")
    with db._lock, db._connection() as conn:
        raw = conn.connection.driver_connection
        # Rebuilding a table that others reference needs foreign keys off, and that pragma
        # is a no-op inside a transaction.
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with db._write() as tx:
                version, _tables = read_version(db, tx.connection)  # under the write lock
                if version == schema.SCHEMA_VERSION:
                    return
                backup_copy(db.path, version)
                UPGRADES[version](tx)
                problems = raw.execute("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise StoreError(f"{db.where}: upgrade left {len(problems)} broken references")
                set_version(db, tx, schema.SCHEMA_VERSION)
        finally:
            with contextlib.suppress(sqlite3.Error):
                raw.execute("PRAGMA foreign_keys = ON")


def backup_copy(path: Path, version: int) -> Path:
    """A consistent copy of the SQLite store beside it, written whole or not at all.

    Called under the upgrade's write lock, which holds other writers off; the copy reads
    through a connection of its own (a WAL reader is never blocked by the lock, while a
    backup through the locking connection itself waits forever)."""
    target = path.with_name(f"{path.name}.v{version}.backup")
    if target.exists():
        target = path.with_name(f"{path.name}.v{version}.{int(time.time())}.backup")
    partial = target.with_name(target.name + ".partial")
    try:
        with (
            contextlib.closing(sqlite3.connect(path, timeout=1.0)) as source,
            contextlib.closing(sqlite3.connect(partial)) as copy,
        ):
            source.backup(copy)
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise StoreError(
            f"run database {path} was not upgraded: its backup copy {target} could not be "
            f"written ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    return target


def _sqlite_to_3(tx: Transaction) -> None:
    """Version 1 or 2 to 3: rebuild `runs` (SQLite cannot drop a CHECK or add columns in
    place), then add the meta table. The documented order: new table, copy, drop, rename."""
    copies = MetaData()
    schema.sweeps.to_metadata(copies)  # what runs' foreign key names
    new_runs = schema.runs.to_metadata(copies, name="runs_new")
    for column in new_runs.columns:
        # An older store may hold rows its schema let in (or a hand let in) that break a
        # NOT NULL: the upgrade keeps every row as it is; the row reader judges them.
        if not column.primary_key:
            column.nullable = True
    for index in ("runs_status", "runs_sweep"):
        tx.execute(f"DROP INDEX IF EXISTS {index}")
    tx.execute(CreateTable(new_runs))
    columns = ", ".join(V1_RUN_COLUMNS)
    tx.execute(f"INSERT INTO runs_new ({columns}) SELECT {columns} FROM runs")
    sequence: Any = tx.execute("SELECT seq FROM sqlite_sequence WHERE name = 'runs'").scalar()
    tx.execute("DROP TABLE runs")
    tx.execute("ALTER TABLE runs_new RENAME TO runs")
    if sequence is not None:  # ids of deleted runs stay unused
        tx.execute("DELETE FROM sqlite_sequence WHERE name = 'runs' AND seq < ?", (sequence,))
        tx.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'runs', ? "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'runs')",
            (sequence,),
        )
    for index in schema.runs.indexes:
        tx.execute(CreateIndex(index))
    tx.execute(CreateTable(schema.meta))


# UPGRADES[v] brings a store from version v to this code's. Never edit a released one; a later
# version changes each of them to go on from where it ends.
UPGRADES = {1: _sqlite_to_3, 2: _sqlite_to_3}
