"""What the Runs screen does to a run: clone, resume, sample, rename, tag, delete, stop,
open its sweep. Each acts on the highlighted run and writes through the run store.

`RunActions` is a part the Runs screen holds (rnn_tui.ui.screens.runs), given the screen:
the screen binds the keys and calls these; each reads the screen's table, writes in a
thread worker (never a store call on the UI thread), and asks the screen to read the store
again after the write."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.planner import default_sample_checkpoint
from rnn_tui.store import RunRow
from rnn_tui.ui.screens.dialogs import TextPrompt, yes_no
from rnn_tui.ui.typed_app import app_of

if TYPE_CHECKING:
    from rnn_tui.ui.screens.runs import RunsScreen


class RunActions:
    """The actions on the Runs screen's highlighted run."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen

    def notify(self, message: str, **options: Any) -> None:
        self.screen.notify(message, **options)

    def _highlighted(self, action: str) -> RunRow | None:
        run = self.screen.table.highlighted_run
        if run is None:
            self.notify(f"no run to {action}", severity="warning")
        return run

    async def clone(self) -> None:
        """Put the highlighted run's settings in the Train form."""
        run = self._highlighted("clone")
        if run is not None:
            await app_of(self.screen).clone_into_form(run)

    async def resume(self) -> None:
        """Continue the highlighted run from its last checkpoint, if the planner's resume
        rule allows it (it says why not)."""
        run = self._highlighted("resume")
        if run is not None:
            await app_of(self.screen).resume_run(run.id)

    async def open_sample(self) -> None:
        """Sample from the checkpoint the planner opens by default (the best, else the last)."""
        run = self._highlighted("sample from")
        if run is None:
            return
        try:
            checkpoint = default_sample_checkpoint(run)
        except RnnTuiError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        await app_of(self.screen).open_in_sample(checkpoint)

    def rename(self) -> None:
        run = self._highlighted("rename")
        if run is None:
            return

        def renamed(name: str | None) -> None:
            if name is None or name.strip() == run.name:
                return
            self._store_action(lambda store: store.rename(run.id, name))

        self.screen.app.push_screen(TextPrompt(f"Rename run {run.id}", run.name), renamed)

    def tag(self) -> None:
        run = self._highlighted("tag")
        if run is None:
            return

        def tagged(text: str | None) -> None:
            if text is None:
                return
            tags = [t.strip() for t in text.split(",")]
            self._store_action(lambda store: store.set_tags(run.id, tags))

        self.screen.app.push_screen(
            TextPrompt(
                f"Tags of run {run.id}",
                ", ".join(run.tags),
                "comma-separated; empty removes them · enter saves · escape cancels",
            ),
            tagged,
        )

    def delete(self) -> None:
        run = self._highlighted("delete")
        if run is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return

            def deleted(_: object) -> None:
                self.screen.table.marked.discard(run.id)
                self.screen.curves.pop(run.id, None)
                self.notify(f"run {run.id} deleted")

            self._store_action(lambda store: store.delete_run(run.id), deleted)

        question = (
            f"Delete run {run.id} ({run.name}), its metrics and its checkpoints? "
            "This cannot be undone."
        )
        self.screen.app.push_screen(yes_no(question, "Delete", "Keep"), answered)

    def stop_run(self) -> None:
        """Stop the highlighted run, whoever started it (it saves a checkpoint)."""
        run = self._highlighted("stop")
        if run is None:
            return
        from rnn_tui.runs.processes import stop_run

        def stopped(outcome: object) -> None:
            if outcome == "stopping":
                self.notify(f"run {run.id} is stopping: it saves a checkpoint and ends")
            else:
                self.notify(f"run {run.id}'s process was gone: marked interrupted")

        self._store_action(lambda store: stop_run(store, run.id), stopped)

    def sweep_summary(self) -> None:
        """The highlighted run's sweep: a search's leaderboard, or a sweep's summary table."""
        run = self._highlighted("summarize")
        if run is None:
            return
        if run.sweep_id is None:
            self.notify(f"run {run.id} is not part of a sweep", severity="warning")
            return
        from rnn_tui.ui.screens.sweep_open import open_sweep

        open_sweep(self.screen, run.sweep_id)

    def _store_action(
        self, do: Callable[[Any], object], done: Callable[[object], None] | None = None
    ) -> None:
        """Run a store write in a thread worker; then, on the UI thread, `done(its result)`
        and a fresh read of the store. An error notifies (and nothing else happens)."""
        screen = self.screen
        app = screen.app
        reader = screen.reader
        path = app_of(screen).state.store_path

        def write() -> None:
            try:
                result = do(reader.open(path))
            except RnnTuiError as exc:
                app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
                return
            app.call_from_thread(self._written, done, result)

        screen.run_worker(write, thread=True, group="runs-write", exit_on_error=False)

    def _written(self, done: Callable[[object], None] | None, result: object) -> None:
        if done is not None:
            done(result)
        self.screen.request_load()
