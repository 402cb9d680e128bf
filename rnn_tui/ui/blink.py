"""A text cursor blinks for a while after a key or a click, then stays still.

A blinking cursor wakes the TUI twice a second for as long as a field has focus, which on
two cores costs a training run beside it. So the focused field's cursor blinks for
`BLINK_FOR_S` after the user's last key or click, then stays shown without blinking; the
next key starts it again. One timer, restarted by each key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Input

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

BLINK_FOR_S = 10.0


class BlinkLimit:
    """Owned by the app, told of every key and click."""

    def __init__(self, app: App[object]) -> None:
        self.app = app
        self._timer: Timer | None = None
        self._blinking: Input | None = None

    def user_acted(self) -> None:
        """A key or a click: let the focused field blink again, for BLINK_FOR_S."""
        self.app.call_later(self._restart)  # after the key moved the focus, if it does

    def _restart(self) -> None:
        focused = self.app.focused
        if self._blinking is not None and self._blinking is not focused:
            self._blinking.cursor_blink = True  # as Textual leaves an unfocused field
        self._blinking = focused if isinstance(focused, Input) else None
        if self._blinking is None:
            return
        self._blinking.cursor_blink = True
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(BLINK_FOR_S, self._still)

    def _still(self) -> None:
        self._timer = None
        if self._blinking is not None and self._blinking is self.app.focused:
            self._blinking.cursor_blink = False  # shown, without waking the app
