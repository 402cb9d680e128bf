"""The Train screen's log (#log): the controller's lines as they come, kept to search in.

`TrainLog` is the lowest layer of the Train screen (rnn_tui.ui.screens.train): it writes
what the controller logged since the last repaint, and `/` highlights a text in the log
and jumps from match to match (`n`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import RichLog

from rnn_tui.ui.typed_app import app_of

if TYPE_CHECKING:
    from textual.screen import Screen as _ScreenBase
else:
    _ScreenBase = object  # a layer of TrainScreen, which is the Screen


class TrainLog(_ScreenBase):
    """The log part of the Train screen: the lines it holds, and the search in them."""

    def __init__(self) -> None:
        super().__init__()
        self._log_texts: list[Text] = []  # what the log holds, to highlight a search in
        self._log_index = 0  # how many of the controller's lines the log has taken
        self._log_version = -1  # the controller's log_version at the last repaint
        self._search = ""
        self._match_line = -1

    def _write_intro(self) -> None:
        self._write_log(
            Text(
                "Each epoch logs its perplexities and a text sample here. "
                "Fill the form (or pick a preset), then press ctrl+r.",
                style="dim",
            )
        )

    def _write_log(self, line: Text) -> None:
        self._log_texts.append(line)
        self.query_one("#log", RichLog).write(self._highlighted(line))

    def _clear_log(self) -> None:
        self._log_texts = []
        self.query_one("#log", RichLog).clear()

    def _restart_log(self) -> None:
        """Empty the log; it takes the controller's lines again from the first."""
        self._clear_log()
        self._log_index = 0
        self._log_version = -1

    def _repaint_log(self) -> None:
        controller = app_of(self).controller
        if controller.log_version == self._log_version:
            return
        self._log_version = controller.log_version
        if self._log_index > len(controller.log):  # the controller started a new log
            self._clear_log()
            self._log_index = 0
        new_lines = controller.log[self._log_index :]
        if new_lines:
            self._log_index += len(new_lines)
            variables = self.app.theme_variables
            for line in new_lines:
                style = variables.get(line.style, line.style) if line.style else ""
                self._write_log(Text(line.text, style=style))

    def action_search_log(self) -> None:
        """Ask for a text; the log highlights it and jumps to its first match (n: next)."""
        from rnn_tui.ui.screens.dialogs import TextPrompt

        def searched(text: str | None) -> None:
            if text is not None:
                self.search_log(text)

        hint = "enter finds it (n: next match) · empty: no search · escape cancels"
        self.app.push_screen(TextPrompt("Search the log", self._search, hint), searched)

    def search_log(self, text: str) -> int:
        """Highlight `text` in the log and jump to its first match; how many lines match."""
        self._search = text.strip()
        self._match_line = -1
        log = self.query_one("#log", RichLog)
        log.clear()
        for line in self._log_texts:
            log.write(self._highlighted(line))
        log.auto_scroll = not self._search  # a search holds the log still
        if not self._search:
            log.border_title = None
            log.scroll_end(animate=False)
            return 0
        return self.action_next_match()

    def action_next_match(self) -> int:
        """Jump to the next line holding the search text (from the top after the last)."""
        if not self._search:
            return 0
        log = self.query_one("#log", RichLog)
        needle = self._search.lower()
        matches = [y for y, strip in enumerate(log.lines) if needle in strip.text.lower()]
        # Told in the log's top border: a toast would cover the very line it found.
        if not matches:
            log.border_title = Text(f"not in the log: {self._search}", style="bold")
            return 0
        later = [y for y in matches if y > self._match_line]
        self._match_line = later[0] if later else matches[0]
        log.scroll_to(y=max(self._match_line - 1, 0), animate=False)
        where = f"match {matches.index(self._match_line) + 1} of {len(matches)}"
        log.border_title = Text(f"{where}: {self._search} · n: next", style="bold")
        return len(matches)

    def _highlighted(self, line: Text) -> Text:
        if not self._search:
            return line
        marked = line.copy()
        marked.highlight_regex(re.compile(re.escape(self._search), re.IGNORECASE), "reverse")
        return marked
