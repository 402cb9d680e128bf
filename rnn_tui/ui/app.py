"""The Textual front end: a thin shell of screens over the engine.

torch is never imported on the UI thread at start-up: the first frame comes first,
and the training worker imports it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from rnn_tui.config import TrainConfig
from rnn_tui.ui.commands import RnnTuiCommands
from rnn_tui.ui.screens.help import HelpScreen
from rnn_tui.ui.screens.params import ParamsScreen
from rnn_tui.ui.screens.runs import RunsScreen
from rnn_tui.ui.screens.sample import SampleScreen
from rnn_tui.ui.screens.train import QuitScreen, TrainScreen
from rnn_tui.ui.training import TrainingController

MIN_WIDTH, MIN_HEIGHT = 60, 20


class RnnTuiApp(App):
    """Shared state lives here; each screen reads it when shown."""

    TITLE = "rnn-tui"
    SUB_TITLE = "character-level RNN, GRU and LSTM language models"
    CSS_PATH = "app.tcss"
    MODES: ClassVar = {
        "train": TrainScreen,
        "sample": SampleScreen,
        "params": ParamsScreen,
        "runs": RunsScreen,
    }
    DEFAULT_MODE = "train"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "switch_mode('train')", "Train", id="screen.train"),
        Binding("f3", "switch_mode('sample')", "Sample", id="screen.sample"),
        Binding("f4", "switch_mode('params')", "Params", id="screen.params"),
        Binding("f5", "switch_mode('runs')", "Runs", id="screen.runs"),
        Binding("f1,question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+c", "quit", "Quit", id="app.quit", priority=True, show=False),
        Binding("f10", "quit", "Quit", id="app.quit_f10"),
    ]
    # Textual's system commands (themes, keys, quit) plus ours: training, screens, presets.
    COMMANDS: ClassVar = App.COMMANDS | {RnnTuiCommands}

    def __init__(self, *, store_path: str | None = None) -> None:
        super().__init__()
        self.store_path = store_path
        # The Train form's last valid config; the Params screen shows its model.
        self.form_config: TrainConfig = TrainConfig()
        # The checkpoint the Sample screen opens by default: the latest run's.
        self.latest_checkpoint: str | None = None
        # Runs the training queue in a thread worker; the screens read its LiveRuns.
        self.controller = TrainingController(self)
        self._confirming_quit = False

    # -- training (the Train screen's keys and the command palette call these)

    async def _train_screen(self) -> TrainScreen:
        if not isinstance(self.screen, TrainScreen):
            await self.switch_mode("train")
        screen = self.screen
        assert isinstance(screen, TrainScreen)
        return screen

    async def action_start_training(self) -> None:
        """Start the Train form's run (or sweep)."""
        (await self._train_screen()).start_training()

    def action_stop_training(self) -> None:
        """Stop the current run (it saves a checkpoint) and cancel the rest of the queue."""
        if not self.controller.running:
            return
        self.controller.stop()
        for screen in self.screen_stack:
            if isinstance(screen, TrainScreen):
                screen.stop_training()
                return

    async def action_apply_preset(self, name: str) -> None:
        """Fill the Train form from a preset (seed, d2l, best, quick)."""
        (await self._train_screen()).form.apply_preset(name)

    async def action_quit(self) -> None:
        """Quit; while a run is going, ask first, then stop it and wait for its checkpoint."""
        if not self.controller.running:
            self.exit()
            return
        if self._confirming_quit:
            return
        self._confirming_quit = True

        async def answered(stop_and_quit: bool | None) -> None:
            self._confirming_quit = False
            if not stop_and_quit:
                return
            self.controller.stop()
            self.notify("stopping: saving the checkpoint…", timeout=30)
            await self.controller.wait()
            self.exit()

        self.push_screen(QuitScreen(), answered)

    # -- the Runs screen's actions

    async def clone_into_form(self, config: TrainConfig) -> None:
        """Show the Train screen with its form filled from `config`."""
        (await self._train_screen()).form.load_config(config)

    async def resume_run(self, run_id: int) -> bool:
        """Continue a stopped or interrupted run from its last checkpoint, under its own id,
        then show the Train screen; False (with a notification) when it cannot."""
        from rnn_tui.errors import RnnTuiError
        from rnn_tui.store import RunStore
        from rnn_tui.ui.screens.runs import resume_plan

        try:
            with RunStore(self.store_path) as store:
                config, checkpoint = resume_plan(store.get_run(run_id))
            self.controller.start([config], resume=checkpoint, resume_run_id=run_id)
        except RnnTuiError as exc:
            self.notify(str(exc), severity="error", title="cannot resume")
            return False
        await self._train_screen()
        return True

    async def open_in_sample(self, checkpoint: str) -> None:
        """Show the Sample screen on this checkpoint."""
        self.latest_checkpoint = checkpoint
        await self.switch_mode("sample")
        follow = getattr(self.screen, "action_latest", None)  # the field follows it now
        if follow is not None:
            follow()

    def action_help(self) -> None:
        """Show every key of the app and of the current screen (F1 or ? again closes it)."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.screen))


def run_app() -> int:
    RnnTuiApp().run()
    return 0
