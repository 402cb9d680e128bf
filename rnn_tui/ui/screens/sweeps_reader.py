"""What the Sweeps screen reads, in a thread worker: every study's summary, the shown study
whole (runs.studies: leaderboard and importances) and its trials' new metric rows.

Optuna is imported here only when a read runs (never when the app starts); a SQLite store
with no study journal yet reads as no studies and gets no journal file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.studies import StudySummary, StudyView
from rnn_tui.store import RunStore
from rnn_tui.ui.screens.runs_snapshot import RunCurves, Snapshot, read_snapshot

MAX_CURVES = 20  # the best-ranked trials whose curves the chart overlays


@dataclass
class SweepsSnapshot:
    summaries: list[StudySummary] = field(default_factory=list)
    view: StudyView | None = None  # the study asked for (or the newest), read whole
    curves: Snapshot | None = None  # its trials' metric rows
    pending: str | None = None  # the study asked for, not there yet (a search starting)
    asked: str | None = None  # the study the read was asked for (None: the newest)
    error: str | None = None


def charted_runs(view: StudyView) -> list[int]:
    """The runs of the study's best-ranked trials (the leaderboard's order)."""
    return [row.run_id for row in view.rows if row.run_id is not None][:MAX_CURVES]


class SweepsReader:
    """The screen's open store and study storage: opened by the first read, kept."""

    def __init__(self) -> None:
        self.store: RunStore | None = None
        self.storage: Any | None = None

    def read(
        self,
        store_path: str | None,
        name: str | None,
        known: dict[int, tuple[tuple[str, int, int], int, int]],
    ) -> SweepsSnapshot:
        """Never raises: a failure is the snapshot's `error` (one line)."""
        try:
            snap = self._read(store_path, name, known)
        except RnnTuiError as exc:
            snap = SweepsSnapshot(error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug: show it, keep the app up
            snap = SweepsSnapshot(error=f"{type(exc).__name__}: {exc}")
        snap.asked = name
        return snap

    def _read(self, store_path, name, known) -> SweepsSnapshot:  # type: ignore[no-untyped-def]
        from rnn_tui.runs.studies import existing_storage, read_study, study_summaries

        if self.store is None:
            self.store = RunStore(store_path)
        if self.storage is None:
            self.storage = existing_storage(self.store)
            if self.storage is None:
                return SweepsSnapshot(pending=name)
        snap = SweepsSnapshot(study_summaries(self.storage))
        names = [s.name for s in snap.summaries]
        if name is None and names:
            name = names[-1]  # the newest
        if name is None:
            return snap
        if name not in names:
            snap.pending = name
            return snap
        snap.view = read_study(self.store, name, self.storage)
        snap.curves = read_snapshot(self.store, name, charted_runs(snap.view), known)
        return snap

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


__all__ = ["RunCurves", "SweepsReader", "SweepsSnapshot", "charted_runs"]
