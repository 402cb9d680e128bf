"""A trial's run: started as an ordinary detached run process, found in the store, and
marked `pruned` when the search stopped it early.

`start_trial_run` is the one place a trial becomes a run process; when runs are plans it
hands the trial's values to the planner instead. No Optuna, no torch.
"""

from __future__ import annotations

import time
from pathlib import Path

from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.runs.processes import Launch, launch, runs_of_process, train_argv
from rnn_tui.store import RunStore

CHECKPOINT_SUFFIX = ".pt"


def start_trial_run(values: dict[str, str], store: RunStore, *, name: str) -> Launch:
    """Start `rnn-tui train` on one trial's values (every field as the flags give it),
    recording into `store`, its output in the run's folder. RnnTuiError if it cannot start."""
    argv = train_argv(values, store_path=store_argument(store), name=name)
    return launch(argv, files_dir(store))


def store_argument(store: RunStore) -> str:
    """The store as a child's --store: the SQLite file or the database URL, never with a
    password (the child finds it where this process did: $RNN_TUI_STORE, PGPASSWORD or
    ~/.pgpass)."""
    return store.url.text


def files_dir(store: RunStore) -> Path:
    """Where this host keeps the store's run folders and launch logs."""
    return store.files_dir


def wait_for_run(store: RunStore, child: Launch, timeout: float = 600.0) -> int | None:
    """The id of the run `child` created, once it has; None when the child ended without one
    (its values were refused: `child.error_line()` says why)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        exited = child.returncode is not None
        runs = runs_of_process(store, child.pid, since=child.started)
        if runs:
            return runs[0].id
        if exited:
            return None
        time.sleep(0.1)
    raise RnnTuiError(f"the trial's process (pid {child.pid}) made no run in {timeout:g} s")


def mark_pruned(store: RunStore, run_id: int, message: str, *, keep_checkpoints: bool) -> None:
    """The stopped run of a pruned trial becomes `pruned` (its curve stays); its checkpoint
    files are removed unless kept, so a search leaves best.pt only for finished trials."""
    fields: dict[str, object] = {"status": "pruned", "message": message}
    if not keep_checkpoints:
        folder = store.run_dir_path(run_id)
        for path in sorted(folder.glob(f"*{CHECKPOINT_SUFFIX}")) if folder.is_dir() else []:
            try:
                path.unlink()
            except OSError as exc:
                raise StoreError(f"cannot remove {path}: {exc.strerror or exc}") from None
        fields.update(checkpoint=None, best_checkpoint=None)
    store.update_run(run_id, **fields)


def checkpoint_files(store: RunStore, run_id: int) -> list[Path]:
    folder = store.run_dir_path(run_id)
    return sorted(folder.glob(f"*{CHECKPOINT_SUFFIX}")) if folder.is_dir() else []
