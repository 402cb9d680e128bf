"""The one typed way a screen or widget reaches rnn-tui's app (no getattr on the app)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from rnn_tui.ui.app import RnnTuiApp


def app_of(node: MessagePump) -> RnnTuiApp:
    """The app of a screen that only rnn-tui's app shows."""
    return cast("RnnTuiApp", node.app)


def rnn_tui_app(node: MessagePump) -> RnnTuiApp | None:
    """rnn-tui's app, or None where `node` lives in another App (a widget under test)."""
    from rnn_tui.ui.app import RnnTuiApp

    app = node.app
    return app if isinstance(app, RnnTuiApp) else None
