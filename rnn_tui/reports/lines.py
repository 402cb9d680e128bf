"""Events and store rows become the lines people read.

The run's start line, one line per epoch ("Epoch N, Loss X, Perplexity Y | val ppl | tok/s")
with its sample, and the end line: `rnn-tui train`, `rnn-tui runs watch` and the TUI's log
all print these words. Plain strings with a style name; each front end draws them. No torch,
no Textual.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from rnn_tui.config import TrainConfig
from rnn_tui.plural import plural
from rnn_tui.store import RunRow
from rnn_tui.training.events import EpochEnd, RunStart, seed_line

END_STYLE = {
    "finished": "success",
    "stopped": "warning",
    "diverged": "error",
    "error": "error",
    "interrupted": "error",
    "pruned": "warning",
}


@dataclass(frozen=True)
class LogLine:
    text: str
    style: str = ""  # "", "dim", "bold", or a theme variable name: success, warning, error


def model_label(config: Mapping[str, Any] | TrainConfig) -> str:
    """'lstm 2x256': the cell, its layers and hidden units."""
    if isinstance(config, TrainConfig):
        config = config.to_dict()
    return f"{config.get('cell', '?')} {config.get('layers', '?')}x{config.get('hidden', '?')}"


def start_line(run: RunRow, *, resumed: bool = False) -> str:
    """A stored run's start, as `runs watch` and the TUI's log show it."""
    config = run.config
    parts = [f"run {run.id} {run.name}: {model_label(config)}"]
    if run.params:
        parts.append(f"{run.params:,} parameters")
    corpus = config.get("corpus") or "The Time Machine"
    parts.append(f"corpus {corpus}")
    if run.device:
        parts.append(f"device {run.device}")
    if resumed:
        parts.append(f"resumed at step {run.steps}")
    return ", ".join(parts)


def start_details(event: RunStart) -> str:
    """What `rnn-tui train` says after the run's label when the trainer starts."""
    resumed = f", resumed at step {event.start_step}" if event.start_step else ""
    return (
        f"{model_label(event.config)}, {event.params_pytorch:,} parameters, "
        f"vocab {event.vocab_size}, {event.train_tokens:,} train / {event.val_tokens:,} "
        f"val chars, {plural(event.steps_per_epoch, 'step')} per epoch, "
        f"device {event.device}{resumed}"
    )


def epoch_lines(row: Mapping[str, Any] | EpochEnd) -> list[LogLine]:
    """An epoch's line (the notebook's words first), and its sample; from an EpochEnd or an
    epoch row of the store."""
    if isinstance(row, EpochEnd):
        row = asdict(row)
    line = seed_line(row["epoch"], row["train_loss"], row["train_ppl"])
    if row.get("val_ppl") is not None:
        line += f" | val ppl {row['val_ppl']:.3f}" + (" *" if row.get("is_best") else "")
    if row.get("tokens_per_s") is not None:
        line += f" | {row['tokens_per_s']:,.0f} tok/s"
    lines = [LogLine(line)]
    if row.get("sample"):
        lines.append(LogLine(f"  {row['sample']!r}", "dim"))
    return lines


def end_headline(
    status: str,
    message: str = "",
    *,
    best_val_ppl: float | None = None,
    tokens_per_s: float | None = None,
    seconds: float | None = None,
) -> str:
    """'finished 572 steps | best val ppl 4.210 | 9,000 tok/s | 12.0 s'. A message that
    already starts with the status is not prefixed with it again."""
    if not message:
        line = status
    elif message.startswith(status):
        line = message
    else:
        line = f"{status}: {message}"
    if best_val_ppl is not None:
        line += f" | best val ppl {best_val_ppl:.3f}"
    if tokens_per_s is not None:
        line += f" | {tokens_per_s:,.0f} tok/s"
    if seconds is not None:
        line += f" | {seconds:.1f} s"
    return line


def end_lines(run: RunRow) -> list[LogLine]:
    """A stored run's end: the headline and where its checkpoints are."""
    line = end_headline(
        run.status,
        run.message,
        best_val_ppl=run.best_val_ppl,
        tokens_per_s=run.tokens_per_s,
        seconds=run.seconds,
    )
    lines = [LogLine(line, END_STYLE.get(run.status, ""))]
    if run.best_checkpoint:
        lines.append(LogLine(f"best checkpoint: {run.best_checkpoint}"))
    if run.checkpoint:
        lines.append(LogLine(f"last checkpoint: {run.checkpoint}"))
    elif run.status != "finished":
        lines.append(LogLine("no checkpoint was saved", "warning"))
    return lines


def ago(seconds: float) -> str:
    """'12 min ago', '40 s ago', '3 h ago'."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def attached_line(run: RunRow, now: float | None = None) -> str:
    now = time.time() if now is None else now
    return f"attached to run {run.id} (started {ago(now - run.created)})"


def short_when(stamp: float) -> str:
    """A run's start time in a table: month-day hour:minute, local time."""
    return time.strftime("%m-%d %H:%M", time.localtime(stamp))
