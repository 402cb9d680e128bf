"""TextField: Textual's Input that loses no key of a burst and no character of a paste.

Every one-line text field of the app is a TextField: the form's fields, the Sample screen's,
the Runs filter and the prompts (the log search, rename, tags). Keys typed faster than the
app handles them keep their order (key_order.py says why Textual's Input does not), and a
paste keeps every character: Input keeps only a paste's first line, so line breaks (and
tabs) become spaces here instead.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from rnn_tui.ui.widgets.key_order import forward_paste, run_in_order


def one_line(text: str) -> str:
    """`text` on one line: each line break (\\n, \\r\\n, \\r, …) or tab becomes a space; a
    trailing line break is dropped."""
    return " ".join(text.splitlines()).replace("\t", " ")


class TextField(Input):
    """An Input that handles a burst of keys in order and keeps every pasted character."""

    async def _on_key(self, event: events.Key) -> None:
        # Input's own _on_key (later in the MRO) types the printable keys; it is skipped
        # when run_in_order handled the key (the event's default is prevented).
        if await run_in_order(self, event, consumed=event.is_printable) and self.has_focus:
            self._restart_blink()  # as Input does for every key it sees

    def _on_paste(self, event: events.Paste) -> None:
        if forward_paste(self, event):
            return
        event.stop()
        event.prevent_default()  # not Input's _on_paste, which keeps the first line only
        text = one_line(event.text)
        if text:
            self.replace(text, *self.selection)

    def action_paste(self) -> None:
        text = one_line(self.app.clipboard)
        self.replace(text, *self.selection)
