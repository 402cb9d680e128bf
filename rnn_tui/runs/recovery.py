"""Our rule for a trial whose worker died, on the journal storage (it has no heartbeat):
a running trial whose worker process on this host is gone, or whose run ended in the store
more than a grace period ago without the study being told (its worker, on any host, would
have told it within a second), is failed, its orphaned run process is asked to stop, and
the trial is re-queued once.

Recovery runs under a lock file on this host, so two live workers here never re-queue one
trial twice. On PostgreSQL, Optuna's heartbeat and its retry callback do the same across
hosts.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.runs.processes import stop_run
from rnn_tui.runs.study import (
    HOST_ATTR,
    REASON_ATTR,
    RETRIED_ATTR,
    RETRY_OF_ATTR,
    RUN_ATTR,
    WORKER_ATTR,
    optuna_errors,
)
from rnn_tui.store import RunStore, process_alive

DIED_REASON = "its worker process died"
# A run that ended this long ago while its trial still runs has no worker left to tell it.
UNTOLD_GRACE_S = 120.0


@contextlib.contextmanager
def host_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between this host's workers, held while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def worker_died(trial: Any, host: str) -> bool:
    """Whether the trial's worker ran on `host` and is gone (a trial of another host, or one
    whose worker has not written itself down yet, is not judged)."""
    worker = trial.user_attrs.get(WORKER_ATTR)
    if trial.user_attrs.get(HOST_ATTR) != host or not worker:
        return False
    pid, token = worker
    return not process_alive(int(pid), token)


def run_ended_untold(trial: Any, store: RunStore, now: float | None = None) -> bool:
    """Whether the trial's run ended in the store more than UNTOLD_GRACE_S ago (any host)."""
    run_id = trial.user_attrs.get(RUN_ATTR)
    if run_id is None:
        return False
    try:
        run = store.get_run(int(run_id))
    except StoreError:
        return False
    now = time.time() if now is None else now
    return run.status != "running" and run.ended is not None and now - run.ended > UNTOLD_GRACE_S


def recover_dead_trials(study: Any, store: RunStore, lock_path: Path) -> list[str]:
    """Fail every running trial of this host whose worker died, stop its run, and re-queue it
    once; one line per trial for the log."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    host = socket.gethostname()
    lines: list[str] = []
    with host_lock(lock_path), optuna_errors("cannot recover the study's trials"):
        storage = study._storage
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            if not (worker_died(trial, host) or run_ended_untold(trial, store)):
                continue
            run_id = trial.user_attrs.get(RUN_ATTR)
            if run_id is not None:
                with contextlib.suppress(RnnTuiError):
                    stop_run(store, int(run_id))  # its run process outlived it: end it cleanly
            retry = RETRY_OF_ATTR not in trial.user_attrs
            storage.set_trial_user_attr(trial._trial_id, REASON_ATTR, DIED_REASON)
            if retry:
                storage.set_trial_user_attr(trial._trial_id, RETRIED_ATTR, True)
            try:
                storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            except UpdateFinishedTrialError:
                continue  # it ended meanwhile
            if retry:
                attrs = {RETRY_OF_ATTR: trial.number}
                study.enqueue_trial(trial.params, user_attrs=attrs)
            what = "re-queued" if retry else "not retried again"
            lines.append(f"trial {trial.number} failed: {DIED_REASON}; {what}")
    return lines
