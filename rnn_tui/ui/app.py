"""The Textual front end: a thin shell of screens over the engine.

Start-up is the Train screen's first frame, so only what it needs is imported here: the
other screens, the run store, plotting of past runs and the command palette's provider
are imported when first shown or used. torch is never imported here: a run is a
process of its own, which this app starts, follows through the run store and stops.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.events import Resize
from textual.geometry import Size

from rnn_tui.config import TrainConfig
from rnn_tui.runs.follow import ago
from rnn_tui.store import StoreURL, default_db_path
from rnn_tui.ui.screens.quit import LEAVE, STOP, quit_question
from rnn_tui.ui.screens.train import REPAINT_S, STOP_ASKS_AFTER_S, TrainScreen
from rnn_tui.ui.state import (
    AppState,
    CheckpointSaved,
    FormConfigChanged,
    HasState,
    SettingsChanged,
    ShownRunChanged,
)
from rnn_tui.ui.training import TrainingController

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.screen import Screen

    from rnn_tui.store import RunRow

MIN_WIDTH, MIN_HEIGHT = 60, 20
# The screens' keys: mode -> (key, footer label); a key shows its screen (switch_mode).
SCREEN_KEYS = {
    "train": ("f2", "Train"),
    "sample": ("f3", "Sample"),
    "params": ("f4", "Params"),
    "runs": ("f5", "Runs"),
}
# Searches' view: a key of its own, not in the footer (the palette's "Sweeps" and the
# Runs screen's `u` lead there too). A priority key: a TextArea binds F6 to "select line".
SWEEPS_KEY = "f6"


def _sample_screen() -> Screen:
    from rnn_tui.ui.screens.sample import SampleScreen

    return SampleScreen()


def _params_screen() -> Screen:
    from rnn_tui.ui.screens.params import ParamsScreen

    return ParamsScreen()


def _runs_screen() -> Screen:
    from rnn_tui.ui.screens.runs import RunsScreen

    return RunsScreen()


def _sweeps_screen() -> Screen:
    from rnn_tui.ui.screens.sweeps import SweepsScreen

    return SweepsScreen()


def _commands() -> type[Provider]:
    from rnn_tui.ui.commands import RnnTuiCommands

    return RnnTuiCommands


class RnnTuiApp(HasState, App):
    """Shared state lives in `self.state` (rnn_tui.ui.state); screens read it and post
    messages to change it, which the app applies here."""

    TITLE = "rnn-tui"
    SUB_TITLE = "character-level RNN, GRU and LSTM language models"
    CSS_PATH = "app.tcss"
    # Screens are built (and their modules imported) when first shown.
    MODES: ClassVar = {
        "train": TrainScreen,
        "sample": _sample_screen,
        "params": _params_screen,
        "runs": _runs_screen,
        "sweeps": _sweeps_screen,
    }
    DEFAULT_MODE = "train"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"switch_mode({mode!r})", label, id=f"screen.{mode}")
            for mode, (key, label) in SCREEN_KEYS.items()
        ),
        Binding(
            SWEEPS_KEY,
            "switch_mode('sweeps')",
            "Sweeps",
            id="screen.sweeps",
            show=False,
            priority=True,
        ),  # fmt: skip
        Binding("f1,question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+c", "quit", "Quit", id="app.quit", priority=True, show=False),
        Binding("f10", "quit", "Quit", id="app.quit_f10"),
    ]
    # Textual's system commands (themes, keys, quit) plus ours: training, screens, presets.
    COMMANDS: ClassVar = App.COMMANDS | {_commands}

    def __init__(
        self, *, store_path: str | None = None, attach: int | None = None, fresh: bool = False
    ) -> None:
        super().__init__()
        # What the last session left (form, theme, chart options, marks); saved on exit.
        from rnn_tui.settings import Settings, load_settings

        settings, self._settings_notice = (Settings(), None) if fresh else load_settings()
        self._remember_settings = not fresh  # --fresh never writes the remembered settings
        self.state = AppState(settings=settings, store_path=store_path, attach_to=attach)
        # Starts run processes and follows them (or a run started elsewhere) in the store.
        self.controller = TrainingController(self, store_path)
        self._training = self.controller  # what the tick follows, even if a test swaps it
        self._confirming_quit = False
        self._confirming_stop = False
        store = store_title(self.controller.location)
        if store:  # instead of the tagline: another store than the default file is in use
            self.sub_title = store

    # -- the state (screens post these messages; the app owns the change)

    def on_form_config_changed(self, message: FormConfigChanged) -> None:
        self.state.form_config = message.config
        if message.values is not None:
            self.state.settings.form = message.values  # saved when the app exits

    def on_checkpoint_saved(self, message: CheckpointSaved) -> None:
        self.state.latest_checkpoint = message.path

    def on_shown_run_changed(self, message: ShownRunChanged) -> None:
        self.state.shown_run = message.run_id

    def on_settings_changed(self, message: SettingsChanged) -> None:
        settings = self.state.settings
        changed = False
        for name, value in message.changes.items():
            if getattr(settings, name) != value:
                setattr(settings, name, value)
                changed = True
        if changed:
            self.save_settings()

    # Views of `state` kept for code that predates it (tests, the sweep summary).
    @property
    def form_config(self) -> TrainConfig:
        return self.state.form_config

    @form_config.setter
    def form_config(self, config: TrainConfig) -> None:
        self.state.form_config = config  # older callers; new code posts FormConfigChanged

    @property
    def latest_checkpoint(self) -> str | None:
        return self.state.latest_checkpoint

    @latest_checkpoint.setter
    def latest_checkpoint(self, path: str | None) -> None:
        self.state.latest_checkpoint = path  # older callers; new code posts CheckpointSaved

    @property
    def store_path(self) -> str | None:
        return self.state.store_path

    # -- training (the Train screen's keys and the command palette call these)

    async def _train_screen(self) -> TrainScreen:
        if not isinstance(self.screen, TrainScreen):
            await self.switch_mode("train")
        screen = self.screen
        assert isinstance(screen, TrainScreen)
        return screen

    async def action_start_training(self) -> None:
        """Start the Train form's run (or sweep)."""
        await (await self._train_screen()).start_training()

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

    async def action_apply_preset(self, name: str) -> None:
        """Fill the Train form from a preset (seed, d2l, best, quick)."""
        (await self._train_screen()).form.apply_preset(name)

    async def action_quit(self) -> None:
        """Quit; while a run is going, ask once: leave it running (it goes on without this
        app), stop it (and wait for its checkpoint), or cancel."""
        controller = self.controller
        if not controller.running:
            self.exit()
            return
        if self._confirming_quit:
            return
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
                await controller.wait()
                self.exit()

        self.push_screen(quit_question(run_id), answered)

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

    # -- following runs (one tick for every live view)

    def _live_tick(self) -> None:
        controller = self._training
        if controller.launch is None and controller.current is None:
            return
        controller.tick()
        if not self.screen_stack:
            return  # the app is ending: a tick may still come after its last screen went
        screen = self.screen
        if isinstance(screen, TrainScreen):
            try:
                screen.repaint_live()
            except NoMatches:
                pass  # the screen is being built or taken down (the app is ending)

    def _attach_at_start(self) -> None:
        if self.state.attach_to is not None:
            attached = self.controller.attach(self.state.attach_to)
        else:
            attached = self.controller.attach_newest()
        if attached and isinstance(self.screen, TrainScreen):
            self.screen.clear_live()

    # -- the Runs screen's actions

    async def clone_into_form(self, run: RunRow) -> bool:
        """Show the Train screen with its form filled from a stored run's settings; False
        (with a notification) when its settings cannot be read."""
        from rnn_tui.errors import RnnTuiError
        from rnn_tui.ui.screens.runs_snapshot import stored_config

        try:
            config = stored_config(run)
        except RnnTuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return False
        (await self._train_screen()).form.load_config(config)
        self.notify(f"run {run.id}'s settings are in the Train form: change them, then ctrl+r")
        return True

    async def resume_run(self, run_id: int) -> bool:
        """Continue a run under its own id, on the Train screen (as its Start does), when the
        planner's resume rule allows it; False (with the reason) when it does not. The
        planner reads the store in a worker thread."""
        from rnn_tui.errors import RnnTuiError
        from rnn_tui.runs.planner import plan_resume
        from rnn_tui.store import RunStore

        location = self.controller.location

        def plan():  # noqa: ANN202 - the planner's answer
            with RunStore(location) as store:
                return plan_resume(store, run_id)

        answer = await self.controller.plan_in_thread(plan)
        if isinstance(answer, RnnTuiError):
            self.notify(str(answer), severity="warning", title="cannot resume", markup=False)
            return False
        screen = await self._train_screen()
        return screen.start_plan(answer)

    async def open_in_sample(self, checkpoint: str) -> None:
        """Show the Sample screen on this checkpoint."""
        from rnn_tui.ui.screens.sample import SampleScreen

        await self.switch_mode("sample")
        screen = self.screen
        assert isinstance(screen, SampleScreen)
        screen.open_checkpoint(checkpoint)

    async def show_study(self, name: str) -> None:
        """Show the Sweeps screen on study `name`."""
        from rnn_tui.ui.screens.sweeps import SweepsScreen

        await self.switch_mode("sweeps")
        screen = self.screen
        assert isinstance(screen, SweepsScreen)
        screen.show_study(name)

    def action_help(self) -> None:
        """Show every key of the app and of the current screen (F1 or ? again closes it)."""
        from rnn_tui.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.screen))

    # -- a terminal below MIN_WIDTH × MIN_HEIGHT

    def on_mount(self) -> None:
        if self.state.settings.theme in self.available_themes:
            self.theme = self.state.settings.theme
        if self._settings_notice:
            self.notify(self._settings_notice, severity="warning", timeout=10, markup=False)
        self._check_size(self.size)
        self.set_interval(REPAINT_S, self._live_tick)
        # After the first frame: reading the store is not needed to show it.
        self.call_after_refresh(self._attach_at_start)

    def on_unmount(self) -> None:
        self._training.close()

    def watch_theme(self, theme: str) -> None:
        if theme != self.state.settings.theme:
            self.state.settings.theme = theme
            self.save_settings()

    def save_settings(self) -> None:
        from rnn_tui.settings import save_settings

        if not self._remember_settings:
            return
        problem = save_settings(self.state.settings)
        if problem:
            self.notify(problem, severity="warning", markup=False)

    def exit(self, *args: object, **kwargs: object) -> None:
        self.save_settings()
        super().exit(*args, **kwargs)  # type: ignore[arg-type]

    def on_resize(self, event: Resize) -> None:
        self._check_size(event.size)

    def _check_size(self, size: Size) -> None:
        """Cover the screen with one clear line while the terminal is too small; the
        TooSmallScreen follows later resizes itself and leaves when it fits again."""
        if size.width >= MIN_WIDTH and size.height >= MIN_HEIGHT:
            return
        from rnn_tui.ui.screens.too_small import TooSmallScreen

        if any(isinstance(screen, TooSmallScreen) for screen in self.screen_stack):
            return
        self.push_screen(TooSmallScreen(MIN_WIDTH, MIN_HEIGHT))


def store_title(location: StoreURL) -> str:
    """The header's line naming the store, when it is not the default file (the default's
    path is in `rnn-tui runs list`), so nobody writes to another store unawares."""
    if location.path is not None and location.path == default_db_path():
        return ""
    return f"store {location.display}"


def run_app(attach: int | None = None, *, fresh: bool = False) -> int:
    """Run the TUI; a run left going prints one line saying how to follow it."""
    left_running = RnnTuiApp(attach=attach, fresh=fresh).run()
    if isinstance(left_running, str):
        print(left_running)
    return 0
