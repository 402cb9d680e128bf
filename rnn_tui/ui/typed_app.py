"""The one typed way a screen or widget reaches rnn-tui's app (no getattr on the app).

Screens and widgets read the app's state through these helpers, and change it only through
`remember` and `share_form_config`: the two places where a change is handed to the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from rnn_tui.config import TrainConfig
    from rnn_tui.ui.app import RnnTuiApp


def app_of(node: MessagePump) -> RnnTuiApp:
    """The app of a screen that only rnn-tui's app shows."""
    return cast("RnnTuiApp", node.app)


def rnn_tui_app(node: MessagePump) -> RnnTuiApp | None:
    """rnn-tui's app, or None where `node` lives in another App (a widget under test)."""
    from rnn_tui.ui.app import RnnTuiApp

    app = node.app
    return app if isinstance(app, RnnTuiApp) else None


def remember(node: MessagePump, **changes: Any) -> None:
    """Keep these settings (Settings' field names) for the next session; saved on exit."""
    app = rnn_tui_app(node)
    if app is None:
        return
    for name, value in changes.items():
        if not hasattr(app.settings, name):
            raise ValueError(f"not a setting: {name}")
        setattr(app.settings, name, value)


def share_form_config(
    node: MessagePump, config: TrainConfig | None, values: dict[str, str]
) -> None:
    """The Train form's last valid config (None: it has none now) and its texts."""
    app = rnn_tui_app(node)
    if app is None:
        return
    if config is not None:
        app.form_config = config  # the Params screen shows its model
    app.settings.form = values
