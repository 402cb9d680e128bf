"""Every error of SQLite, PostgreSQL or SQLAlchemy as one StoreError line that names the store.

The line names the store as shown to people (a file path, or the URL without its password)
and is masked again on the way out: a driver message never carries a password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnn_tui.errors import StoreError, StoreFull
from rnn_tui.store.url import mask_url

if TYPE_CHECKING:
    from rnn_tui.store.connection import Database

PASSWORD_HELP = "give it in the URL of $RNN_TUI_STORE, in PGPASSWORD or in ~/.pgpass"


def first_line(exc: BaseException) -> str:
    """The driver's own message, on one line (psycopg's span several)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip() or type(orig).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # SQLAlchemy appends "(Background on this error at: ...)"; libpq prefixes "connection failed:"
    lines = [line for line in lines if not line.startswith("(Background on this error")]
    return mask_url(" ".join(lines[:2]) if lines else type(orig).__name__)


def store_error(db: Database, exc: BaseException) -> StoreError:
    text = first_line(exc)
    lower = text.lower()
    # SQLITE_FULL ("database or disk is full"); PostgreSQL's "No space left on device"
    if ("full" in lower and not db.url.is_postgres) or "no space left" in lower:
        return StoreFull(mask_url(f"{db.where} cannot grow: the disk is full ({text})"))
    if db.url.is_postgres:
        return StoreError(mask_url(_postgres_line(db, exc)))
    return StoreError(mask_url(_sqlite_line(db, exc)))


def _sqlite_line(db: Database, exc: BaseException) -> str:
    text = first_line(exc)
    lower = text.lower()
    where = db.where
    if "locked" in lower or "busy" in lower:
        return f"{where} is locked by another process; try again when it is done"
    if "readonly" in lower or "read-only" in lower:
        return f"{where} is read-only; check its permissions and its folder's"
    if "not a database" in lower or "malformed" in lower or "corrupt" in lower:
        return f"{where} is not a readable rnn-tui database ({text})"
    if "unable to open" in lower:
        return f"{where} cannot be opened; check the path and its permissions"
    if "closed database" in lower:
        return f"{where} is closed"
    return f"{where}: {text}"


def _postgres_line(db: Database, exc: BaseException) -> str:
    text = first_line(exc)
    lower = text.lower()
    where = db.where
    user = db.url.user or "(default user)"
    if "password authentication failed" in lower or "no password supplied" in lower:
        return (
            f"{where}: PostgreSQL refused the login of user {user} "
            f"(wrong or no password; {PASSWORD_HELP})"
        )
    if "authentication failed" in lower or "no pg_hba.conf entry" in lower:
        return f"{where}: PostgreSQL refused the login of user {user} ({text})"
    if "does not exist" in lower and "database" in lower:
        name = db.url.database
        return f"{where}: the database {name} does not exist on that server (createdb {name})"
    if (
        "connection refused" in lower
        or "could not connect" in lower
        or "timeout expired" in lower
        or "could not translate host name" in lower
        or "no such file or directory" in lower
        or "network is unreachable" in lower
    ):
        return f"{where} cannot be reached ({text}); is the server running and the URL right?"
    if "terminating connection" in lower or "server closed the connection" in lower:
        return f"{where}: the connection to the server was lost ({text})"
    if "lock timeout" in lower or "canceling statement due to lock timeout" in lower:
        return f"{where} is locked by another process; try again when it is done"
    return f"{where}: {text}"
