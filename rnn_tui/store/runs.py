"""The run store: every training run, its metrics, samples and checkpoint paths, in SQLite
or PostgreSQL.

By default one database file (`runs.sqlite3` in the user data directory, or
`$RNN_TUI_DATA_DIR`); `--store` or `$RNN_TUI_STORE` names another (see `url`). Checkpoints
stay as files on the disk of the host that wrote them, in `runs/<run_id>/` beside the SQLite
file (or under the data folder for a PostgreSQL store); the database holds their paths.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rnn_tui.errors import DamagedRun, NoSuchRun, StoreError
from rnn_tui.store.connection import Database
from rnn_tui.store.export import export as export_runs
from rnn_tui.store.heartbeat import Heartbeat, grace_period
from rnn_tui.store.host import is_this_host, this_host
from rnn_tui.store.liveness import process_alive, process_token, same_token
from rnn_tui.store.location import data_dir
from rnn_tui.store.recorder import RunRecorder
from rnn_tui.store.rows import (
    MAX_RUN_ID,
    RunRow,
    default_name,
    dumps,
    haystack,
    storable,
)
from rnn_tui.store.schema import (
    EPOCH_COLUMNS,
    INTERRUPTED_MESSAGE,
    STEP_COLUMNS,
    SUMMARY_FIELDS,
    UPDATABLE,
    check_status,
)
from rnn_tui.store.validate import (
    MAX_NAME,
    DamagedRow,
    is_damaged,
    read_epoch,
    read_run,
    read_step,
    read_sweep_configs,
)

_MARK_INTERRUPTED = (
    "UPDATE runs SET status = 'interrupted', message = ?, "
    "ended = COALESCE(ended, ?) WHERE id = ? AND status = 'running'"
)


class RunStore(Database):
    """The run database. Open one per process (or share one between threads)."""

    def _opened(self) -> None:
        if not self.readonly:
            self.recover()

    def recover(self) -> int:
        """Mark runs whose writer died as interrupted: a dead process on this host, or a
        heartbeat older than the grace period on any host; returns how many. Opening a store
        for writing does this; a long-lived writer calls it now and then. A read-only store
        writes nothing: its reads show such runs as interrupted all the same."""
        if self.readonly:
            return 0
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM runs WHERE status = 'running'").mappings().fetchall()
        now = self.db_now() if rows else 0.0
        dead = [
            run.id
            for run, row in zip(map(read_run, rows), rows, strict=True)  # damaged: left alone
            if run.status == "running" and self._writer_dead(run, row, now)
        ]
        if dead:
            with self._write() as conn:
                conn.executemany(
                    _MARK_INTERRUPTED, [(INTERRUPTED_MESSAGE, time.time(), i) for i in dead]
                )
        return len(dead)

    def _writer_dead(self, run: RunRow, row: Mapping[str, Any], now: float) -> bool:
        """Whether a `running` run's writer is gone: its heartbeat (database clock) is older
        than the grace period, or (on this host) its process died."""
        beat = row.get("heartbeat")
        if isinstance(beat, (int, float)) and now - float(beat) > grace_period():
            return True
        return is_this_host(run.hostname) and not process_alive(run.pid, run.pid_start)

    def _runs(self, rows: Sequence[Mapping[str, Any]]) -> list[RunRow]:
        """Rows as runs (see store.validate); a `running` one whose writer is gone reads as
        interrupted."""
        now = self.db_now() if any(row.get("status") == "running" for row in rows) else 0.0
        runs = []
        for row in rows:
            run = read_run(row)
            for private in ("heartbeat", "stop_requested"):  # liveness, read here only
                run.extra.pop(private, None)
            if run.status == "running" and self._writer_dead(run, row, now):
                run.status = "interrupted"
                run.message = run.message or INTERRUPTED_MESSAGE
            runs.append(run)
        return runs

    def _select_runs(
        self, where: str = "", args: tuple[Any, ...] = (), order: str = "id"
    ) -> list[RunRow]:
        with self._read() as conn:
            rows = (
                conn.execute(f"SELECT * FROM runs {where} ORDER BY {order}", args)
                .mappings()
                .fetchall()
            )
        return self._runs(rows)

    # -- liveness across hosts

    def beat(self, run_id: int) -> bool:
        """Record that the run lives, by the database's clock; True when a stop was asked."""
        with self._write() as conn:
            row = conn.execute(
                f"UPDATE runs SET heartbeat = {self.now_sql()} WHERE id = ? "
                "RETURNING stop_requested",
                (int(run_id),),
            ).fetchone()
        return row is not None and row[0] is not None

    def heartbeat(self, run_id: int, **options: Any) -> Heartbeat:
        """Start beating for a run this process writes (see `heartbeat.Heartbeat`)."""
        return Heartbeat(self, run_id, **options).start()

    def request_stop(self, run_id: int) -> bool:
        """Ask a running run to stop through the store (its heartbeat reads it); False when it
        was no longer running."""
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE runs SET stop_requested = {self.now_sql()} "
                "WHERE id = ? AND status = 'running'",
                (int(run_id),),
            )
            return cursor.rowcount > 0

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
            run_id = conn.execute(
                "INSERT INTO runs (name, status, config, created, device, torch_version, params, "
                "pid, pid_start, hostname, sweep_id, sweep_index, heartbeat) "
                f"VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {self.now_sql()}) "
                "RETURNING id",
                (
                    storable(name or ""),
                    dumps(config),
                    time.time(),
                    device,
                    torch_version,
                    int(params),
                    pid,
                    process_token(pid),
                    this_host(),
                    sweep_id,
                    sweep_index,
                ),
            ).scalar()
            run_id = int(run_id)
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
        return self.files_dir / "runs" / str(int(run_id))

    @property
    def files_dir(self) -> Path:
        """Where this host keeps the store's run folders: beside a SQLite file, else a folder
        of the data folder named after the PostgreSQL database."""
        if self.path is not None:
            return self.path.parent
        url = self.url
        name = f"{url.host or 'local'}-{url.port or 5432}-{url.database}"
        return data_dir() / "postgresql" / re.sub(r"[^A-Za-z0-9._-]", "_", name)

    def recorder(self, run_id: int, **options: Any) -> RunRecorder:
        self.get_run(run_id)  # fail now, not at the first flush
        return RunRecorder(self, run_id, **options)

    def update_run(self, run_id: int, **fields: Any) -> None:
        if not fields:
            return
        unknown = sorted(set(fields) - set(UPDATABLE))
        if unknown:
            raise ValueError(f"cannot update run fields {', '.join(unknown)}")
        if "status" in fields:
            check_status(fields["status"])
        values = {
            key: dumps(value) if key in ("config", "tags") else storable(value)
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
        check_status(status)
        if "epoch" in summary and "epochs" not in summary:
            summary["epochs"] = summary.pop("epoch")
        unknown = sorted(set(summary) - set(SUMMARY_FIELDS))
        if unknown:
            raise ValueError(f"unknown summary fields {', '.join(unknown)}")
        self.update_run(run_id, status=status, message=message, ended=time.time(), **summary)

    def set_status(self, run_id: int, status: str) -> None:
        """Change the status; back to 'running' also claims the run for this process."""
        check_status(status)
        if status == "running":
            pid = os.getpid()
            with self._write() as conn:
                cursor = conn.execute(
                    "UPDATE runs SET status = 'running', ended = NULL, message = '', pid = ?, "
                    f"pid_start = ?, hostname = ?, heartbeat = {self.now_sql()}, "
                    "stop_requested = NULL WHERE id = ?",
                    (pid, process_token(pid), this_host(), run_id),
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
                "UPDATE runs SET pid = ?, pid_start = ?, hostname = ?, "
                f"heartbeat = {self.now_sql()} WHERE id = ?",
                (pid, process_token(pid), this_host(), run_id),
            )

    def writer(self, run_id: int) -> tuple[int | None, str | None, str]:
        """(pid, pid token, hostname) of the process recorded as the run's writer."""
        run = self.get_run(run_id)
        return run.pid, run.pid_start, run.hostname

    def runs_by_pid(self, pid: int, token: str | None = None) -> list[RunRow]:
        """The runs whose writer is (or was) process `pid` on this host, oldest first;
        with `token`, only that process, not an earlier one given the same pid."""
        query = "WHERE pid = ? AND hostname IN (?, '')"
        runs = [r for r in self._select_runs(query, (int(pid), this_host())) if not is_damaged(r)]
        if token is None:
            return runs
        return [run for run in runs if same_token(run.pid_start, token)]

    def mark_interrupted(self, run_id: int, message: str = INTERRUPTED_MESSAGE) -> bool:
        """Mark a run whose writer died as interrupted; False when it was no longer running
        (it ended meanwhile, and its own end stands)."""
        with self._write() as conn:
            cursor = conn.execute(_MARK_INTERRUPTED, (message, time.time(), int(run_id)))
            return cursor.rowcount > 0

    def list_runs(self, text_filter: str = "") -> list[RunRow]:
        """Newest first. Each word of the filter must appear (any case) in the run's name,
        tags, status, cell or corpus. A row that cannot be used is a `damaged` run whose
        message says why (see store.validate)."""
        runs = self._select_runs(order="created DESC, id DESC")
        words = text_filter.lower().split()
        if not words:
            return runs
        return [run for run in runs if all(word in haystack(run) for word in words)]

    def get_run(self, run_id: int, *, damaged: bool = False) -> RunRow:
        """The run; StoreError when there is none, or when its row cannot be used (see
        store.validate) unless `damaged`, which returns it as a `damaged` run instead."""
        if not 0 <= int(run_id) <= MAX_RUN_ID:  # SQLite would overflow: no such run
            raise NoSuchRun(f"no run with id {run_id}")
        runs = self._select_runs("WHERE id = ?", (int(run_id),))
        if not runs:
            raise NoSuchRun(f"no run with id {run_id}")
        run = runs[0]
        if is_damaged(run) and not damaged:
            raise DamagedRun(f"run {run_id} is damaged in the store ({run.message})")
        return run

    def step_metrics(self, run_id: int, after_step: int = 0) -> list[dict[str, Any]]:
        return self._metric_rows("step_metrics", STEP_COLUMNS, "step", run_id, after_step)

    def epoch_metrics(self, run_id: int, after_epoch: int = 0) -> list[dict[str, Any]]:
        return self._metric_rows("epoch_metrics", EPOCH_COLUMNS, "epoch", run_id, after_epoch)

    def _metric_rows(
        self, table: str, columns: tuple[str, ...], key: str, run_id: int, after: int
    ) -> list[dict[str, Any]]:
        """A run's rows of `table` whose `key` (step or epoch) comes after `after`, in order."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(columns)} FROM {table} "
                f"WHERE run_id = ? AND {key} > ? ORDER BY {key}",
                (run_id, after),
            ).fetchall()
        read = read_step if table == "step_metrics" else read_epoch
        values = (read(dict(zip(columns, row, strict=True))) for row in rows)
        return [value for value in values if value is not None]  # damaged rows left out

    def rename(self, run_id: int, name: str) -> None:
        name = name.strip()
        if not name:
            raise StoreError("a run name cannot be empty")
        if len(name) > MAX_NAME:  # longer would read back as a damaged row
            raise StoreError(f"a run name has at most {MAX_NAME:,} characters")
        self.update_run(run_id, name=name)

    def set_tags(self, run_id: int, tags: list[str]) -> None:
        clean: list[str] = []
        for tag in tags:
            tag = storable(tag.strip())
            if len(tag) > MAX_NAME:
                raise StoreError(f"a tag has at most {MAX_NAME:,} characters")
            if tag and tag not in clean:
                clean.append(tag)
        self.update_run(run_id, tags=clean)

    def delete_run(self, run_id: int) -> None:
        """Remove the run's rows and its folder (checkpoints). Refuses a live run."""
        run = self.get_run(run_id, damaged=True)  # a damaged row may be deleted
        if run.status == "running" and is_this_host(run.hostname):
            if process_alive(run.pid, run.pid_start):
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
            sweep_id = conn.execute(
                "INSERT INTO sweeps (name, created, configs) VALUES (?, ?, ?) RETURNING id",
                (storable(name), time.time(), dumps(configs)),
            ).scalar()
        return int(sweep_id)

    def sweep_name(self, sweep_id: int) -> str:
        with self._read() as conn:
            row = conn.execute("SELECT name FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise StoreError(f"no sweep with id {sweep_id}")
        return str(row[0])

    def sweep_configs(self, sweep_id: int) -> list[dict[str, Any]]:
        with self._read() as conn:
            row = conn.execute("SELECT configs FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise StoreError(f"no sweep with id {sweep_id}")
        try:
            return read_sweep_configs(row[0])
        except DamagedRow as exc:
            raise StoreError(f"sweep {sweep_id} is damaged in the store ({exc})") from None

    def sweep_runs(self, sweep_id: int) -> list[RunRow]:
        """The sweep's runs in sweep order."""
        return self._select_runs("WHERE sweep_id = ?", (sweep_id,), "sweep_index, id")

    def export(self, run_ids: Sequence[int], fmt: str) -> str:
        """The runs as CSV (one row per epoch) or JSON (everything)."""
        return export_runs(self, run_ids, fmt)
