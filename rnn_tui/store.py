"""The run store: every training run, its metrics, samples and checkpoint paths, in SQLite.

One database file (`runs.sqlite3` in the user data directory, or `$RNN_TUI_DATA_DIR`) in
WAL mode, so a reader (the TUI, `rnn-tui runs`) sees a run's metrics while another
process writes them. Checkpoints stay as files beside it, in `runs/<run_id>/`; the
database holds their paths.

The schema is a list of migrations applied in order; `PRAGMA user_version` says how many
have been applied. Never edit a released migration: append a new one.

`RunRecorder` is the trainer's event callback. It buffers step rows in a list and writes
them with one `executemany` per flush (every `flush_every` steps or `flush_seconds`, at
every epoch end and at the run end), so recording costs next to nothing per step.

Threading: a `RunStore` holds one connection (`check_same_thread=False`) and a lock that
every statement runs under, so the TUI may record from a worker thread and read from the
UI thread through the same store.

This module must not import torch: the CLI and the TUI import it at start-up.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rnn_tui.errors import StoreError
from rnn_tui.events import EpochEnd, RunEnd, RunStart, StepEnd

RUN_STATUSES = ("running", "finished", "stopped", "diverged", "interrupted", "error")
DB_NAME = "runs.sqlite3"
ENV_DATA_DIR = "RNN_TUI_DATA_DIR"
BUSY_TIMEOUT_S = 5.0
# How long a training run keeps its rows in memory and retries while the store is unavailable.
RETRY_FOR_S = 60.0
MAX_RUN_ID = 2**63 - 1  # SQLite's largest INTEGER
INTERRUPTED_MESSAGE = "process died; data kept up to the last flush"

# Config fields that say what a run was, in the order exports and tables show them.
KEY_CONFIG_FIELDS = (
    "corpus", "preprocess", "cell", "nonlinearity", "layers", "hidden", "embedding", "dropout",
    "optimizer", "lr", "schedule", "clip", "batch_size", "num_steps", "batching", "seed",
)  # fmt: skip


def looks_like_run_id(text: str) -> bool:
    """True for ASCII digits: the user means a run id, not a path."""
    return text.isascii() and text.isdigit()


def parse_run_id(text: str) -> int:
    """A run id typed by a user: ASCII digits within SQLite's range, else one StoreError line."""
    text = text.strip()
    if not looks_like_run_id(text):
        raise StoreError(f"a run id is a whole number like 7, not {text!r}")
    value = int(text)
    if not 1 <= value <= MAX_RUN_ID:
        raise StoreError(f"run id {text} is out of range (1 to {MAX_RUN_ID})")
    return value


def data_dir() -> Path:
    """Where the database and the run folders live: $RNN_TUI_DATA_DIR, else the user data dir."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("rnn-tui"))


def default_db_path() -> Path:
    return data_dir() / DB_NAME


# --------------------------------------------------------------------------- schema

_STATUS_CHECK = ", ".join(f"'{s}'" for s in RUN_STATUSES)

# Migration N (1-based) brings a database from user_version N-1 to N. Append only.
MIGRATIONS: list[tuple[str, ...]] = [
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
            status TEXT NOT NULL CHECK (status IN ({_STATUS_CHECK})),
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


def schema_version() -> int:
    """The user_version a database has once this code has migrated it."""
    return len(MIGRATIONS)


STEP_COLUMNS = ("step", "epoch", "loss", "ppl", "lr", "tokens", "elapsed", "tokens_per_s")
EPOCH_COLUMNS = (
    "epoch", "step", "train_loss", "train_ppl", "val_loss", "val_ppl", "tokens", "elapsed",
    "tokens_per_s", "sample", "is_best", "checkpoint",
)  # fmt: skip
SUMMARY_FIELDS = (
    "best_val_ppl", "final_train_ppl", "final_val_ppl", "tokens_per_s", "steps", "epochs",
    "seconds", "checkpoint", "best_checkpoint",
)  # fmt: skip
_UPDATABLE = SUMMARY_FIELDS + (
    "name", "device", "torch_version", "params", "message", "sweep_id", "sweep_index",
    "config", "tags", "status", "ended",
)  # fmt: skip


# --------------------------------------------------------------------------- rows


@dataclass
class RunRow:
    id: int
    name: str
    status: str
    config: dict[str, Any]
    created: float
    ended: float | None
    device: str
    torch_version: str
    params: int
    tags: list[str]
    best_val_ppl: float | None
    final_train_ppl: float | None
    final_val_ppl: float | None
    tokens_per_s: float | None
    steps: int
    epochs: int
    seconds: float | None
    checkpoint: str | None
    best_checkpoint: str | None
    message: str
    sweep_id: int | None
    sweep_index: int | None
    pid: int | None
    hostname: str = ""
    extra: dict[str, Any] = field(default_factory=dict, repr=False)  # columns of later schemas

    @property
    def cell(self) -> str:
        return str(self.config.get("cell", ""))

    @property
    def layers(self) -> int | None:
        return self.config.get("layers")

    @property
    def hidden(self) -> int | None:
        return self.config.get("hidden")

    @property
    def batch_size(self) -> int | None:
        return self.config.get("batch_size")

    @property
    def lr(self) -> float | None:
        return self.config.get("lr")

    @property
    def corpus_label(self) -> str:
        return self.config.get("corpus") or "The Time Machine"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data


_ROW_FIELDS = [f for f in RunRow.__dataclass_fields__ if f != "extra"]


def _row_to_run(row: sqlite3.Row) -> RunRow:
    values = dict(zip(row.keys(), tuple(row), strict=True))
    values["config"] = _loads(values.get("config"), {})
    values["tags"] = _loads(values.get("tags"), [])
    known = {name: values.pop(name, None) for name in _ROW_FIELDS}
    values.pop("pid_start", None)
    known["hostname"] = known["hostname"] or ""
    return RunRow(**known, extra=values)


def _loads(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


# --------------------------------------------------------------------------- processes


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of a Linux process from /proc, or None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]


def _process_token(pid: int) -> str | None:
    """Something that tells this process apart from a later one given the same pid."""
    stat = _proc_stat(pid)
    return stat[1] if stat else None


def _pid_alive(pid: int | None, token: str | None) -> bool:
    if pid is None or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - os.kill(pid, 0) would end the process
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    except OSError:
        return False
    stat = _proc_stat(pid)
    if stat is not None:
        state, start = stat
        if state in ("Z", "X"):  # killed but not yet reaped by its parent
            return False
        if token is not None and start != token:  # the pid was reused
            return False
    return True


def process_alive(pid: int | None, token: str | None) -> bool:
    """Whether process `pid` lives and is the one `token` (from process_token) named."""
    return _pid_alive(pid, token)


def process_token(pid: int) -> str | None:
    """What tells process `pid` apart from a later one given the same pid; None if unknown."""
    return _process_token(pid)


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


# --------------------------------------------------------------------------- the store


class RunStore:
    """The run database. Open one per process (or share one between threads)."""

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
                self._recover()
        except BaseException:
            self.close()
            raise

    # -- plumbing

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None

    def __enter__(self) -> RunStore:
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
        migrations = MIGRATIONS
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
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(number)}")

    def _recover(self) -> int:
        """Mark runs whose writer died on this host as interrupted; returns how many."""
        host = socket.gethostname()
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, pid, pid_start, hostname FROM runs WHERE status = 'running'"
            ).fetchall()
        dead = [
            row["id"]
            for row in rows
            if row["hostname"] in (host, "") and not _pid_alive(row["pid"], row["pid_start"])
        ]
        if dead:
            with self._write() as conn:
                conn.executemany(
                    "UPDATE runs SET status = 'interrupted', message = ?, "
                    "ended = COALESCE(ended, ?) WHERE id = ? AND status = 'running'",
                    [(INTERRUPTED_MESSAGE, time.time(), run_id) for run_id in dead],
                )
        return len(dead)

    def recover(self) -> int:
        """Mark runs whose writer process died (on this host) as interrupted; returns how
        many. Opening a store does this; a long-lived reader calls it now and then."""
        return self._recover()

    def user_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    # -- runs

    def create_run(
        self,
        config: dict[str, Any],
        *,
        name: str | None = None,
        device: str = "",
        torch_version: str = "",
        params: int = 0,
        sweep_id: int | None = None,
        sweep_index: int | None = None,
    ) -> int:
        pid = os.getpid()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (name, status, config, created, device, torch_version, params, "
                "pid, pid_start, hostname, sweep_id, sweep_index) "
                "VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name or "",
                    _dumps(config),
                    time.time(),
                    device,
                    torch_version,
                    int(params),
                    pid,
                    _process_token(pid),
                    socket.gethostname(),
                    sweep_id,
                    sweep_index,
                ),
            )
            run_id = int(cursor.lastrowid)  # type: ignore[arg-type]
            if not name:
                conn.execute(
                    "UPDATE runs SET name = ? WHERE id = ?", (default_name(config, run_id), run_id)
                )
        return run_id

    def run_dir(self, run_id: int) -> Path:
        """The run's folder for checkpoints, beside the database; created."""
        path = self._run_dir_path(run_id)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create run folder {path}: {exc.strerror or exc}") from None
        return path

    def run_dir_path(self, run_id: int) -> Path:
        """The run's folder beside the database (not created)."""
        return self._run_dir_path(run_id)

    def _run_dir_path(self, run_id: int) -> Path:
        return self.path.parent / "runs" / str(int(run_id))

    def recorder(self, run_id: int, **options: Any) -> RunRecorder:
        self.get_run(run_id)  # fail now, not at the first flush
        return RunRecorder(self, run_id, **options)

    def update_run(self, run_id: int, **fields: Any) -> None:
        if not fields:
            return
        unknown = sorted(set(fields) - set(_UPDATABLE))
        if unknown:
            raise ValueError(f"cannot update run fields {', '.join(unknown)}")
        if "status" in fields:
            _check_status(fields["status"])
        values = {
            key: _dumps(value) if key in ("config", "tags") else value
            for key, value in fields.items()
        }
        assignments = ", ".join(f"{key} = ?" for key in values)
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE runs SET {assignments} WHERE id = ?", (*values.values(), run_id)
            )
            if cursor.rowcount == 0:
                raise StoreError(f"no run with id {run_id}")

    def finish_run(self, run_id: int, status: str, message: str = "", **summary: Any) -> None:
        _check_status(status)
        if "epoch" in summary and "epochs" not in summary:
            summary["epochs"] = summary.pop("epoch")
        unknown = sorted(set(summary) - set(SUMMARY_FIELDS))
        if unknown:
            raise ValueError(f"unknown summary fields {', '.join(unknown)}")
        self.update_run(run_id, status=status, message=message, ended=time.time(), **summary)

    def set_status(self, run_id: int, status: str) -> None:
        """Change the status; back to 'running' also claims the run for this process."""
        _check_status(status)
        if status == "running":
            pid = os.getpid()
            with self._write() as conn:
                cursor = conn.execute(
                    "UPDATE runs SET status = 'running', ended = NULL, message = '', pid = ?, "
                    "pid_start = ?, hostname = ? WHERE id = ?",
                    (pid, _process_token(pid), socket.gethostname(), run_id),
                )
                if cursor.rowcount == 0:
                    raise StoreError(f"no run with id {run_id}")
        else:
            self.update_run(run_id, status=status)

    def claim(self, run_id: int) -> None:
        """Record this process as the run's writer (for recovery after a crash)."""
        pid = os.getpid()
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET pid = ?, pid_start = ?, hostname = ? WHERE id = ?",
                (pid, _process_token(pid), socket.gethostname(), run_id),
            )

    def writer(self, run_id: int) -> tuple[int | None, str | None, str]:
        """(pid, pid token, hostname) of the process recorded as the run's writer."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT pid, pid_start, hostname FROM runs WHERE id = ?", (int(run_id),)
            ).fetchone()
        if row is None:
            raise StoreError(f"no run with id {run_id}")
        return row["pid"], row["pid_start"], row["hostname"] or ""

    def runs_by_pid(self, pid: int, token: str | None = None) -> list[RunRow]:
        """The runs whose writer is (or was) process `pid` on this host, oldest first;
        with `token`, only that process, not an earlier one given the same pid."""
        query = "SELECT * FROM runs WHERE pid = ? AND hostname IN (?, '')"
        args: tuple[Any, ...] = (int(pid), socket.gethostname())
        if token is not None:
            query += " AND pid_start = ?"
            args += (token,)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        return [_row_to_run(row) for row in rows]

    def mark_interrupted(self, run_id: int, message: str = INTERRUPTED_MESSAGE) -> bool:
        """Mark a run whose writer died as interrupted; False when it was no longer running
        (it ended meanwhile, and its own end stands)."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE runs SET status = 'interrupted', message = ?, "
                "ended = COALESCE(ended, ?) WHERE id = ? AND status = 'running'",
                (message, time.time(), int(run_id)),
            )
            return cursor.rowcount > 0

    def list_runs(self, text_filter: str = "") -> list[RunRow]:
        """Newest first. Each word of the filter must appear (any case) in the run's name,
        tags, status, cell or corpus."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM runs ORDER BY created DESC, id DESC").fetchall()
        runs = [_row_to_run(row) for row in rows]
        words = text_filter.lower().split()
        if not words:
            return runs
        return [run for run in runs if all(word in _haystack(run) for word in words)]

    def get_run(self, run_id: int) -> RunRow:
        if not 0 <= int(run_id) <= MAX_RUN_ID:  # SQLite would overflow: no such run
            raise StoreError(f"no run with id {run_id}")
        with self._read() as conn:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (int(run_id),)).fetchone()
        if row is None:
            raise StoreError(f"no run with id {run_id}")
        return _row_to_run(row)

    def step_metrics(self, run_id: int, after_step: int = 0) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(STEP_COLUMNS)} FROM step_metrics "
                "WHERE run_id = ? AND step > ? ORDER BY step",
                (run_id, after_step),
            ).fetchall()
        return [dict(zip(STEP_COLUMNS, row, strict=True)) for row in rows]

    def epoch_metrics(self, run_id: int, after_epoch: int = 0) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(EPOCH_COLUMNS)} FROM epoch_metrics "
                "WHERE run_id = ? AND epoch > ? ORDER BY epoch",
                (run_id, after_epoch),
            ).fetchall()
        result = []
        for row in rows:
            item = dict(zip(EPOCH_COLUMNS, row, strict=True))
            item["is_best"] = bool(item["is_best"])
            result.append(item)
        return result

    def rename(self, run_id: int, name: str) -> None:
        name = name.strip()
        if not name:
            raise StoreError("a run name cannot be empty")
        self.update_run(run_id, name=name)

    def set_tags(self, run_id: int, tags: list[str]) -> None:
        clean: list[str] = []
        for tag in tags:
            tag = tag.strip()
            if tag and tag not in clean:
                clean.append(tag)
        self.update_run(run_id, tags=clean)

    def delete_run(self, run_id: int) -> None:
        """Remove the run's rows and its folder (checkpoints). Refuses a live run."""
        run = self.get_run(run_id)
        if run.status == "running" and run.hostname in (socket.gethostname(), ""):
            with self._read() as conn:
                token = conn.execute(
                    "SELECT pid_start FROM runs WHERE id = ?", (run_id,)
                ).fetchone()[0]
            if _pid_alive(run.pid, token):
                raise StoreError(f"run {run_id} is still running (pid {run.pid}); stop it first")
        with self._write() as conn:
            conn.execute("DELETE FROM step_metrics WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM epoch_metrics WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        folder = self._run_dir_path(run_id)
        if folder.exists():
            try:
                shutil.rmtree(folder)
            except OSError as exc:
                raise StoreError(
                    f"run {run_id} deleted, but its folder {folder} could not be removed: "
                    f"{exc.strerror or exc}"
                ) from None

    # -- sweeps

    def create_sweep(self, name: str, configs: list[dict[str, Any]]) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO sweeps (name, created, configs) VALUES (?, ?, ?)",
                (name, time.time(), _dumps(configs)),
            )
            return int(cursor.lastrowid)  # type: ignore[arg-type]

    def sweep_configs(self, sweep_id: int) -> list[dict[str, Any]]:
        with self._read() as conn:
            row = conn.execute("SELECT configs FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise StoreError(f"no sweep with id {sweep_id}")
        return _loads(row[0], [])

    def sweep_runs(self, sweep_id: int) -> list[RunRow]:
        """The sweep's runs in sweep order."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM runs WHERE sweep_id = ? ORDER BY sweep_index, id", (sweep_id,)
            ).fetchall()
        return [_row_to_run(row) for row in rows]

    # -- export

    def export(self, run_ids: Sequence[int], fmt: str) -> str:
        fmt = fmt.lower()
        if fmt not in ("json", "csv"):
            raise StoreError(f"unknown export format {fmt!r}; use csv or json")
        runs = [self.get_run(run_id) for run_id in run_ids]
        if fmt == "json":
            items = [
                {
                    "run": run.to_dict(),
                    "steps": self.step_metrics(run.id),
                    "epochs": self.epoch_metrics(run.id),
                }
                for run in runs
            ]
            return json.dumps(items, indent=2)
        out = io.StringIO()
        metric_columns = [c for c in EPOCH_COLUMNS if c not in ("sample",)]
        header = ["run_id", "run_name", "status", *KEY_CONFIG_FIELDS, *metric_columns]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for run in runs:
            config_values = [_csv_value(run.config.get(name)) for name in KEY_CONFIG_FIELDS]
            for epoch in self.epoch_metrics(run.id):
                writer.writerow(
                    [
                        run.id,
                        run.name,
                        run.status,
                        *config_values,
                        *(_csv_value(epoch[c]) for c in metric_columns),
                    ]
                )
        return out.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    return value


def _check_status(status: str) -> None:
    if status not in RUN_STATUSES:
        raise StoreError(f"unknown run status {status!r}; one of {', '.join(RUN_STATUSES)}")


def _haystack(run: RunRow) -> str:
    corpus = run.config.get("corpus") or "the time machine"
    return " ".join([run.name, " ".join(run.tags), run.status, run.cell, str(corpus)]).lower()


def default_name(config: dict[str, Any], run_id: int) -> str:
    cell = config.get("cell", "rnn")
    return f"{cell}-{config.get('layers', 1)}x{config.get('hidden', '?')}-{run_id}"


# --------------------------------------------------------------------------- recorder


class RunRecorder:
    """The trainer's event callback that writes one run into the store.

    Step rows go to a list; `flush` writes them with one executemany in one transaction,
    together with the run's progress (steps, epochs, best and last perplexities), so a
    run that dies keeps everything up to its last flush. Call it (and `flush`) from one
    thread, the one that trains; other threads read through the store.

    A store that is locked or failing does not stop training: the rows stay in memory and
    the write is retried with backoff. After `retry_for` seconds of failures `on_give_up`
    is called once (the run then stops and saves a checkpoint) and `error` says why.
    """

    def __init__(
        self,
        store: RunStore,
        run_id: int,
        *,
        flush_every: int = 100,
        flush_seconds: float = 0.2,  # a viewer polls 4 times a second: a step shows in 0.5 s
        clock: Callable[[], float] = time.monotonic,
        retry_for: float = RETRY_FOR_S,
        on_give_up: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.store = store
        self.run_id = run_id
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.retry_for = retry_for
        self.on_give_up = on_give_up
        # Set once the store stayed unavailable for `retry_for` seconds: the one line to show.
        self.error: str | None = None
        self._clock = clock
        self._sleep = sleep
        self._failing_since: float | None = None
        self._retry_at = 0.0
        self._backoff = 0.0
        self._steps: list[tuple[Any, ...]] = []
        self._epochs: list[tuple[Any, ...]] = []
        self._progress: dict[str, Any] = {}
        self._last_flush = clock()
        self._lock = threading.Lock()

    def __call__(self, event: object) -> None:
        if type(event) is StepEnd:  # the hot path: a tuple appended to a list
            self._steps.append(
                (
                    self.run_id,
                    event.step,
                    event.epoch,
                    event.loss,
                    event.ppl,
                    event.lr,
                    event.tokens,
                    event.elapsed,
                    event.tokens_per_s,
                )  # fmt: skip
            )
            if (
                len(self._steps) >= self.flush_every
                or self._clock() - self._last_flush >= self.flush_seconds
            ):
                self._flush_or_wait()
        elif isinstance(event, EpochEnd):
            self._on_epoch(event)
        elif isinstance(event, RunStart):
            self._on_start(event)
        elif isinstance(event, RunEnd):
            self._on_end(event)

    def _flush_or_wait(self) -> None:
        """Flush now, or keep the rows for a later try while the store is unavailable."""
        if self._failing_since is not None and self._clock() < self._retry_at:
            return
        try:
            # Retries wait for the lock only briefly: training goes on between them.
            self.flush(busy_timeout=None if self._failing_since is None else 0.05)
        except StoreError as exc:
            self._note_failure(exc)
        else:
            self._failing_since = None
            self._backoff = 0.0

    def _note_failure(self, exc: StoreError) -> None:
        now = self._clock()
        if self._failing_since is None:
            self._failing_since = now
        self._backoff = min(max(self._backoff * 2, 0.25), 8.0)
        self._retry_at = now + self._backoff
        if self.error is None and now - self._failing_since >= self.retry_for:
            self.error = f"{exc} (kept trying for {self.retry_for:g} s)"
            if self.on_give_up is not None:
                self.on_give_up(self.error)

    def _with_retries(self, write: Callable[[], None]) -> bool:
        """Run `write` until it succeeds or the store has failed for `retry_for` seconds."""
        while True:
            try:
                write()
            except StoreError as exc:
                self._note_failure(exc)
                if self.error is not None:
                    return False
                self._sleep(max(self._retry_at - self._clock(), 0.0))
            else:
                self._failing_since = None
                self._backoff = 0.0
                return True

    def _on_start(self, event: RunStart) -> None:
        if not self._with_retries(lambda: self._write_start(event)):
            raise StoreError(str(self.error))

    def _write_start(self, event: RunStart) -> None:
        self.flush()
        torch_version = ""
        torch = sys.modules.get("torch")  # never imported here; only read when loaded
        if torch is not None:
            torch_version = str(getattr(torch, "__version__", ""))
        fields: dict[str, Any] = {"device": event.device, "params": int(event.params_pytorch)}
        if event.config:
            fields["config"] = event.config
        run = self.store.get_run(self.run_id)
        if torch_version and not run.torch_version:
            fields["torch_version"] = torch_version
        with self._lock:
            self._progress = {"best_val_ppl": run.best_val_ppl} if event.start_step > 0 else {}
        with self.store._write() as conn:
            # A resumed run continues from start_step: rows past it belong to the abandoned
            # timeline after that checkpoint.
            conn.execute(
                "DELETE FROM step_metrics WHERE run_id = ? AND step > ?",
                (self.run_id, event.start_step),
            )
            conn.execute(
                "DELETE FROM epoch_metrics WHERE run_id = ? AND step > ?",
                (self.run_id, event.start_step),
            )
        self.store.update_run(self.run_id, **fields)
        self.store.set_status(self.run_id, "running")

    def _on_epoch(self, event: EpochEnd) -> None:
        row = (
            self.run_id, event.epoch, event.step, event.train_loss, event.train_ppl,
            event.val_loss, event.val_ppl, event.tokens, event.elapsed, event.tokens_per_s,
            event.sample, int(bool(event.is_best)), event.checkpoint,
        )  # fmt: skip
        with self._lock:
            self._epochs.append(row)
            progress = self._progress
            progress["epochs"] = event.epoch
            progress["final_train_ppl"] = event.train_ppl
            progress["final_val_ppl"] = event.val_ppl
            if event.val_ppl is not None and (
                event.is_best
                or progress.get("best_val_ppl") is None
                or event.val_ppl < progress["best_val_ppl"]
            ):
                progress["best_val_ppl"] = event.val_ppl
            if event.checkpoint:
                progress["checkpoint"] = event.checkpoint
                if event.is_best:
                    progress["best_checkpoint"] = event.checkpoint
        self._flush_or_wait()

    def _on_end(self, event: RunEnd) -> None:
        """Write the rest and the run's end; if the store stays unavailable, set `error`.

        Never raises: the other listeners (the metrics file, the console) still see the end.
        """
        if self.error is not None:  # gave up already: the run folder's files hold the rest
            return
        self._with_retries(lambda: self._write_end(event))

    def _write_end(self, event: RunEnd) -> None:
        self.flush()
        with self._lock:
            final_val = self._progress.get("final_val_ppl")
        summary: dict[str, Any] = {
            "best_val_ppl": event.best_val_ppl,
            "final_train_ppl": event.final_train_ppl,
            "final_val_ppl": final_val,
            "tokens_per_s": event.tokens_per_s,
            "steps": event.step,
            "epochs": event.epoch,
            "seconds": event.elapsed,
        }
        if event.checkpoint:
            summary["checkpoint"] = event.checkpoint
        if event.best_checkpoint:
            summary["best_checkpoint"] = event.best_checkpoint
        # None means "not known at the end": keep what the last flush wrote.
        summary = {key: value for key, value in summary.items() if value is not None}
        self.store.finish_run(self.run_id, event.reason, event.message, **summary)

    def flush(self, busy_timeout: float | None = None) -> None:
        """Write the buffered rows in one transaction. On failure they stay buffered."""
        with self._lock:
            steps, self._steps = self._steps, []
            epochs, self._epochs = self._epochs, []
            progress = dict(self._progress)
            self._last_flush = self._clock()
            if not steps and not epochs:
                return
            if steps:
                last = steps[-1]
                progress["steps"] = last[1]
                progress["seconds"] = last[7]
                progress["tokens_per_s"] = last[8]
            if epochs:
                last_epoch = epochs[-1]
                progress["steps"] = max(progress.get("steps", 0), last_epoch[2])
            try:
                with self.store._write(busy_timeout) as conn:
                    if steps:
                        conn.executemany(
                            "INSERT OR REPLACE INTO step_metrics (run_id, step, epoch, loss, "
                            "ppl, lr, tokens, elapsed, tokens_per_s) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            steps,
                        )
                    if epochs:
                        conn.executemany(
                            "INSERT OR REPLACE INTO epoch_metrics (run_id, epoch, step, "
                            "train_loss, train_ppl, val_loss, val_ppl, tokens, elapsed, "
                            "tokens_per_s, sample, is_best, checkpoint) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            epochs,
                        )
                    if progress:
                        assignments = ", ".join(f"{key} = ?" for key in progress)
                        conn.execute(
                            f"UPDATE runs SET {assignments} WHERE id = ?",
                            (*progress.values(), self.run_id),
                        )
            except BaseException:
                self._steps = steps + self._steps
                self._epochs = epochs + self._epochs
                raise
