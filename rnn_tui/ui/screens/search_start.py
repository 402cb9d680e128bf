"""Start the Train form's search: launch `rnn-tui train` with the search's flags, detached,
as a user would type it (runs.search_spec.search_argv), and show its study on the Sweeps
screen. The TUI imports neither torch nor Optuna for it: the child does the work.

A thread waits for the child (so it never lingers as a zombie) and tells its one error
line when it ends on one (a missing corpus, a study name taken).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.processes import Launch, launch
from rnn_tui.runs.search_spec import search_argv
from rnn_tui.store import RunStore
from rnn_tui.ui.typed_app import app_of

if TYPE_CHECKING:
    from textual.screen import Screen

    from rnn_tui.runs.study import StudySpec


# The searches this process started, newest last (their pids: tests clean up by them).
launched: list[Launch] = []


def new_study_name() -> str:
    return time.strftime("sweep-%Y%m%d-%H%M%S")


async def start_search(screen: Screen, spec: StudySpec, name: str | None = None) -> Launch | None:
    """Launch the search (the store is opened and the child started in a thread worker);
    None (with a notification) when it cannot start."""
    app = app_of(screen)
    name = name or new_study_name()
    store_path = app.state.store_path

    def start() -> Launch | RnnTuiError:
        try:
            with RunStore(store_path) as store:
                where, files = store.url.text, store.files_dir  # as a trial's: no password
            return launch(search_argv(spec, name=name, store_path=where), files)
        except RnnTuiError as exc:
            return exc

    started = await screen.run_worker(
        start, thread=True, group="search-start", exit_on_error=False
    ).wait()
    if not isinstance(started, Launch):
        app.notify(str(started), severity="error", title="cannot start", markup=False)
        return None
    child = started
    launched.append(child)

    def wait() -> None:
        code = child.process.wait()
        if code not in (0, None):
            line = child.error_line().removeprefix("rnn-tui: error: ")
            app.call_from_thread(
                app.notify, f"search {name}: {line}", severity="error", markup=False, timeout=15
            )

    app.run_worker(wait, thread=True, group="search-child", exit_on_error=False)
    app.notify(
        f"search {name} started (pid {child.pid}): F6 shows its trials", timeout=6, markup=False
    )
    app.run_worker(app.show_study(name), exit_on_error=False)
    return child
