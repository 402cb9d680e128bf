"""What the app knows that more than one screen reads: one typed `AppState` (`app.state`).

Screens and widgets read it; they change it by posting one of the messages below (to the
app), and the app, which owns the state, applies the change and saves the settings. Code that
may run inside another App (a widget under test in a bare App) asks `state_of(app)`, which
is None there: no getattr or hasattr on the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

from rnn_tui.config import TrainConfig
from rnn_tui.settings import Settings

if TYPE_CHECKING:
    from textual.app import App

    from rnn_tui.ui.live_messages import LiveSnapshot


@dataclass
class AppState:
    """The app's shared state; written only by the app (on the messages below)."""

    settings: Settings = field(default_factory=Settings)
    # The Train form's last valid config; the Params screen shows its model.
    form_config: TrainConfig = field(default_factory=TrainConfig)
    # The run store's path; None: the default store.
    store_path: str | None = None
    # The run asked for at start-up (--attach ID); None: the newest live one, if any.
    attach_to: int | None = None
    # The run the Train screen shows (started here or attached to); None before the first.
    shown_run: int | None = None
    # The checkpoint the Sample screen opens by default: the latest run's best.
    latest_checkpoint: str | None = None
    # The watcher's latest snapshot of the queue shown (app.controller holds its curve).
    live: LiveSnapshot | None = None


class HasState:
    """Mixed into the app class: `state_of` recognises the app by it; it holds `state`
    and the views of it that older code reads."""

    state: AppState

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


def state_of(app: App[Any]) -> AppState | None:
    """The app's state, or None when `app` is not rnn-tui's app (a widget in a test App)."""
    return app.state if isinstance(app, HasState) else None


class FormConfigChanged(Message):
    """The Train form holds a new valid config (and these texts, remembered for next time)."""

    def __init__(self, config: TrainConfig, values: dict[str, str] | None = None) -> None:
        super().__init__()
        self.config = config
        self.values = values


class CheckpointSaved(Message):
    """A run saved the checkpoint Sample should open by default."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path


class ShownRunChanged(Message):
    """The Train screen now shows this run (None: none)."""

    def __init__(self, run_id: int | None) -> None:
        super().__init__()
        self.run_id = run_id


class SettingsChanged(Message):
    """Some remembered settings changed: field name -> new value (Settings' fields only)."""

    def __init__(self, **changes: Any) -> None:
        super().__init__()
        unknown = set(changes) - set(Settings.__dataclass_fields__)
        if unknown:
            raise ValueError(f"not a setting: {', '.join(sorted(unknown))}")
        self.changes = changes
