"""Stopping a run and quitting while one goes: the questions the app asks, and what each
answer does.

Mixed into the app (rnn_tui.ui.app): `k` (stop) asks first once a run has gone on for
more than STOP_ASKS_AFTER_S; quitting while a run goes asks whether to leave it running
(it is a process of its own, followed later with `rnn-tui runs watch`) or to stop it and
wait for its checkpoint. The dialogs are imported when asked, not with the app.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rnn_tui.runs.follow import ago
from rnn_tui.ui.screens.train import STOP_ASKS_AFTER_S, TrainScreen

if TYPE_CHECKING:
    from textual.app import App

    from rnn_tui.ui.training import TrainingController

    _AppBase = App[object]
else:
    _AppBase = object


class StopAndQuit(_AppBase):
    """The app's stop and quit actions; the app sets `controller` (its TrainingController)."""

    controller: TrainingController
    _confirming_quit = False  # a question is showing: the same key does not ask twice
    _confirming_stop = False

    def action_stop_training(self, confirmed: bool = False) -> None:
        """Stop the current run (it saves a checkpoint) and cancel the rest of the queue;
        a run that has gone on for more than STOP_ASKS_AFTER_S asks first."""
        controller = self.controller
        if not controller.running or controller.stopping or self._confirming_stop:
            return
        current = controller.current
        if confirmed or current is None or current.ended:
            self._stop_now()
            return
        age = time.time() - current.run.created
        if age <= STOP_ASKS_AFTER_S:
            self._stop_now()
            return
        from rnn_tui.ui.screens.dialogs import yes_no

        self._confirming_stop = True

        def answered(stop: bool | None) -> None:
            self._confirming_stop = False
            if stop:
                self._stop_now()

        question = (
            f"Stop run {current.run_id}? It has gone on for {ago(age).removesuffix(' ago')}; "
            "it saves a checkpoint and ends (a sweep's queued runs are cancelled)."
        )
        self.push_screen(yes_no(question, "Stop it", "Keep it going"), answered)

    def _stop_now(self) -> None:
        if self.controller.stop() is None:
            return
        for screen in self.screen_stack:
            if isinstance(screen, TrainScreen):
                screen.stop_training()
                return

    async def action_quit(self) -> None:
        """Quit; while a run is going, ask once: leave it running (it goes on without this
        app), stop it (and wait for its checkpoint), or cancel."""
        controller = self.controller
        if not controller.running:
            self.exit()
            return
        if self._confirming_quit:
            return
        from rnn_tui.ui.screens.quit import LEAVE, STOP, quit_question

        self._confirming_quit = True
        current = controller.current
        run_id = current.run_id if current is not None and not current.ended else None

        async def answered(answer: str | None) -> None:
            self._confirming_quit = False
            if answer == LEAVE:
                self.exit(result=self._left_running_line())
            elif answer == STOP:
                controller.summary_on_end = False
                controller.stop()
                self.notify("stopping: saving the checkpoint…", timeout=30)
                # In a worker: the app goes on taking the watcher's messages meanwhile.
                self.run_worker(self._exit_when_stopped(), group="quit")

        self.push_screen(quit_question(run_id), answered)

    async def _exit_when_stopped(self) -> None:
        await self.controller.wait()
        self.exit()

    def _left_running_line(self) -> str:
        """What quitting prints when the run goes on without the app."""
        current = self.controller.current
        if current is not None and not current.ended:
            return (
                f"run {current.run_id} goes on in the background; "
                f"follow it with: rnn-tui runs watch {current.run_id}"
            )
        child = self.controller.launch
        pid = f" (pid {child.pid})" if child is not None else ""
        return f"the training process{pid} goes on in the background; see: rnn-tui runs list"
