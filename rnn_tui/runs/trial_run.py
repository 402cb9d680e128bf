"""A trial's run: started as an ordinary detached run process, found in the store, and
marked `pruned` when the search stopped it early.

`start_trial_run` is the one place a trial becomes a run process: the trial's values go
through the planner (rnn_tui.runs.planner.plan_start) as a form's or flags' do, and the plan
is launched as any run's is; a config the planner refuses is a failed trial whose reason is
the refusal's one line. No Optuna, no torch.
"""

from __future__ import annotations

import time
from pathlib import Path

from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.runs.planner import Question, plan_start
from rnn_tui.runs.processes import Launch, launch_plan, runs_of_process
from rnn_tui.store import RunStore

CHECKPOINT_SUFFIX = ".pt"


def start_trial_run(values: dict[str, str], store: RunStore, *, name: str) -> Launch:
    """Plan one trial's values (every field as the flags give it) and start the run process
    on the plan, recording into `store`, its output in the run's folder. RnnTuiError (a
    ConfigError for a field) when the planner refuses them or the process cannot start."""
    # StoreURL.text carries no password: the plan file never holds one (the child finds it
    # where this process did: $RNN_TUI_STORE, PGPASSWORD or ~/.pgpass).
    planned = plan_start(values, store=store.url.text, name=name, confirmed=True)
    assert not isinstance(planned, Question)  # confirmed: a trial is one run
    return launch_plan(planned, store.files_dir)


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
