"""The Runs screen's `u` on a run of a sweep: a search's run opens the Sweeps screen on its
study; a comma-list sweep's run opens the sweep summary as before. Which one it is comes
from the store and the study storage, read in a thread worker (Optuna is imported then, and
only when the store ever held a search)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnn_tui.errors import RnnTuiError
from rnn_tui.store import RunStore
from rnn_tui.ui.screens.sweep_summary import show_sweep_summary
from rnn_tui.ui.typed_app import app_of

if TYPE_CHECKING:
    from textual.screen import Screen


def study_name_of_sweep(store_path: str | None, sweep_id: int) -> str | None:
    """The study behind the store's sweep; None for a comma-list sweep."""
    from rnn_tui.runs.leaderboard import study_of_sweep

    with RunStore(store_path) as store:
        study = study_of_sweep(store, sweep_id)
        return None if study is None else study.study_name


def open_sweep(screen: Screen, sweep_id: int) -> None:
    """Show the sweep's study, or its summary when it is not a search; the store is read in
    a thread worker."""
    app = app_of(screen)
    store_path = app.state.store_path

    def find() -> None:
        from rnn_tui.runs.studies import may_hold_studies

        try:
            with RunStore(store_path) as store:
                searches = may_hold_studies(store)
            # No search was ever run here: a comma-list sweep (Optuna is not imported).
            name = study_name_of_sweep(store_path, sweep_id) if searches else None
        except RnnTuiError as exc:
            app.call_from_thread(app.notify, str(exc), severity="error", markup=False)
            return
        if name is None:
            app.call_from_thread(show_sweep_summary, app, sweep_id)
        else:
            app.call_from_thread(app.run_worker, app.show_study(name), exit_on_error=False)

    screen.run_worker(find, thread=True, group="open-sweep", exit_on_error=False)
