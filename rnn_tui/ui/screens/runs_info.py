"""The Runs screen's info lines: what the table shows, the highlighted run, and this app's
training queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnn_tui.reports.compare import fmt_count, fmt_ppl, fmt_seconds
from rnn_tui.store import RunRow
from rnn_tui.store.host import is_this_host

if TYPE_CHECKING:
    from rnn_tui.ui.training import TrainingController


def info_line(
    queue: str, shown: int, filtered: bool, marked: int, sort: str, show_train: bool
) -> str:
    """The line above the table: the queue, how many runs show and are marked, the sort."""
    parts = [queue] if queue else []
    parts.append(f"{shown} run{'s' if shown != 1 else ''}{' matching' if filtered else ''}")
    if marked:
        parts.append(f"{marked} marked")
    parts.append(f"sort {sort}")
    if not show_train:
        parts.append("t: train ppl")
    return " · ".join(parts)


def detail_line(run: RunRow | None, filtered: bool) -> str:
    """The line under the table about the highlighted run (or why there is none)."""
    if run is None:
        if filtered:
            return "no run matches the filter"
        return "no runs yet: start one on the Train screen (F2) or with `rnn-tui train`"
    parts = [f"#{run.id} {run.name}", run.status]
    if run.message:
        parts[-1] += f" ({run.message})"
    if run.hostname and not is_this_host(run.hostname):  # a worker on another machine
        parts[-1] += f" on {run.hostname}"
    if run.params:
        parts.append(f"{fmt_count(run.params)} params")
    parts.append(f"{run.epochs} epoch{'s' if run.epochs != 1 else ''}")
    parts.append(f"{fmt_seconds(run.seconds)}")
    if run.final_val_ppl is not None:
        parts.append(f"final val {fmt_ppl(run.final_val_ppl)}")
    if run.tags:
        parts.append("tags: " + ", ".join(run.tags))
    if run.sweep_id is not None:
        # The index as the CLI, the run's name and the leaderboard show it (trial numbers from 0).
        parts.append(f"sweep {run.sweep_id} #{run.sweep_index or 0} (u)")
    return " · ".join(parts)


def queue_line(controller: TrainingController) -> str:
    """This app's training queue in a few words; empty when nothing runs."""
    if not controller.running:
        return ""
    total = controller.queue_total
    current = controller.current
    run_id = getattr(current, "run_id", None) if current is not None else None
    which = f" (#{run_id})" if run_id is not None else ""
    if total > 1:
        return f"sweep run {controller.queue_index + 1}/{total}{which}"
    # A run this app attached to (started by the command line or a worker) is followed here.
    return f"{'training' if controller.launch is not None else 'following'}{which}"
