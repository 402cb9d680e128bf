"""Which checkpoint the Sample screen samples from, and what its model is.

The checkpoint field follows the latest run's checkpoint until the user types another path
(or opens one from the Runs screen); from a cold start it is the store's newest run with a
checkpoint. The model behind the path is loaded in a thread worker (torch is imported there,
never on the UI thread) and cached per path + mtime; its info shows under the form.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.screen import Screen
from textual.widgets import Input, Static

from rnn_tui.ui.screens.sample_model import ModelCache, ModelInfo, info_of
from rnn_tui.ui.screens.sample_worker import LatestFound, Loaded, LoadFailed
from rnn_tui.ui.typed_app import app_of

NO_CHECKPOINT = "Train a model first (F2) or enter a checkpoint path"
PRELOAD_AFTER_S = 0.4  # a typed path is loaded once typing pauses this long


class SampleCheckpoint(Screen):
    """The checkpoint part of the Sample screen (which subclasses this and lays it out:
    an Input #checkpoint and a Static #model-info)."""

    def __init__(self) -> None:
        super().__init__()
        self.models = ModelCache()
        self.model_info: ModelInfo | None = None
        self._auto_path: str = ""  # the path we filled in from the latest checkpoint
        self._auto_run: str = ""  # which stored run that path belongs to, when known
        self._preload_timer: Any = None

    def _validate(self) -> object:
        """Check the form again (the screen's fields depend on the model)."""
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        """Follow the latest run's checkpoint unless the user typed another path; from a cold
        start (no run trained in this session), the store's latest run's."""
        latest = app_of(self).state.latest_checkpoint or ""
        field = self.query_one("#checkpoint", Input)
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

        try:
            with RunStore(app_of(self).state.store_path) as store:
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
        field = self.query_one("#checkpoint", Input)
        if field.value.strip() not in ("", self._auto_path):
            return  # the user typed a path meanwhile
        self._auto_path = message.path
        self._auto_run = f"run #{message.run_id} {message.name}"
        with self.prevent(Input.Changed):
            field.value = message.path
        self._set_info(None)
        self._preload()
        self._validate()

    def _checkpoint_path(self) -> str:
        typed = self.query_one("#checkpoint", Input).value.strip()
        return typed or app_of(self).state.latest_checkpoint or ""

    def _checkpoint_typed(self, value: str) -> None:
        """The checkpoint field changed: load the new path once typing pauses."""
        if value.strip() != self._auto_path:
            self._auto_run = ""
        self._set_info(None)
        if self._preload_timer is not None:
            self._preload_timer.stop()
        self._preload_timer = self.set_timer(PRELOAD_AFTER_S, self._preload)

    def open_checkpoint(self, path: str) -> None:
        """Show this checkpoint: fill the field and load its model info now.

        The user chose it (e.g. from the Runs screen), so the field stops following the
        latest run's checkpoint until `l` is pressed.
        """
        self._auto_path = ""
        field = self.query_one("#checkpoint", Input)
        if field.value != path:
            with self.prevent(Input.Changed):
                field.value = path
        if self._preload_timer is not None:
            self._preload_timer.stop()
        self._preload()
        self._validate()

    def action_latest(self) -> None:
        latest = app_of(self).state.latest_checkpoint
        if not latest:
            with self.prevent(Input.Changed):
                self.query_one("#checkpoint", Input).value = ""
            self._auto_path = ""
            self._find_latest(notify=True)
            return
        self._auto_path = latest
        self._auto_run = ""
        self.query_one("#checkpoint", Input).value = latest

    # -- the model behind the path

    def _set_info(self, info: ModelInfo | None, error: str | None = None) -> None:
        self.model_info = info
        widget = self.query_one("#model-info", Static)
        widget.remove_class("-missing", "-error")
        if info is not None:
            named = self._auto_run and info.path == self._auto_path
            run = f"{self._auto_run}  ·  " if named else ""
            widget.update(f"{run}{info.path}  ·  {info.summary}")
        elif error:
            widget.update(error)
            widget.add_class("-error")
        elif self._checkpoint_path():
            widget.update(f"{self._checkpoint_path()}  ·  loading…")
        else:
            widget.update(NO_CHECKPOINT)
            widget.add_class("-missing")

    def _preload(self) -> None:
        path = self._checkpoint_path()
        if not path:
            self._set_info(None)
            return
        if self.model_info is None or self.model_info.path != path:
            self._set_info(None)
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
        if message.info.path == self._checkpoint_path():
            self._set_info(message.info)
            self._validate()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        if message.path == self._checkpoint_path():
            self._set_info(None, message.error)
