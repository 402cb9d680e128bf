"""Which run store to open: one URL, a SQLite file or a PostgreSQL database.

The choice, first found wins: `--store`, then `$RNN_TUI_STORE`, then the settings file's
`store`, then the default SQLite file in the data folder (`$RNN_TUI_DATA_DIR`).

A store is named by a plain path, `sqlite:///path` or `postgresql://user@host[:port]/db`.
`StoreURL.text` is the normalized, password-free form that plans, run rows, logs and a child's
argv may carry; the password stays in the private field and reaches only the driver. It comes
from the URL as typed, else the same URL in `$RNN_TUI_STORE`, else libpq's own `PGPASSWORD`
and `~/.pgpass`. Every URL shown to a person goes through `mask_url`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from rnn_tui.errors import StoreError
from rnn_tui.store.location import default_db_path

ENV_STORE = "RNN_TUI_STORE"
POSTGRES_DRIVER = "postgresql+psycopg"  # psycopg 3; a bare postgresql:// means psycopg2
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
DEFAULT_PG_PORT = 5432

# user:password@ in any URL: the password is whatever lies between the first ':' after '//'
# and the last '@' of the authority.
_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/:@\s]*:)(?P<password>[^@\s]*)@")


def mask_url(text: str) -> str:
    """The text with the password of every URL in it replaced by ***: for showing a URL."""
    return _PASSWORD.sub(lambda m: f"{m.group('head')}***@", str(text))


@dataclass(frozen=True)
class StoreURL:
    """A run store's location, normalized. `text` never holds a password."""

    backend: str  # "sqlite" or "postgresql"
    text: str  # sqlite:////abs/path or postgresql+psycopg://user@host:port/db
    path: Path | None = None  # the SQLite file
    host: str = ""
    port: int | None = None
    user: str = ""
    database: str = ""
    query: str = ""  # ?host=/socket/dir and the like, passed to the driver as is
    _password: str | None = field(default=None, repr=False, compare=False)

    @property
    def is_postgres(self) -> bool:
        return self.backend == "postgresql"

    def __str__(self) -> str:
        return self.text

    @property
    def display(self) -> str:
        """What status lines and listings show: the file path, or the URL without password."""
        return str(self.path) if self.path is not None else mask_url(self.text)

    def sqlalchemy_url(self):  # -> sqlalchemy.engine.URL (imported only here)
        """The URL a SQLAlchemy engine opens, password included (its str() masks it)."""
        from sqlalchemy.engine import URL

        if self.path is not None:
            return URL.create("sqlite", database=str(self.path))
        query = dict(_query_pairs(self.query))
        return URL.create(
            POSTGRES_DRIVER,
            username=self.user or None,
            password=self._password or _password_from_env(self),
            host=self.host or None,
            port=self.port,
            database=self.database or None,
            query=query,
        )


def sqlalchemy_url_string(location: StoreURL) -> str:
    """The store's SQLAlchemy URL as a string with the password, for another library's engine
    on the same database (Optuna's RDB storage). Never print it: `mask_url` first."""
    return location.sqlalchemy_url().render_as_string(hide_password=False)


def parse_store_url(text: str | os.PathLike[str], base: Path | None = None) -> StoreURL:
    """A store location from a path or URL; a relative path is made absolute against `base`
    (the current folder). One StoreError line, password masked, when it is not one."""
    raw = os.fspath(text).strip()
    if not raw:
        raise StoreError("the run store is empty: give a path or a postgresql:// URL")
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if not scheme:
        return _sqlite(Path(raw), base)
    if scheme == "sqlite":
        rest = raw[len("sqlite://") :]
        if not rest.startswith("/") or rest == "/":
            raise StoreError(f"a SQLite store URL is sqlite:///path, not {mask_url(raw)!r}")
        # SQLAlchemy's form: sqlite:///relative/path, sqlite:////absolute/path
        return _sqlite(Path(rest[1:]), base)
    if scheme in POSTGRES_SCHEMES:
        return _postgres(raw)
    raise StoreError(
        f"unknown run store {mask_url(raw)!r}: use a path, sqlite:///path or "
        "postgresql://user@host/db"
    )


def _sqlite(path: Path, base: Path | None) -> StoreURL:
    path = path.expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    path = Path(os.path.normpath(path))
    return StoreURL("sqlite", f"sqlite:///{path}", path=path)


def _postgres(raw: str) -> StoreURL:
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise StoreError(f"bad PostgreSQL store URL {mask_url(raw)!r}: {exc}") from None
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise StoreError(
            f"a PostgreSQL store URL names one database: postgresql://user@host/db, "
            f"not {mask_url(raw)!r}"
        )
    user = unquote(parts.username or "")
    password = unquote(parts.password) if parts.password is not None else None
    host = unquote(parts.hostname or "")
    authority = user + "@" if user else ""
    if host:
        authority += host if ":" not in host else f"[{host}]"
    if port is not None:
        authority += f":{port}"
    text = f"{POSTGRES_DRIVER}://{authority}/{database}"
    if parts.query:
        text += f"?{parts.query}"
    return StoreURL(
        "postgresql",
        text,
        host=host,
        port=port,
        user=user,
        database=database,
        query=parts.query,
        _password=password or None,
    )


def _query_pairs(query: str) -> list[tuple[str, str]]:
    pairs = []
    for item in query.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def _password_from_env(location: StoreURL) -> str | None:
    """The password of the same database's URL in $RNN_TUI_STORE, if it has one. Otherwise
    None, and the driver reads PGPASSWORD or ~/.pgpass itself."""
    env = os.environ.get(ENV_STORE, "").strip()
    if not env or "://" not in env:
        return None
    try:
        other = parse_store_url(env)
    except StoreError:
        return None
    if other.is_postgres and other.text == location.text:
        return other._password
    return None


def settings_store() -> str | None:
    """The `store` of the settings file, if it names one (a damaged file names none)."""
    from rnn_tui.settings import load_settings

    settings, _notice = load_settings()
    return getattr(settings, "store", None) or None


def resolve_store_url(flag: str | os.PathLike[str] | StoreURL | None = None) -> StoreURL:
    """The store to open: `flag` (--store), else $RNN_TUI_STORE, else the settings, else the
    default SQLite file in the data folder."""
    if isinstance(flag, StoreURL):
        return flag
    for candidate in (flag, os.environ.get(ENV_STORE), settings_store()):
        if candidate is not None and os.fspath(candidate).strip():
            return parse_store_url(candidate)
    return parse_store_url(default_db_path())
