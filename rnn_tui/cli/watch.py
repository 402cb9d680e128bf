"""`rnn-tui runs watch ID` and `rnn-tui runs stop ID`: follow or stop a run from a shell.

`watch` is `tail -f` for a run: its start line, each epoch's line as it ends, its end
line, then it exits. Ctrl-C stops the watching, never the run. No torch, no Textual.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rnn_tui.errors import DamagedRun, NoSuchRun, StoreError
from rnn_tui.reports.lines import end_lines, epoch_lines, start_line
from rnn_tui.runs.follow import RunFollower
from rnn_tui.runs.processes import log_tail, run_log_path, stop_run
from rnn_tui.store import RunStore

POLL_S = 0.25
# The exit code says how the run ended, as `rnn-tui train`'s does.
EXIT_CODES = {"finished": 0, "stopped": 1, "interrupted": 1, "diverged": 3, "error": 2, "pruned": 1}


def watch(
    store: RunStore,
    run_id: int,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    poll_s: float = POLL_S,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr

    def say(text: str, stream: TextIO = out) -> None:
        print(text, file=stream, flush=True)

    run = store.get_run(run_id)  # an unknown id: one line, exit 2
    say(start_line(run))
    follower = RunFollower(store, run_id)
    last_error = ""
    try:
        while True:
            try:
                update = follower.poll()
            except (NoSuchRun, DamagedRun) as exc:  # deleted or damaged meanwhile: no retry
                raise StoreError(f"{exc}; stopped watching") from None
            except StoreError as exc:
                if str(exc) != last_error:  # one message, then quiet retries
                    say(f"rnn-tui: {exc}; retrying", err)
                    last_error = str(exc)
                time.sleep(poll_s)
                continue
            last_error = ""
            for row in update.epochs:
                for line in epoch_lines(row):
                    say(line.text)
            if update.ended:
                for line in end_lines(update.run):
                    say(line.text)
                if update.run.status in ("interrupted", "error"):
                    for line in log_tail(run_log_path(store, run_id), 5):
                        say(f"  log: {line}")
                return EXIT_CODES.get(update.run.status, 1)
            time.sleep(poll_s)
    except KeyboardInterrupt:
        say(f"stopped watching; run {run_id} goes on (rnn-tui runs watch {run_id})", err)
        return 0


def stop(store: RunStore, run_id: int, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    outcome = stop_run(store, run_id)
    if outcome == "requested":
        host = store.get_run(run_id).hostname
        print(
            f"run {run_id} runs on {host}: asked it to stop through the store; it saves a "
            f"checkpoint and ends at its next heartbeat (rnn-tui runs watch {run_id})",
            file=out,
        )
    elif outcome == "stopping":
        print(
            f"run {run_id} is stopping: it saves a checkpoint and ends "
            f"(rnn-tui runs watch {run_id} follows it)",
            file=out,
        )
    else:
        print(f"run {run_id}'s process was gone: not signalled, marked interrupted", file=out)
    return 0
