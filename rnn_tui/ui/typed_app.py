"""The one typed way a screen or widget reaches rnn-tui's app (no getattr on the app).

Screens read the app's state through `app_of(node).state`; a widget that may live in another
App (under test) asks `rnn_tui.ui.state.state_of(app)`. Changes go to the app as messages
(rnn_tui.ui.state), and the app, which owns the state, applies them: `remember` and
`share_form_config` post them. Nothing here imports the app at run time (the app imports
the screens, which import this).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rnn_tui.ui.state import FormConfigChanged, SettingsChanged

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from rnn_tui.config import TrainConfig
    from rnn_tui.ui.app import RnnTuiApp


def app_of(node: MessagePump) -> RnnTuiApp:
    """The app of a screen that only rnn-tui's app shows."""
    return cast("RnnTuiApp", node.app)


def remember(node: MessagePump, **changes: Any) -> None:
    """Keep these settings (Settings' field names) for the next session."""
    node.post_message(SettingsChanged(**changes))


def share_form_config(
    node: MessagePump, config: TrainConfig | None, values: dict[str, str]
) -> None:
    """The Train form's last valid config (None: it has none now) and its texts."""
    if config is not None:
        node.post_message(FormConfigChanged(config, values))
    else:
        node.post_message(SettingsChanged(form=values))
