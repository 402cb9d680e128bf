"""The Textual front end: a thin shell of screens over the engine.

Start-up is the Train screen's first frame, so only what it needs is imported here: the
other screens, the run store, plotting of past runs and the command palette's provider
are imported when first shown or used. torch is never imported here: a run is a
process of its own, which this app starts, follows through the run store and stops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.events import Event, Key, MouseDown, Resize
from textual.geometry import Size

from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.follow import attached_line, check_store
from rnn_tui.store import StoreURL, default_db_path
from rnn_tui.ui.blink import BlinkLimit
from rnn_tui.ui.live_messages import (
    LiveChanged,
    QueueEnded,
    QueueUpdated,
    RunAppeared,
    RunEnded,
    StoreTrouble,
)
from rnn_tui.ui.screens.train import TrainScreen
from rnn_tui.ui.state import (
    AppState,
    CheckpointSaved,
    FormConfigChanged,
    HasState,
    SettingsChanged,
    ShownRunChanged,
)
from rnn_tui.ui.stop_and_quit import StopAndQuit
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


class RnnTuiApp(HasState, StopAndQuit, App):
    """Shared state lives in `self.state` (rnn_tui.ui.state); screens read it and post
    messages to change it, which the app applies here. Stopping and quitting:
    rnn_tui.ui.stop_and_quit."""

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
        self,
        *,
        store_path: str | None = None,
        attach: int | None = None,
        fresh: bool = False,
        check_store: bool = False,
    ) -> None:
        """`check_store` (the command line's `rnn-tui`): after the first frame, open the
        store (creating or upgrading it) and find run `attach`, and end the app with the
        refusal (an RnnTuiError as its result) when either fails; without it, a store that
        cannot be read is said in a notice and retried."""
        super().__init__()
        # What the last session left (form, theme, chart options, marks); saved on exit.
        from rnn_tui.settings import Settings, load_settings

        settings, self._settings_notice = (Settings(), None) if fresh else load_settings()
        self._remember_settings = not fresh  # --fresh never writes the remembered settings
        self.state = AppState(settings=settings, store_path=store_path, attach_to=attach)
        # Starts run processes; its watcher thread follows them (or a run started
        # elsewhere) in the store and posts what changed (LiveChanged).
        self.controller = TrainingController(self.post_message, self.run_worker, store_path)
        self._training = self.controller  # what is closed at the end, even if a test swaps it
        self.offered_run: int | None = None  # a run started elsewhere that `a` attaches to
        self._announced_run: int | None = None  # attached to with its own notice
        self._blink = BlinkLimit(self)  # a text cursor blinks a while after a key, then rests
        self._check_store = check_store
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

    async def action_apply_preset(self, name: str) -> None:
        """Fill the Train form from a preset (seed, d2l, best, quick)."""
        (await self._train_screen()).form.apply_preset(name)

    def action_attach_offered(self) -> None:
        """Show the run started elsewhere that a notice offered."""
        run_id = self.offered_run
        if run_id is None or self.controller.running:
            return
        self.offered_run = None
        self.controller.attach(run_id)

    # -- following runs (the watcher posts these; the app owns the queue shown)

    def on_live_changed(self, message: LiveChanged) -> None:
        snapshot = message.snapshot
        if not self.controller.apply(snapshot):
            return  # an older queue's
        self.state.live = snapshot
        run = snapshot.run
        if snapshot.new_run and snapshot.attached and run is not None:
            if run.status == "running" and run.id != self._announced_run:
                self.notify(attached_line(run), title="attached", timeout=6)
        if self.screen_stack:  # none while the app ends
            self.screen.post_message(QueueUpdated(snapshot))

    def on_run_ended(self, message: RunEnded) -> None:
        run, checkpoint = message.run, message.checkpoint
        if checkpoint:
            self.state.latest_checkpoint = checkpoint
        severity = {"finished": "information", "stopped": "warning"}.get(run.status, "error")
        where = f"\ncheckpoint: {checkpoint}" if checkpoint else "\nno checkpoint saved"
        self.notify(
            f"{run.message}{where}",
            title=f"{message.position} run {run.id}: {run.status}".lstrip(),
            severity=severity,  # type: ignore[arg-type]
            timeout=8,
            markup=False,
        )

    def on_queue_ended(self, message: QueueEnded) -> None:
        if message.error:
            self.notify(
                message.error, severity="error", title="training did not start", markup=False
            )
            return
        controller = self.controller
        if message.sweep_id is not None and message.runs > 1 and controller.summary_on_end:
            from rnn_tui.ui.screens.sweep_summary import show_sweep_summary

            show_sweep_summary(self, message.sweep_id, once=True)

    def on_run_appeared(self, message: RunAppeared) -> None:
        """A run started elsewhere: show it, unless a run shows here or the user has
        started editing the form (then a notice offers `a`)."""
        run = message.run
        if self.controller.running:
            return
        train = next((s for s in self.screen_stack if isinstance(s, TrainScreen)), None)
        if train is not None and train.form_edited:
            self.offered_run = run.id
            self.notify(
                f"run {run.id} started outside this app: press a to show it here",
                title="a run started",
                timeout=10,
            )
            return
        self._announced_run = run.id
        self.controller.attach(run.id)
        self.notify(
            f"attached to run {run.id}, started by the command line", title="attached", timeout=6
        )

    def on_store_trouble(self, message: StoreTrouble) -> None:
        self.notify(
            message.error,
            severity=message.severity,  # type: ignore[arg-type]
            title=message.title,
            timeout=8,
            markup=False,
        )

    # -- the Runs screen's actions

    async def clone_into_form(self, run: RunRow) -> bool:
        """Show the Train screen with its form filled from a stored run's settings; False
        (with a notification) when its settings cannot be read."""
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
        # After the first frame: reading the store (and importing SQLAlchemy) is not needed
        # to show it.
        self.call_after_refresh(self._open_store)

    def _open_store(self) -> None:
        if not self._check_store:
            self._training.open(self.state.attach_to)
            return
        self.run_worker(
            self._check_then_follow, name="store", group="store", thread=True, exit_on_error=False
        )

    def _check_then_follow(self) -> None:
        """In a worker thread: check the store as the command line used to before the
        first frame, then follow runs in it, or end the app with the refusal."""
        attach = self.state.attach_to
        try:
            check_store(self.controller.location, attach)
        except RnnTuiError as exc:
            self.call_from_thread(self._refuse_store, exc)
            return
        self.call_from_thread(self._training.open, attach)

    def _refuse_store(self, error: RnnTuiError) -> None:
        self._remember_settings = False  # nothing was shown long enough to change
        self.exit(result=error)

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

    async def on_event(self, event: Event) -> None:
        if isinstance(event, (Key, MouseDown)):
            self._blink.user_acted()
        await super().on_event(event)

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
    """Run the TUI; a run left going prints one line saying how to follow it. A store it
    cannot use (or no run `attach`) ends it with that RnnTuiError raised."""
    ended = RnnTuiApp(attach=attach, fresh=fresh, check_store=True).run()
    if isinstance(ended, RnnTuiError):
        raise ended
    if isinstance(ended, str):
        print(ended)
    return 0
