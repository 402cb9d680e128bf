"""TooSmallScreen: one clear line instead of a broken layout when the terminal is too small.

The app pushes it when the terminal shrinks below its minimum; it follows the size on its
own and goes away as soon as the terminal is large enough again. While it is shown, the
keys that would open another screen do nothing (ctrl+c and F10 still quit).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Static


def too_small_message(size: Size, min_width: int, min_height: int) -> str:
    return (
        f"rnn-tui needs at least {min_width}×{min_height}; "
        f"this terminal is {size.width}×{size.height}"
    )


class TooSmallScreen(ModalScreen[None]):
    """An opaque screen holding one centred line; dismissed when the terminal grows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "f1,f2,f3,f4,f5,question_mark,ctrl+p,escape",
            "ignore",
            show=False,
            id="too_small.ignore",
        ),
    ]

    DEFAULT_CSS = """
    TooSmallScreen {
        align: center middle;
        background: $background;
        #too-small {
            width: 100%;
            height: auto;
            text-align: center;
            color: $text-warning;
            text-style: bold;
        }
    }
    """

    def __init__(self, min_width: int, min_height: int) -> None:
        super().__init__()
        self.min_width = min_width
        self.min_height = min_height

    def compose(self) -> ComposeResult:
        yield Static(self.message(self.app.size), id="too-small")

    def message(self, size: Size) -> str:
        return too_small_message(size, self.min_width, self.min_height)

    def fits(self, size: Size) -> bool:
        return size.width >= self.min_width and size.height >= self.min_height

    def follow(self, size: Size) -> None:
        """Show the new size, or leave once the terminal is large enough."""
        if self.fits(size):
            if self.is_current:
                self.dismiss(None)
            return
        if self.is_mounted:
            self.query_one("#too-small", Static).update(self.message(size))

    def on_resize(self, event: Resize) -> None:
        self.follow(event.size)

    def on_screen_resume(self) -> None:
        self.follow(self.app.size)  # a screen pushed over it may have hidden a resize

    def action_ignore(self) -> None:
        """Nothing: other screens open once the terminal is large enough."""
