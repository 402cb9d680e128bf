"""Keys handled in the order they were typed, however many arrive at once.

Textual 8.2.8 forwards every key to the focused widget's queue at once. A key the widget
does not consume (backspace, end, tab, …) then bubbles up the DOM, one queue at a time, and
its binding runs when it reaches the App, after the keys queued behind it were already
typed into the field: "64", end, backspace, backspace, "256" in one read became "642".
A key that moves the focus has the same problem: the keys behind it were already queued
for the field it left. docs/upstream-textual-input-burst.md has the cause and the smallest
reproduction.

`run_in_order` runs a key's binding now, while the widget handles it, and hands a key that
arrives after the focus moved on to the widget that has the focus now. It uses two private
parts of Textual (`App._check_bindings`, `Widget._forward_event`), which is why
pyproject.toml pins Textual's exact version; tests/test_ui_key_burst.py checks both.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget


async def run_in_order(widget: Widget, event: events.Key, *, consumed: bool) -> bool:
    """Handle `event` now if it must not wait behind the keys typed after it.

    `consumed`: the widget types this key itself (the caller then handles it). Returns True
    when the key was handled here (the event is stopped; the caller does nothing more).
    """
    app = widget.app
    focused = app.focused
    if focused is not widget:
        # The focus moved on (tab, a dialog) while this key waited in our queue: it was
        # typed for the widget that has the focus now.
        _stop(event)
        target = focused if focused is not None else app.screen
        target._forward_event(events.Key(event.key, event.character))
        return True
    if consumed:
        return False
    if await app._check_bindings(event.key):
        _stop(event)
        return True
    return False


def forward_paste(widget: Widget, event: events.Paste) -> bool:
    """Hand a paste that arrived after the focus moved on to the focused widget."""
    app = widget.app
    focused = app.focused
    if focused is widget:
        return False
    _stop(event)
    target = focused if focused is not None else app.screen
    target._forward_event(events.Paste(event.text))
    return True


def _stop(event: events.Event) -> None:
    event.stop()
    event.prevent_default()
