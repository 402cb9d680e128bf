"""Keys handled in the order they were typed, however many arrive at once.

Textual 8.2.8 forwards every key to the focused widget's queue at once. A key the widget
does not consume (backspace, end, tab, …) then bubbles up the DOM, one queue at a time, and
its binding runs when it reaches the App, after the keys queued behind it were already
typed into the field: "64", end, backspace, backspace, "256" in one read became "642".
A key that moves the focus or opens a screen has the same problem: the keys behind it were
already queued for the widget it left, and a new screen is mounted asynchronously, so for a
while nothing has the focus the keys were typed for. docs/upstream-textual-input-burst.md
has the cause and the smallest reproduction.

Three parts keep the order:
- `run_in_order` (the text and choice fields) and `KeysInOrder` (every screen) run a key's
  binding when the key arrives, not when it has bubbled up to the App;
- after a binding that may have moved the focus or opened a screen (it posted to the App
  or changed the screen), the keys behind it are held until the App has handled what the
  binding asked for (a focus moves on the App's queue, a pushed screen mounts on its own),
  then handed, in order, to the widget that has the focus now;
- a key that arrives at a widget or screen the focus has left is handed on the same way.

It uses private parts of Textual (`App._check_bindings`, `Widget._forward_event`), which is
why pyproject.toml pins Textual's exact version; tests/test_ui_key_burst*.py check them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary, WeakSet

from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

# Held keys are handed on after this long even if the screen they wait for never settles
# (it was closed before it mounted): a key is late rather than lost.
LONGEST_HOLD_S = 0.5

Typed = events.Key | events.Paste


@dataclass
class _Hold:
    events: list[Typed] = field(default_factory=list)
    waited_for: Screen | None = None  # the screen whose mounting the hold waited for


_holds: WeakKeyDictionary[App, _Hold] = WeakKeyDictionary()
# Screens that have mounted and taken their first focus (or have none to take).
_settled: WeakSet[Screen] = WeakSet()


def keys_are_held(app: App) -> bool:
    """Keys typed earlier wait to be handed on: a key that arrives now goes behind them."""
    return app in _holds


async def run_in_order(widget: Widget, event: events.Key, *, consumed: bool) -> bool:
    """Handle `event` now if it must not wait behind the keys typed after it.

    `consumed`: the widget types this key itself (the caller then handles it). Returns True
    when the key was handled here (the event is stopped; the caller does nothing more).
    """
    app = widget.app
    if keys_are_held(app) or app.focused is not widget:
        # Typed behind a key whose work is not done yet, or for the widget that has the
        # focus now (tab, a dialog, moved it while this key waited in our queue).
        _stop(event)
        hand_on(app, _copy(event))
        return True
    if consumed:
        return False
    if await run_binding(app, event.key):
        _stop(event)
        return True
    return False


def forward_paste(widget: Widget, event: events.Paste) -> bool:
    """Hand a paste that arrived after the focus moved on (or behind held keys) on."""
    app = widget.app
    if app.focused is widget and not keys_are_held(app):
        return False
    _stop(event)
    hand_on(app, _copy(event))
    return True


class KeysInOrder:
    """Every screen of the app: a key that reaches the screen runs its binding now, and a
    key typed for another screen or behind held keys is handed on in order.

    Put it first among a screen's bases. A screen's own `on_key` runs before this one: it
    returns at once while `keys_are_held`, so the held keys keep their turn, and prevents
    the default of a key it handles (else this one would hand it on as well).
    """

    async def _on_key(self, event: events.Key) -> None:
        screen: Screen = self  # type: ignore[assignment]  # a mixin of Screen
        app = screen.app
        if keys_are_held(app) or app.screen is not screen or _unsettled(app):
            _stop(event)
            hand_on(app, _copy(event))
            return
        if await run_binding(app, event.key):
            _stop(event)


def hand_on(app: App, event: Typed) -> None:
    """Give `event` to the widget that has the focus, behind any held key; while the screen
    on top is still mounting (nothing has the focus yet), hold it."""
    hold = _holds.get(app)
    if hold is None and _unsettled(app):
        hold = _start_hold(app)
    if hold is not None:
        hold.events.append(event)
        return
    (app.focused or app.screen)._forward_event(event)


def _unsettled(app: App) -> bool:
    return app.focused is None and app.screen not in _settled


async def run_binding(app: App, key: str) -> bool:
    """Run `key`'s binding now, if it has one; True when one ran. When it may have moved
    the focus or opened a screen, the keys behind it are held until that is done."""
    screen, focused, queued = app.screen, app.focused, app.message_queue_size
    if not await app._check_bindings(key):
        return False
    # A focus() or a pushed screen's work lands on the App's queue (or changed the screen
    # at once); a binding that did neither (backspace, end, a cursor move) holds nothing,
    # so a burst of them costs no extra turn of the App's queue.
    moved = app.screen is not screen or app.focused is not focused
    if (moved or app.message_queue_size != queued) and app not in _holds:
        _start_hold(app)
    return True


def _start_hold(app: App) -> _Hold:
    hold = _holds[app] = _Hold()
    # The App's queue runs what the binding asked of it (a focus() lands there) first.
    app.call_later(_release, app, hold)
    return hold


def _release(app: App, hold: _Hold, *, force: bool = False) -> None:
    if _holds.get(app) is not hold:
        return  # released already
    screen = app.screen
    if not force and _unsettled(app) and hold.waited_for is not screen:
        # A screen still mounting: its own queue runs its mount and resume (where it takes
        # the focus) before this callback, and the App's queue then runs the focus().
        hold.waited_for = screen
        screen.call_later(app.call_later, _release, app, hold)
        app.set_timer(LONGEST_HOLD_S, lambda: _release(app, hold, force=True))
        return
    _settled.add(screen)
    del _holds[app]
    for event in hold.events:
        hand_on(app, event)


def _copy(event: Typed) -> Typed:
    """A fresh event: one that was handled (and stopped) cannot be forwarded again."""
    if isinstance(event, events.Paste):
        return events.Paste(event.text)
    return events.Key(event.key, event.character)


def _stop(event: events.Event) -> None:
    event.stop()
    event.prevent_default()
