"""What the Runs screen does to a run: clone, resume, sample, rename, tag, delete, stop,
open its sweep. Each acts on the highlighted run and writes through the run store."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.planner import default_sample_checkpoint
from rnn_tui.store import RunRow
from rnn_tui.ui.screens.dialogs import TextPrompt, yes_no
from rnn_tui.ui.screens.runs_snapshot import RunCurves, RunsReader
from rnn_tui.ui.typed_app import app_of
from rnn_tui.ui.widgets.runs_table import RunsTable


class RunActions(Screen):
    """The run actions of the Runs screen (which subclasses this and binds their keys)."""

    def __init__(self) -> None:
        super().__init__()
        self.reader = RunsReader()
        self.curves: dict[int, RunCurves] = {}

    @property
    def table(self) -> RunsTable:
        return self.query_one("#runs-table", RunsTable)

    def request_load(self) -> None:
        """Read the store again (the screen does it in a worker)."""
        raise NotImplementedError

    def _highlighted(self, action: str) -> RunRow | None:
        run = self.table.highlighted_run
        if run is None:
            self.notify(f"no run to {action}", severity="warning")
        return run

    async def action_clone(self) -> None:
        """Put the highlighted run's settings in the Train form."""
        run = self._highlighted("clone")
        if run is not None:
            await app_of(self).clone_into_form(run)

    async def action_resume(self) -> None:
        """Continue the highlighted run from its last checkpoint, if the planner's resume
        rule allows it (it says why not)."""
        run = self._highlighted("resume")
        if run is not None:
            await app_of(self).resume_run(run.id)

    async def action_open_sample(self) -> None:
        """Sample from the checkpoint the planner opens by default (the best, else the last)."""
        run = self._highlighted("sample from")
        if run is None:
            return
        try:
            checkpoint = default_sample_checkpoint(run)
        except RnnTuiError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        await app_of(self).open_in_sample(checkpoint)

    def action_rename(self) -> None:
        run = self._highlighted("rename")
        if run is None:
            return

        def renamed(name: str | None) -> None:
            if name is None or name.strip() == run.name:
                return
            self._store_action(lambda store: store.rename(run.id, name))

        self.app.push_screen(TextPrompt(f"Rename run {run.id}", run.name), renamed)

    def action_tag(self) -> None:
        run = self._highlighted("tag")
        if run is None:
            return

        def tagged(text: str | None) -> None:
            if text is None:
                return
            tags = [t.strip() for t in text.split(",")]
            self._store_action(lambda store: store.set_tags(run.id, tags))

        self.app.push_screen(
            TextPrompt(
                f"Tags of run {run.id}",
                ", ".join(run.tags),
                "comma-separated; empty removes them · enter saves · escape cancels",
            ),
            tagged,
        )

    def action_delete(self) -> None:
        run = self._highlighted("delete")
        if run is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if self._store_action(lambda store: store.delete_run(run.id)):
                self.table.marked.discard(run.id)
                self.curves.pop(run.id, None)
                self.notify(f"run {run.id} deleted")

        question = (
            f"Delete run {run.id} ({run.name}), its metrics and its checkpoints? "
            "This cannot be undone."
        )
        self.app.push_screen(yes_no(question, "Delete", "Keep"), answered)

    def action_stop_run(self) -> None:
        """Stop the highlighted run, whoever started it (it saves a checkpoint)."""
        run = self._highlighted("stop")
        if run is None:
            return
        from rnn_tui.runs.processes import stop_run

        outcome: list[str] = []
        if self._store_action(lambda store: outcome.append(stop_run(store, run.id))):
            if outcome == ["stopping"]:
                self.notify(f"run {run.id} is stopping: it saves a checkpoint and ends")
            else:
                self.notify(f"run {run.id}'s process was gone: marked interrupted")

    def action_sweep_summary(self) -> None:
        """The highlighted run's sweep: a search's leaderboard, or a sweep's summary table."""
        run = self._highlighted("summarize")
        if run is None:
            return
        if run.sweep_id is None:
            self.notify(f"run {run.id} is not part of a sweep", severity="warning")
            return
        from rnn_tui.ui.screens.sweep_open import open_sweep

        open_sweep(self, run.sweep_id)

    def _store_action(self, do: Any) -> bool:
        """Run a store write on the UI thread (they take milliseconds); errors notify."""
        try:
            do(self.reader.open(app_of(self).state.store_path))
        except RnnTuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return False
        self.request_load()
        return True
