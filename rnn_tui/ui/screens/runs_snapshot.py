"""What the Runs screen reads from the store: the runs, and the charted runs' new metric rows.

Reads are incremental: for the charted runs only the metric rows past the ones already read
(`after_step`/`after_epoch`), and only for runs whose row changed (status, steps, epochs)
since the last read. The worker builds a `Snapshot` through the screen's `RunsReader`; the
UI thread applies it to the curves read so far (`apply_metrics`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rnn_tui.config import TrainConfig
from rnn_tui.errors import RnnTuiError, StoreError
from rnn_tui.reports.curves import RunMetrics
from rnn_tui.store import RunRow, RunStore
from rnn_tui.store.validate import is_damaged

RECOVER_S = 5.0  # how often runs whose writer died are marked interrupted


@dataclass
class RunCurves(RunMetrics):
    """The metric rows of one run read so far, and the run's row state when read."""

    state: tuple[str, int, int] = ("", -1, -1)  # (status, steps, epochs)


@dataclass
class Snapshot:
    """What one read of the store found (made in the worker, applied on the UI thread)."""

    text_filter: str
    runs: list[RunRow] = field(default_factory=list)
    others: dict[int, RunRow] = field(default_factory=dict)  # charted runs filtered out
    gone: set[int] = field(default_factory=set)  # charted runs no longer in the store
    # run id -> (start afresh?, step rows, epoch rows, row state)
    metrics: dict[int, tuple[bool, list, list, tuple[str, int, int]]] = field(default_factory=dict)
    error: str | None = None


def stored_config(run: RunRow) -> TrainConfig:
    """The run's settings as a TrainConfig; RnnTuiError when they no longer load."""
    if is_damaged(run):
        raise RnnTuiError(f"run {run.id} is damaged in the store ({run.message})")
    try:
        return TrainConfig.from_dict(run.config)
    except (TypeError, ValueError) as exc:
        raise RnnTuiError(f"run {run.id}'s settings do not load: {exc}") from None


def run_state(run: RunRow) -> tuple[str, int, int]:
    return (run.status, run.steps, run.epochs)


def read_snapshot(
    store: RunStore,
    text_filter: str,
    chart_ids: Sequence[int],
    known: dict[int, tuple[tuple[str, int, int], int, int]],
) -> Snapshot:
    """Read the runs and the new metric rows of the charted ones.

    `known` holds, per run id already read, (row state, last step, last epoch). A run whose
    row state has not changed is not read again; a resumed run (back to running) or one
    with fewer steps than read (its abandoned timeline was dropped) is read afresh.
    """
    snap = Snapshot(text_filter)
    snap.runs = store.list_runs(text_filter)
    by_id = {run.id: run for run in snap.runs}
    for run_id in chart_ids:
        run = by_id.get(run_id)
        if run is None:
            try:
                run = store.get_run(run_id)
            except StoreError:
                snap.gone.add(run_id)
                continue
            snap.others[run_id] = run
        state = run_state(run)
        seen = known.get(run_id)
        if seen is not None and seen[0] == state:
            continue
        fresh = (
            seen is None
            or (state[0] == "running" and seen[0][0] != "running")
            or state[1] < seen[1]
            or state[2] < seen[2]
        )
        after_step, after_epoch = (0, 0) if fresh else (seen[1], seen[2])
        steps = store.step_metrics(run_id, after_step=after_step)
        epochs = store.epoch_metrics(run_id, after_epoch=after_epoch)
        for row in epochs:
            row.pop("sample", None)  # the chart never shows it
        snap.metrics[run_id] = (fresh, steps, epochs, state)
    return snap


def known_rows(curves: dict[int, RunCurves]) -> dict[int, tuple[tuple[str, int, int], int, int]]:
    """Per run already read: (row state, last step, last epoch), what `read_snapshot` skips."""
    return {run_id: (c.state, c.last_step, c.last_epoch) for run_id, c in curves.items()}


def apply_metrics(curves: dict[int, RunCurves], snap: Snapshot) -> None:
    """Add a snapshot's metric rows to the curves read so far; drop the runs that are gone."""
    for run_id in snap.gone:
        curves.pop(run_id, None)
    for run_id, (fresh, steps, epochs, state) in snap.metrics.items():
        run_curves = curves.get(run_id)
        if fresh or run_curves is None:
            run_curves = curves[run_id] = RunCurves()
        run_curves.extend(steps, epochs)
        run_curves.state = state


class RunsReader:
    """The Runs screen's one open store: read by its worker, written by its actions."""

    def __init__(self) -> None:
        self.store: RunStore | None = None
        self._last_recover = 0.0

    def open(self, path: str | None) -> RunStore:
        """The store, opened on first use."""
        if self.store is None:
            self.store = RunStore(path)
        return self.store

    def read(
        self,
        path: str | None,
        text_filter: str,
        chart_ids: Sequence[int],
        known: dict[int, tuple[tuple[str, int, int], int, int]],
    ) -> Snapshot:
        """A snapshot (see `read_snapshot`); never raises: a failure is its `error`."""
        try:
            store = self.open(path)
            now = time.monotonic()
            if now - self._last_recover >= RECOVER_S:
                self._last_recover = now
                # Runs whose `rnn-tui train` process died become 'interrupted' (the store
                # does this when opened; this screen keeps one store open).
                store.recover()
            return read_snapshot(store, text_filter, chart_ids, known)
        except RnnTuiError as exc:
            return Snapshot(text_filter, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug: show it, keep the app up
            return Snapshot(text_filter, error=f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
