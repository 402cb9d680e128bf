"""Start and Stop on the Train screen: from the form to a launched queue.

`TrainStart` is the top layer under the Train screen (rnn_tui.ui.screens.train): the
app's start action (ctrl+r, the button, the palette) and a resume from the Runs screen
come here. A large sweep asks first; every run of the queue is checked (corpus, sizes,
memory) before a process starts; the controller launches it and the live view starts
again from a clean log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from rnn_tui.config import SWEEPABLE, TrainConfig
from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.sweep import SWEEP_CONFIRM_RUNS, SWEEP_MAX_RUNS, sweep_size
from rnn_tui.ui.screens.train_live import LiveView

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from rnn_tui.ui.training_queue import StartOptions


class TrainStart(LiveView):
    """The start and stop flow of the Train screen."""

    def start_training(self) -> bool:
        """Start the form's run or sweep; False (with a notification) when it cannot."""
        if self.controller.running:
            self.notify("a run is already going: stop it first (k)", severity="warning")
            return False
        form = self.form
        if form.search is not None and form.is_valid:  # a search: its own processes
            from rnn_tui.ui.screens.search_start import start_search

            return start_search(self, form.search) is not None
        values = form.values()
        if set(form.errors) == {"sweep"}:  # too many runs to start without a question
            swept = {k: v for k, v in values.items() if k in SWEEPABLE and "," in v}
            runs = sweep_size(swept)
            if SWEEP_CONFIRM_RUNS < runs <= SWEEP_MAX_RUNS:
                self._ask_large_sweep(values, runs)
                return False
        if not form.is_valid:
            bad = ", ".join(f"{name} {message}" for name, message in form.errors.items())
            self.notify(
                f"fix the form first: {bad}", severity="error", title="cannot start", markup=False
            )
            return False
        return self._check_and_start(values, form.configs)

    def _ask_large_sweep(self, values: dict[str, str], runs: int) -> None:
        from rnn_tui.ui.screens.dialogs import yes_no
        from rnn_tui.ui.widgets.config_form import build_configs

        def answered(start: bool | None) -> None:
            if not start:
                return
            try:
                configs = build_configs(values, confirmed=True)
            except RnnTuiError as exc:
                self.notify(str(exc), severity="error", title="cannot start", markup=False)
                return
            self._check_and_start(values, configs, confirmed=True)

        question = (
            f"Start a sweep of {runs:,} runs? That is more than {SWEEP_CONFIRM_RUNS}; "
            "they run one after another."
        )
        self.app.push_screen(yes_no(question, "Start them", "Cancel", danger=False), answered)

    def _check_and_start(
        self, values: dict[str, str], configs: list[TrainConfig], *, confirmed: bool = False
    ) -> bool:
        """Check every run of the queue (corpus, sizes, memory) before a process starts."""
        from rnn_tui.runs.preflight import check_configs

        try:
            check_configs(configs)
        except RnnTuiError as exc:
            self.controller.refuse(f"rnn-tui: error: {exc}")
            self.clear_live()
            return False
        return self.start_queue(values, count=len(configs), confirmed=confirmed)

    def start_queue(self, values: dict[str, str] | None, **options: Unpack[StartOptions]) -> bool:
        """Launch the run (or sweep) and show it from a clean log: the one way a queue
        starts (Start, the palette, and resuming a run from the Runs screen). False (with a
        notification) when the controller refuses."""
        try:
            self.controller.start(values, **options)
        except RnnTuiError as exc:
            self.notify(str(exc), severity="error", title="cannot start")
            return False
        self.clear_live()
        return True

    def stop_training(self) -> None:
        """Write that the run is stopping (the app's action sent the signal)."""
        self._write_log(Text("stopping: the run saves a checkpoint after this step…", style="bold"))
        self._update_buttons()
