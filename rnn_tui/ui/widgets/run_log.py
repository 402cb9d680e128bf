"""The Train screen's log: the queue's lines as they come, kept to search in.

`RunLog` writes the lines the controller logged since it last looked (`show`), and `/`
(the screen's key) highlights a text in the log and jumps from match to match (`n`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.text import Text

from rnn_tui.runs.follow import LogLine
from rnn_tui.ui.widgets.reflow_log import ReflowLog


class RunLog(ReflowLog):
    """A log that keeps its lines as Text, to highlight a search in them, and wraps them
    again when its width changes (ReflowLog)."""

    DEFAULT_CSS = """
    RunLog {
        height: 1fr;
        min-height: 3;
        border-top: hkey $panel;
        background: $surface;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's spelling
        # min_width: RichLog wraps at 78 columns at least by default, wider than the log
        # is beside the form (lines were cut, with a horizontal scrollbar).
        super().__init__(
            id=id, wrap=True, markup=False, highlight=False, max_lines=5000, min_width=20
        )
        self._texts: list[Text] = []  # what the log holds, to highlight a search in
        self._taken = 0  # how many of the queue's lines the log has taken
        self._version = -1  # the queue's log version at the last look
        self.search = ""
        self.match_line = -1

    def write_intro(self) -> None:
        self.add(
            Text(
                "Each epoch logs its perplexities and a text sample here. "
                "Fill the form (or pick a preset), then press ctrl+r.",
                style="dim",
            )
        )

    def add(self, line: Text) -> None:
        self._texts.append(line)
        self.write(self._highlighted(line))

    def restart(self) -> None:
        """Empty the log; it takes the queue's lines again from the first."""
        self._texts = []
        self.clear()
        self._taken = 0
        self._version = -1

    def show(self, lines: Sequence[LogLine], version: int) -> bool:
        """Write the queue's lines new since the last call; whether any were written."""
        if version == self._version:
            return False
        self._version = version
        if self._taken > len(lines):  # the queue started a new log
            self._texts = []
            self.clear()
            self._taken = 0
        new_lines = lines[self._taken :]
        self._taken += len(new_lines)
        variables = self.app.theme_variables
        for line in new_lines:
            style = variables.get(line.style, line.style) if line.style else ""
            self.add(Text(line.text, style=style))
        return bool(new_lines)

    def find(self, text: str) -> int:
        """Highlight `text` in the log and jump to its first match; how many lines match."""
        self.search = text.strip()
        self.match_line = -1
        self.clear()
        for line in self._texts:
            self.write(self._highlighted(line))
        self.auto_scroll = not self.search  # a search holds the log still
        if not self.search:
            self.border_title = None
            self.scroll_end(animate=False)
            return 0
        return self.next_match()

    def next_match(self) -> int:
        """Jump to the next line holding the search text (from the top after the last)."""
        if not self.search:
            return 0
        needle = self.search.lower()
        matches = [y for y, strip in enumerate(self.lines) if needle in strip.text.lower()]
        # Told in the log's top border: a toast would cover the very line it found.
        if not matches:
            self.border_title = Text(f"not in the log: {self.search}", style="bold")
            return 0
        later = [y for y in matches if y > self.match_line]
        self.match_line = later[0] if later else matches[0]
        self.scroll_to(y=max(self.match_line - 1, 0), animate=False)
        where = f"match {matches.index(self.match_line) + 1} of {len(matches)}"
        self.border_title = Text(f"{where}: {self.search} · n: next", style="bold")
        return len(matches)

    def _highlighted(self, line: Text) -> Text:
        if not self.search:
            return line
        marked = line.copy()
        marked.highlight_regex(re.compile(re.escape(self.search), re.IGNORECASE), "reverse")
        return marked
