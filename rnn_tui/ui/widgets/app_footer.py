"""AppFooter: Textual's Footer with the quit key first, so it is never cut.

The Footer lists the focused widget's keys first and the app's last; at 80 columns the
app's (the screens, help, quit) were cut, so the way out of the app was not on the screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

QUIT_ACTIONS = ("quit", "app.quit")


class AppFooter(Footer):
    """The key bar of every screen: quit, then what Textual's Footer shows, in its order."""

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        first = [key for key in keys if isinstance(key, FooterKey) and key.action in QUIT_ACTIONS]
        yield from first
        yield from (key for key in keys if key not in first)
