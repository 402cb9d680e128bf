"""Start on the Train screen: from the form to a launched run process.

`TrainStarter` is a part the Train screen (rnn_tui.ui.screens.train) holds: the app's
start action (ctrl+r, the button, the palette) and a resume from the Runs screen come
here. The planner (rnn_tui.runs.planner) answers in a worker thread: a plan (every run
checked: corpus, sizes, memory), a question (a large sweep asks first) or a refusal; the
controller launches the plan and the live view starts again from a clean log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.plan import RunPlan
from rnn_tui.runs.planner import Question, plan_start

if TYPE_CHECKING:
    from rnn_tui.ui.screens.train import TrainScreen
    from rnn_tui.ui.training import TrainingController
    from rnn_tui.ui.widgets.config_form import ConfigForm


class TrainStarter:
    """The start flow of one Train screen: its form's values to the planner, then to the
    controller."""

    def __init__(self, screen: TrainScreen) -> None:
        self.screen = screen

    @property
    def controller(self) -> TrainingController:
        return self.screen.controller

    @property
    def form(self) -> ConfigForm:
        return self.screen.form

    def notify(self, message: str, **options: Any) -> None:
        self.screen.notify(message, **options)

    async def start_training(self) -> bool:
        """Start the form's run or sweep; False (with a notification) when it cannot."""
        if self.controller.running:
            self.notify("a run is already going: stop it first (k)", severity="warning")
            return False
        form = self.form
        if form.search is not None and form.is_valid:  # a search: its own processes
            from rnn_tui.ui.screens.search_start import start_search

            return await start_search(self.screen, form.search) is not None
        bad = {name: message for name, message in form.errors.items() if name != "sweep"}
        if bad:  # a sweep too large to start without a question is the planner's to ask
            listed = ", ".join(f"{name} {message}" for name, message in bad.items())
            self.notify(
                f"fix the form first: {listed}",
                severity="error",
                title="cannot start",
                markup=False,
            )
            return False
        values = form.values()
        return await self._plan_and_start(values, confirmed=False)

    async def _plan_and_start(self, values: dict[str, str], *, confirmed: bool) -> bool:
        store = self.controller.location.text  # no password: the plan file never holds one
        answer = await self.controller.plan_in_thread(
            lambda: plan_start(values, store=store, confirmed=confirmed)
        )
        if isinstance(answer, Question):
            self._ask_large_sweep(values, answer)
            return False
        if isinstance(answer, RnnTuiError):
            self.controller.refuse(f"rnn-tui: error: {answer}")
            self.screen.clear_live()
            return False
        return self.start_plan(answer)

    def _ask_large_sweep(self, values: dict[str, str], question: Question) -> None:
        from rnn_tui.ui.screens.dialogs import yes_no

        async def answered(start: bool | None) -> None:
            if start:
                await self._plan_and_start(values, confirmed=True)

        self.screen.app.push_screen(
            yes_no(question.text, "Start them", "Cancel", danger=False), answered
        )

    def start_plan(self, plan: RunPlan) -> bool:
        """Launch the plan (a run, a sweep, or a resume) and show it from a clean log: the
        one way a queue starts. False (with a notification) when the controller refuses."""
        try:
            self.controller.start_plan(plan)
        except RnnTuiError as exc:
            self.notify(str(exc), severity="error", title="cannot start", markup=False)
            return False
        self.screen.clear_live()
        return True
