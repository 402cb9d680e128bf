"""Which checkpoint of a stored run to sample from: the one rule every front end uses.

The best checkpoint (lowest validation perplexity) when its file is there, else the last
one. Reads only the store's rows and the file system, never torch, so a screen may call it
on the UI thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rnn_tui.errors import RnnTuiError
from rnn_tui.store import RunRow, check_on_this_host


def sample_checkpoint(run: RunRow, *, prefer: str = "best") -> str:
    """The checkpoint to sample from: the best one, else the last (`prefer="last"`: the last
    one, else the best); RnnTuiError if none is saved or none is on disk."""
    order = (run.best_checkpoint, run.checkpoint)
    candidates = [c for c in (order if prefer == "best" else order[::-1]) if c]
    if not candidates:
        raise RnnTuiError(f"run {run.id} has no checkpoint yet (one is saved every epoch)")
    check_on_this_host(run.id, run.hostname, "sample")  # its files are on that host's disk
    for path in candidates:
        if Path(path).is_file():
            return path
    raise RnnTuiError(f"run {run.id}'s checkpoint {candidates[0]} is missing")


def latest_sample_checkpoint(runs: Iterable[RunRow]) -> tuple[RunRow, str] | None:
    """The newest run that has a checkpoint to sample from, and that checkpoint.

    `runs` newest first (as `RunStore.list_runs` gives them); None when no run has one.
    """
    for run in runs:
        try:
            return run, sample_checkpoint(run)
        except RnnTuiError:
            continue
    return None
