"""ReflowLog: a RichLog that wraps its lines again when its width changes.

A RichLog wraps a line once, at the width it has when the line is written. Lines written
while the Train screen's log was narrow stayed narrow when it was maximized (`g`): an epoch
line was wrapped at about 20 columns on a 120-column screen. This log keeps what it was
given and writes it again at the new width.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.console import RenderableType
from textual.events import Resize
from textual.widgets import RichLog


class ReflowLog(RichLog):
    """A RichLog whose lines always wrap at its current width."""

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
        if self._size_known:
            self._written.append((content, kwargs))
            self._wrapped_at = self.scrollable_content_region.width
        return super().write(content, **kwargs)

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
