"""User files are never destroyed: the files the store owns are never an output path.

Every writer of a user-chosen path (an export, a plot, a `--out` folder, a plan) asks
`refuse_owned` first, before anything is opened for writing. A path that resolves (symbolic
links, `..`, `~`) to the run database or its WAL, shared-memory and journal files, the runs
folder or anything in it, the searches' journal, a checkpoint the store records, or the
settings file is refused in one line that names what it would destroy.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rnn_tui.errors import RnnTuiError
from rnn_tui.store.location import default_db_path

if TYPE_CHECKING:
    from rnn_tui.store.runs import RunStore

DB_COMPANIONS = ("-wal", "-shm", "-journal")  # SQLite's files beside the database
RUNS_FOLDER = "runs"  # beside the database: each run's checkpoints and log
STUDIES_JOURNAL = ".studies.journal"  # beside the database: the searches' Optuna journal


class OwnedPathError(RnnTuiError):
    """An output path that is one of the store's own files."""


def _resolved(path: Path | str) -> Path:
    """The absolute path with links and `..` resolved, as far as the path exists."""
    return Path(os.path.realpath(Path(path).expanduser()))


def owned_files(
    db_path: Path | str | None = None, files_dir: Path | str | None = None
) -> list[tuple[Path, str]]:
    """(path, what it is) of the files and folders the store at `db_path` owns, resolved;
    `files_dir` is where its run folders live when that is not beside it (PostgreSQL)."""
    from rnn_tui.settings import settings_path

    db = _resolved(db_path if db_path is not None else default_db_path())
    owned = [(db, "the run database")]
    owned += [(db.with_name(db.name + suffix), f"the run database's {suffix[1:]} file")
              for suffix in DB_COMPANIONS]  # fmt: skip
    journal = db.with_name(db.stem + STUDIES_JOURNAL)  # runs.study.journal_path's name
    owned.append((journal, "the studies journal"))
    owned.append((journal.with_name(journal.name + ".lock"), "the studies journal's lock"))
    owned.append((db.parent / RUNS_FOLDER, "the runs folder"))
    if files_dir is not None:
        owned.append((_resolved(files_dir) / RUNS_FOLDER, "the runs folder"))
    owned.append((_resolved(settings_path()), "the settings file"))
    return owned


def refuse_owned(
    path: Path | str,
    *,
    what: str = "output",
    db_path: Path | str | None = None,
    store: RunStore | None = None,
    checkpoints: Iterable[str] = (),
) -> None:
    """OwnedPathError in one line when `path` is a file the store owns or lies in the runs
    folder; `store` (or `checkpoints`) adds the checkpoints its runs record."""
    target = _resolved(path)
    files_dir = None
    if store is not None:
        db_path = store.path
        files_dir = getattr(store, "files_dir", None)
        checkpoints = [*checkpoints, *_recorded_checkpoints(store)]
    for owned, name in owned_files(db_path, files_dir):
        if target == owned or (name == "the runs folder" and owned in target.parents):
            where = "" if target == owned else f" (it is inside {owned})"
            raise OwnedPathError(
                f"{what} {path} would overwrite {name}{where}; choose another path"
            )
    for checkpoint in checkpoints:
        if checkpoint and target == _resolved(checkpoint):
            raise OwnedPathError(
                f"{what} {path} would overwrite a run's checkpoint; choose another path"
            )


def refuse_owned_folder(path: Path | str, *, db_path: Path | str | None = None) -> None:
    """A `--out` folder: refused when it is an owned file, the runs folder or inside it, or
    the folder that holds the database (a run's files there would sit beside it)."""
    refuse_owned(path, what="output folder", db_path=db_path)
    db = _resolved(db_path if db_path is not None else default_db_path())
    if _resolved(path) == db.parent:
        raise OwnedPathError(
            f"output folder {path} is the run store's own folder ({db.parent}); "
            "choose another folder"
        )


def _recorded_checkpoints(store: RunStore) -> list[str]:
    paths: list[str] = []
    for run in store.list_runs():
        paths += [p for p in (run.checkpoint, run.best_checkpoint) if p]
    return paths
