"""ReflowLog: a RichLog that wraps its lines again when its width changes.

A RichLog wraps a line once, at the width it has when the line is written. Lines written
while the Train screen's log was narrow stayed narrow when it was maximized (`g`): an epoch
line was wrapped at about 20 columns on a 120-column screen. This log keeps what it was
given and writes it again at the new width.

A RichLog also sets its virtual size at every write, and Textual's `virtual_size` asks for
a layout of the whole screen when it changes: every widget of the Train screen was arranged
and drawn again for each epoch line (half of the TUI's CPU while it showed a run that logs
an epoch a second). The log's own size does not change with its lines, so here a new line
costs a layout only when it makes a scrollbar appear or go; otherwise the scrollbars are
updated and the log alone is drawn again. This leans on `Widget._refresh_scrollbars` and
`Widget._scroll_update`, internals of the exact Textual version pyproject.toml pins.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.console import RenderableType
from textual.events import Resize
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import RichLog


class ReflowLog(RichLog):
    """A RichLog whose lines always wrap at its current width."""

    # Widget's is Reactive(Size(0, 0), layout=True): see the module's docstring.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self, virtual_size: Size) -> None:
        shown = (self.show_vertical_scrollbar, self.show_horizontal_scrollbar)
        self._refresh_scrollbars()
        if (self.show_vertical_scrollbar, self.show_horizontal_scrollbar) != shown:
            self.refresh(layout=True)  # a scrollbar came or went: the log's content moves
        else:
            self._scroll_update(virtual_size)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What was written and how, to write it again; no more than the log keeps.
        self._written: deque[tuple[RenderableType | object, dict[str, Any]]] = deque(
            maxlen=self.max_lines
        )
        self._wrapped_at = 0  # the width the lines were wrapped at

    def write(self, content: RenderableType | object, *args: Any, **kwargs: Any) -> ReflowLog:
        if args:  # keep the keywords only: write them again the same way
            names = ("width", "expand", "shrink", "scroll_end", "animate")
            kwargs = {**dict(zip(names, args, strict=False)), **kwargs}
        # Until its size is known a RichLog defers the write and calls write again later:
        # recorded then, once.
        if not self._size_known:
            return super().write(content, **kwargs)
        self._written.append((content, kwargs))
        self._wrapped_at = self.scrollable_content_region.width
        # RichLog scrolls to the end after the next screen update, which costs a second
        # one; the virtual size is known at once here (no layout), so scroll in this one.
        scroll_end = kwargs.pop("scroll_end", None)
        super().write(content, **kwargs, scroll_end=False)
        if self.auto_scroll if scroll_end is None else scroll_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        return self

    def clear(self) -> ReflowLog:
        self._written.clear()
        return super().clear()

    def on_resize(self, event: Resize) -> None:
        width = self.scrollable_content_region.width
        if self._size_known and self._written and width and width != self._wrapped_at:
            self._reflow()

    def _reflow(self) -> None:
        at_end = self.scroll_y >= self.max_scroll_y
        height = max(self.virtual_size.height, 1)
        fraction = self.scroll_y / height
        written = list(self._written)
        self.clear()
        for content, kwargs in written:
            self.write(content, **{**kwargs, "scroll_end": False, "animate": False})
        if at_end and self.auto_scroll:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_to(y=round(fraction * self.virtual_size.height), animate=False)
