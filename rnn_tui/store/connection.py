"""One SQLite connection to the run database: WAL mode, migrations, transactions, and every
sqlite3 error turned into one StoreError line that names the database.

WAL mode lets a reader (the TUI, `rnn-tui runs`) see a run's metrics while another process
writes them. A `Database` holds one connection (`check_same_thread=False`) and a lock that
every statement runs under, so the TUI may record from a worker thread and read from the UI
thread through the same store.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from rnn_tui.errors import StoreError, StoreFull
from rnn_tui.store import schema
from rnn_tui.store.location import default_db_path

BUSY_TIMEOUT_S = 5.0

_Opened = TypeVar("_Opened", bound="Database")


def _text(data: bytes) -> str | bytes:
    """A TEXT value as str; its bytes when they are not UTF-8 (store.validate refuses them)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


class Database:
    """An open run database, migrated to this code's schema."""

    def __init__(self, path: Path | str | None = None, *, busy_timeout: float = BUSY_TIMEOUT_S):
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._busy_timeout = busy_timeout
        if self.path.is_dir():
            raise StoreError(f"run database {self.path} is a directory, not a database file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder of run database {self.path}: {exc.strerror or exc}"
            ) from None
        with self._errors():
            self._conn = sqlite3.connect(
                str(self.path),
                timeout=busy_timeout,
                isolation_level=None,  # autocommit; transactions are explicit
                check_same_thread=False,
            )
        self._conn.row_factory = sqlite3.Row
        self._conn.text_factory = _text  # non-UTF-8 text reaches the row readers as bytes
        try:
            with self._errors():
                self._conn.execute("PRAGMA foreign_keys = ON")
                self._migrate()
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(
                        f"run database {self.path} cannot use WAL mode (journal mode {mode})"
                    )
                self._conn.execute("PRAGMA synchronous = FULL")
                self._opened()
        except BaseException:
            self.close()
            raise

    def _opened(self) -> None:
        """What a subclass does once the database is open and migrated."""

    # -- plumbing

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None

    def __enter__(self: _Opened) -> _Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        with contextlib.suppress(Exception):
            self.close()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn every sqlite3 error into one StoreError line that names the database."""
        try:
            yield
        except sqlite3.Error as exc:
            raise self._store_error(exc) from exc

    def _store_error(self, exc: sqlite3.Error) -> StoreError:
        text = str(exc)
        lower = text.lower()
        where = f"run database {self.path}"
        if "locked" in lower or "busy" in lower:
            return StoreError(f"{where} is locked by another process; try again when it is done")
        if "full" in lower:  # SQLITE_FULL: "database or disk is full"
            return StoreFull(f"{where} cannot grow: the disk is full ({text})")
        if "readonly" in lower or "read-only" in lower:
            return StoreError(f"{where} is read-only; check its permissions and its folder's")
        if "not a database" in lower or "malformed" in lower or "corrupt" in lower:
            return StoreError(f"{where} is not a readable rnn-tui database ({text})")
        if "unable to open" in lower:
            return StoreError(f"{where} cannot be opened; check the path and its permissions")
        if "closed database" in lower:
            return StoreError(f"{where} is closed")
        return StoreError(f"{where}: {text}")

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._errors():
            if self._conn is None:
                raise StoreError(f"run database {self.path} is closed")
            yield self._conn

    @contextlib.contextmanager
    def _write(self, busy_timeout: float | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed whole or rolled back whole.

        `busy_timeout` (seconds) overrides how long this one transaction waits for a lock.
        """
        with self._lock, self._errors():
            if self._conn is None:
                raise StoreError(f"run database {self.path} is closed")
            conn = self._conn
            if busy_timeout is not None:
                conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                if busy_timeout is not None:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")

    def _migrate(self) -> None:
        assert self._conn is not None
        migrations = schema.MIGRATIONS
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(migrations):
            raise StoreError(
                f"run database {self.path} has schema version {version}, newer than this "
                f"rnn-tui knows ({len(migrations)}); upgrade rnn-tui"
            )
        if version == len(migrations):
            return
        with self._write() as conn:
            # Read again under the write lock: another process may have migrated meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version + 1, len(migrations) + 1):
                for statement in migrations[number - 1]:
                    if callable(statement):  # a step SQL alone cannot say
                        statement(conn)
                    else:
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(number)}")

    def user_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
