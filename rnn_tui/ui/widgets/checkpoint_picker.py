"""Which checkpoint the Sample screen samples from, and what its model is: `CheckpointPicker`.

The checkpoint field follows the latest run's checkpoint until the user types another path
(or opens one from the Runs screen); from a cold start it is the store's newest run with a
checkpoint. The model behind the path is loaded in a thread worker (torch is imported there,
never on the UI thread) and cached per path + mtime; the picker posts `ModelShown` with the
line that describes it, and the screen shows that line and checks its fields again.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

from rnn_tui.ui.screens.sample_model import ModelCache, ModelInfo, info_of
from rnn_tui.ui.screens.sample_worker import LatestFound, Loaded, LoadFailed
from rnn_tui.ui.state import state_of
from rnn_tui.ui.widgets.text_field import TextField

NO_CHECKPOINT = "Train a model first (F2) or enter a checkpoint path"
PRELOAD_AFTER_S = 0.4  # a typed path is loaded once typing pauses this long


class CheckpointPicker(Horizontal):
    """The checkpoint row: a label and the path field; the model behind the path."""

    class ModelShown(Message):
        """What the picker knows of the model now: `line` describes it; `kind` is
        '' (loaded or loading), 'missing' (no path) or 'error' (it cannot be loaded)."""

        def __init__(self, info: ModelInfo | None, line: str, kind: str) -> None:
            super().__init__()
            self.info = info
            self.line = line
            self.kind = kind

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.models = ModelCache()
        self.info: ModelInfo | None = None
        self._auto_path: str = ""  # the path we filled in from the latest checkpoint
        self._auto_run: str = ""  # which stored run that path belongs to, when known
        self._preload_timer: Any = None

    def compose(self) -> ComposeResult:
        yield Label("checkpoint", classes="wide")
        yield TextField(placeholder="path to a .pt file", compact=True, id="checkpoint")

    @property
    def field(self) -> Input:
        return self.query_one("#checkpoint", Input)

    def _latest(self) -> str:
        state = state_of(self.app)
        return (state.latest_checkpoint if state is not None else None) or ""

    @property
    def path(self) -> str:
        """The path sampled from: the one typed, else the latest run's checkpoint."""
        return self.field.value.strip() or self._latest()

    def follow_latest(self) -> None:
        """Follow the latest run's checkpoint unless the user typed another path; from a
        cold start (no run trained in this session), the store's latest run's."""
        latest = self._latest()
        field = self.field
        if latest and field.value.strip() in ("", self._auto_path) and latest != field.value:
            self._auto_path = latest
            self._auto_run = ""
            with self.prevent(Input.Changed):
                field.value = latest
        if not latest and not field.value.strip():
            self._find_latest()
        self._preload()

    @work(thread=True, exclusive=True, exit_on_error=False, group="latest")
    def _find_latest(self, notify: bool = False) -> None:
        """The newest stored run with a checkpoint (read in a thread: the store is SQLite)."""
        from rnn_tui.checkpoints.choice import latest_sample_checkpoint
        from rnn_tui.errors import RnnTuiError
        from rnn_tui.store import RunStore

        state = state_of(self.app)
        try:
            with RunStore(state.store_path if state is not None else None) as store:
                found = latest_sample_checkpoint(store.list_runs())
        except RnnTuiError as exc:
            found = None
            self.app.call_from_thread(self.notify, str(exc), severity="warning", markup=False)
        if found is not None:
            run, path = found
            self.post_message(LatestFound(path, run.id, run.name))
        elif notify:
            self.app.call_from_thread(self.notify, NO_CHECKPOINT, severity="warning")

    @on(LatestFound)
    def _latest_found(self, message: LatestFound) -> None:
        message.stop()
        field = self.field
        if field.value.strip() not in ("", self._auto_path):
            return  # the user typed a path meanwhile
        self._auto_path = message.path
        self._auto_run = f"run #{message.run_id} {message.name}"
        with self.prevent(Input.Changed):
            field.value = message.path
        self.show_info(None)
        self._preload()

    @on(Input.Changed, "#checkpoint")
    def _typed(self, event: Input.Changed) -> None:
        """The path changed: load the new one once typing pauses (the screen sees the
        event too, and checks its fields)."""
        if event.value.strip() != self._auto_path:
            self._auto_run = ""
        self.show_info(None)
        if self._preload_timer is not None:
            self._preload_timer.stop()
        self._preload_timer = self.set_timer(PRELOAD_AFTER_S, self._preload)

    def open(self, path: str) -> None:
        """Show this checkpoint: fill the field and load its model info now.

        The user chose it (e.g. from the Runs screen), so the field stops following the
        latest run's checkpoint until `l` is pressed.
        """
        self._auto_path = ""
        field = self.field
        if field.value != path:
            with self.prevent(Input.Changed):
                field.value = path
        if self._preload_timer is not None:
            self._preload_timer.stop()
        self._preload()

    def use_latest(self) -> None:
        latest = self._latest()
        if not latest:
            with self.prevent(Input.Changed):
                self.field.value = ""
            self._auto_path = ""
            self._find_latest(notify=True)
            return
        self._auto_path = latest
        self._auto_run = ""
        self.field.value = latest

    # -- the model behind the path

    def show_info(self, info: ModelInfo | None, error: str | None = None) -> None:
        self.info = info
        if info is not None:
            named = self._auto_run and info.path == self._auto_path
            run = f"{self._auto_run}  ·  " if named else ""
            shown = self.ModelShown(info, f"{run}{info.path}  ·  {info.summary}", "")
        elif error:
            shown = self.ModelShown(None, error, "error")
        elif self.path:
            shown = self.ModelShown(None, f"{self.path}  ·  loading…", "")
        else:
            shown = self.ModelShown(None, NO_CHECKPOINT, "missing")
        self.post_message(shown)

    def _preload(self) -> None:
        path = self.path
        if not path:
            self.show_info(None)
            return
        if self.info is None or self.info.path != path:
            self.show_info(None)
            self._load(path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load(self, path: str) -> None:
        from rnn_tui.errors import RnnTuiError

        try:
            loaded = self.models.get(path)
        except RnnTuiError as exc:
            self.post_message(LoadFailed(path, str(exc)))
            return
        except Exception as exc:  # an unexpected failure must not take the app down
            self.post_message(LoadFailed(path, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(Loaded(info_of(path, loaded)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        self.loaded(message)

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        message.stop()
        self.loaded(message)

    def loaded(self, message: Loaded | LoadFailed) -> None:
        """What a load found (this picker's, or the sample worker's: the screen hands it
        over), if it is about the path shown now."""
        path = message.info.path if isinstance(message, Loaded) else message.path
        if path != self.path:
            return
        if self._preload_timer is not None:
            self._preload_timer.stop()  # loaded already: no second load when typing pauses
        if isinstance(message, Loaded):
            self.show_info(message.info)
        else:
            self.show_info(None, message.error)
