"""The connection to the run store, SQLite or PostgreSQL, through one SQLAlchemy engine:
its version check and upgrade, its transactions, and every driver error turned into one
StoreError line that names the store (never its password).

SQLite: WAL mode lets a reader (the TUI, `rnn-tui runs`) see a run's metrics while another
process writes them; one connection (`check_same_thread=False`) serves every thread, and a
write transaction is `BEGIN IMMEDIATE` so it waits for the lock up front. PostgreSQL: a small
pool whose connections are checked before use, so a store whose server restarted reconnects
on the next transaction. Every statement runs under one lock, so the TUI may record from a
worker thread and read from the UI thread through the same store.

A store opened `readonly` never writes: an older store is read as it is, a missing one reads
as empty, and neither is upgraded or created.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from rnn_tui.errors import StoreError
from rnn_tui.store import migrate, schema
from rnn_tui.store.errors import store_error
from rnn_tui.store.url import StoreURL, resolve_store_url

BUSY_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 5  # PostgreSQL: an unreachable server is one line after this, not a hang

_Opened = TypeVar("_Opened", bound="Database")


class Transaction:
    """What `_read` and `_write` yield: statements run on the store's connection.

    A statement is a SQLAlchemy Core construct or SQL text with `?` placeholders (SQLite's
    style; rewritten for psycopg), so one SQL text serves both backends.
    """

    def __init__(self, connection: sqlalchemy.Connection, postgres: bool):
        self.connection = connection
        self._postgres = postgres

    def execute(self, statement: Any, params: Any = ()) -> Any:
        if isinstance(statement, str):
            return self.connection.exec_driver_sql(
                _driver_sql(statement, self._postgres), tuple(params)
            )
        return self.connection.execute(statement, params or None)

    def executemany(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.connection.exec_driver_sql(_driver_sql(statement, self._postgres), list(rows))


@lru_cache(maxsize=256)
def _driver_sql(text: str, postgres: bool) -> str:
    return text.replace("%", "%%").replace("?", "%s") if postgres else text


class _NoRows:
    """The result of any read on a store that does not exist yet (opened read-only)."""

    rowcount = 0

    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list[Any]:
        return []

    def scalar(self) -> None:
        return None

    def mappings(self) -> _NoRows:
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(())


class _EmptyStore:
    def execute(self, statement: Any, params: Any = ()) -> _NoRows:
        return _NoRows()


class Database:
    """An open run store at this code's schema version (or older, read-only)."""

    def __init__(
        self,
        location: StoreURL | Path | str | None = None,
        *,
        busy_timeout: float = BUSY_TIMEOUT_S,
        readonly: bool = False,
    ):
        self.url = resolve_store_url(location)
        self.path: Path | None = self.url.path
        self.readonly = readonly
        self.version = 0
        self._lock = threading.RLock()
        self._engine: sqlalchemy.Engine | None = None
        self._closed = False
        self._busy_timeout = busy_timeout
        if self.path is not None and not self._prepare_file(self.path):
            self._opened()  # read-only and no file yet: an empty store
            return
        try:
            with self._errors():
                self._engine = self._create_engine()
                self.version = migrate.open_store(self)
                if self.path is not None and not readonly:
                    self._use_wal()
            self._opened()
        except BaseException:
            self.close()
            raise

    @property
    def location(self) -> str:
        """The store as shown to a person: the SQLite file, or the URL with no password."""
        return self.url.display

    @property
    def where(self) -> str:
        return (
            f"run database {self.path}" if self.path is not None else f"run store {self.location}"
        )

    def _prepare_file(self, path: Path) -> bool:
        """Check the SQLite file's place; False when read-only and there is no file yet."""
        if path.is_dir():
            raise StoreError(f"run database {path} is a directory, not a database file")
        if self.readonly and not path.exists():
            return False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder of run database {path}: {exc.strerror or exc}"
            ) from None
        return True

    def _create_engine(self) -> sqlalchemy.Engine:
        url = self.url.sqlalchemy_url()
        if self.path is not None:
            engine = sqlalchemy.create_engine(
                url,
                poolclass=StaticPool,  # one connection, shared by threads under self._lock
                hide_parameters=True,
                connect_args={
                    "timeout": self._busy_timeout,
                    "isolation_level": None,  # autocommit; write transactions are explicit
                    "check_same_thread": False,
                },
            )
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return sqlalchemy.create_engine(
            url,
            pool_size=2,
            max_overflow=2,
            pool_pre_ping=True,  # a server that restarted: reconnect, do not fail
            hide_parameters=True,  # no row values (or anything else) in an error's text
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "rnn-tui"},
        )

    def _use_wal(self) -> None:
        with self._lock, self._errors(), self._connection() as conn:
            raw = conn.connection.driver_connection
            mode = raw.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"run database {self.path} cannot use WAL mode (journal mode {mode})")

    def _opened(self) -> None:
        """What a subclass does once the store is open and at this code's version."""

    # -- plumbing

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._engine is not None:
                with contextlib.suppress(Exception):
                    self._engine.dispose()
                self._engine = None

    def __enter__(self: _Opened) -> _Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        with contextlib.suppress(Exception):
            self.close()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn every driver error into one StoreError line that names the store."""
        try:
            yield
        except StoreError:
            raise
        except (sqlalchemy.exc.SQLAlchemyError, sqlite3.Error) as exc:
            raise store_error(self, exc) from exc

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlalchemy.Connection]:
        if self._closed:
            raise StoreError(f"{self.where} is closed")
        assert self._engine is not None
        with self._engine.connect() as conn:
            yield conn

    @property
    def _postgres(self) -> bool:
        return self.url.is_postgres

    @contextlib.contextmanager
    def _read(self) -> Iterator[Any]:
        with self._lock, self._errors():
            if self.version == 0 and not self._closed:  # read-only, not created yet
                yield _EmptyStore()
                return
            with self._connection() as conn:
                yield Transaction(conn, self._postgres)

    @contextlib.contextmanager
    def _write(self, busy_timeout: float | None = None) -> Iterator[Transaction]:
        """One write transaction: committed whole or rolled back whole.

        `busy_timeout` (seconds) overrides how long this one transaction waits for a lock.
        """
        if self.readonly:
            raise StoreError(f"{self.where} was opened read-only")
        with self._lock, self._errors(), self._connection() as conn:
            if self._postgres:
                with conn.begin():
                    if busy_timeout is not None:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(busy_timeout * 1000)}")
                    yield Transaction(conn, True)
                return
            raw = conn.connection.driver_connection
            if busy_timeout is not None:
                raw.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            try:
                raw.execute("BEGIN IMMEDIATE")
                try:
                    yield Transaction(conn, False)
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        raw.execute("ROLLBACK")
                    raise
                raw.execute("COMMIT")
            finally:
                if busy_timeout is not None:
                    with contextlib.suppress(sqlite3.Error):
                        raw.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")

    def now_sql(self) -> str:
        """SQL for the database's clock, in seconds since the epoch (hosts' clocks differ)."""
        if self._postgres:
            return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"
        return "((julianday('now') - 2440587.5) * 86400.0)"

    def db_now(self) -> float:
        """The database's clock now, in seconds since the epoch."""
        with self._read() as conn:
            value = conn.execute(f"SELECT {self.now_sql()}").scalar()
        if value is None:  # an empty store (read-only, not created yet): nobody's clock
            import time

            return time.time()
        return float(value)

    def user_version(self) -> int:
        """The schema version this store is at."""
        return self.version


def _text(data: bytes) -> str | bytes:
    """A TEXT value as str; its bytes when they are not UTF-8 (store.validate refuses them)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.text_factory = _text  # non-UTF-8 text reaches the row readers as bytes
    dbapi_connection.execute("PRAGMA foreign_keys = ON")
    dbapi_connection.execute("PRAGMA synchronous = FULL")


__all__ = ["BUSY_TIMEOUT_S", "Database", "Transaction", "schema"]
