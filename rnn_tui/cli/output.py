"""What `rnn-tui train` prints: styled on a terminal, plain lines elsewhere, JSON for scripts."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from rnn_tui import strict_json
from rnn_tui.cli.process import discard_stdout
from rnn_tui.reports.lines import epoch_lines, start_details
from rnn_tui.training.events import EpochEnd, Event, RunEnd, RunStart, StepEnd, event_to_dict

if TYPE_CHECKING:
    from rnn_tui.runs.session import RunSession


class _PipeConsole(Console):
    """rich exits the process on a closed pipe; here the run must stop and be recorded first."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


class Output:
    """Everything `train` prints on stdout, styled on a terminal and plain lines elsewhere.

    Text from users and models (run names, paths, samples) is never read as markup. A
    closed pipe (`| head -1`) is not an error: output stops and `on_closed` is called once.
    """

    def __init__(self, on_closed: Callable[[], None] = lambda: None):
        self.console: Console = _PipeConsole(highlight=False)
        self.terminal = self.console.is_terminal
        if not self.terminal:  # plain lines: no colour, no wrapping, no cursor moves
            self.console = _PipeConsole(
                highlight=False, color_system=None, soft_wrap=True, width=200, force_terminal=False
            )
        self.on_closed = on_closed
        self.closed = False

    def line(self, text: str | Text) -> None:
        self.call(self.console.print, text if isinstance(text, Text) else Text(text))

    def call(self, write: Callable[..., None], *args: Any) -> None:
        if self.closed:
            return
        try:
            write(*args)
            self.console.file.flush()
        except BrokenPipeError:
            self.closed = True
            discard_stdout()
            self.on_closed()


class ConsoleReporter:
    """Turns trainer events into a progress bar and one log line per epoch."""

    def __init__(self, output: Output, quiet: bool, label: str = ""):
        self.output = output
        self.quiet = quiet or not output.terminal  # a bar in a file is escape codes
        self.label = label
        self.progress: Progress | None = None
        self.task = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStart):
            self._start(event)
        elif isinstance(event, StepEnd):
            if self.progress is not None:
                self.progress.update(
                    self.task,
                    completed=event.step,
                    status=f"loss {event.loss:.3f}  {event.tokens_per_s:,.0f} tok/s",
                )
        elif isinstance(event, EpochEnd):
            for line in epoch_lines(event):
                self.output.line(Text(line.text, style=line.style))
        elif isinstance(event, RunEnd) and self.progress is not None:
            self.progress.stop()

    def _start(self, event: RunStart) -> None:
        self.output.line(Text.assemble((self.label or "run", "bold"), f": {start_details(event)}"))
        if self.quiet:
            return
        self.progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}", markup=False),
            console=self.output.console,
            transient=True,
        )
        self.task = self.progress.add_task(
            "steps", total=event.total_steps, completed=event.start_step, status=""
        )
        self.progress.start()


class JsonReporter:
    """`--json`: one JSON object per event on stdout, with the run's id, for scripts."""

    def __init__(self, output: Output, session: RunSession | None = None):
        self.output = output
        self.session = session

    def __call__(self, event: Event) -> None:
        record = event_to_dict(event)
        if self.session is not None and self.session.run_id is not None:
            record["run_id"] = self.session.run_id
        self.output.call(_write_json_line, record)


def _write_json_line(record: dict[str, Any]) -> None:
    sys.stdout.write(strict_json.dumps(record) + "\n")
