"""A run store with one real finished run, and a snapshot of everything a store holds, for
the tests that prove a refused command changes nothing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from tests.cli_calls import call_cli
from tests.conftest import TINY_TEXT

TABLES = ("runs", "step_metrics", "epoch_metrics", "sweeps")
DB_FILES = ("runs.sqlite3", "runs.sqlite3-wal", "runs.sqlite3-shm", "runs.sqlite3-journal")
TINY_FLAGS = ["--hidden", "8", "--batch-size", "4", "--num-steps", "8", "--steps", "6",
              "--epoch-steps", "3", "--quiet", "--sample-length", "5"]  # fmt: skip


def trained_store(template: Path) -> Path:
    """A data folder under `template` holding one finished run (id 1) with checkpoints, and
    the corpus it was trained on; built once, then copied by `copy_store`."""
    data = template / "data"
    if not (data / "runs.sqlite3").exists():
        corpus = template / "tiny.txt"
        corpus.write_text(TINY_TEXT, encoding="utf-8")
        done = call_cli(
            ["train", "--corpus", str(corpus), *TINY_FLAGS],
            cwd=template,
            env={"RNN_TUI_DATA_DIR": str(data), "RNN_TUI_CONFIG_DIR": str(template / "config")},
        )
        assert done.returncode == 0, done.stderr
        assert (data / "runs" / "1" / "last.pt").is_file()
    return data


def copy_store(template: Path, tmp_path: Path) -> Path:
    """A copy of the trained store in tmp_path/data (where the isolated_dirs fixture points),
    with the corpus beside it, and a settings file in tmp_path/config."""
    data = trained_store(template)
    shutil.copytree(data, tmp_path / "data")
    shutil.copy(template / "tiny.txt", tmp_path / "tiny.txt")
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.json").write_text('{"version": 1, "theme": "nord"}\n', encoding="utf-8")
    return tmp_path / "data"


def snapshot(data: Path, config: Path) -> dict[str, object]:
    """Every row of every table, and every other file under the data and config folders
    with its bytes (the database's own files are compared through their rows)."""
    rows: dict[str, object] = {}
    db = data / "runs.sqlite3"
    if db.exists():
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            for table in TABLES:
                rows[table] = sorted(
                    map(tuple, conn.execute(f"SELECT * FROM {table}").fetchall()), key=repr
                )
        finally:
            conn.close()
    files = {}
    for root in (data, config):
        for path in sorted(root.rglob("*")) if root.exists() else []:
            if path.name in DB_FILES:
                continue
            files[str(path)] = path.read_bytes() if path.is_file() else "folder"
    return {"rows": rows, "files": files}
