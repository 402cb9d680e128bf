"""What the Sample screen knows besides its widgets: the request and its fields' rules, the
loaded models (cached per path and mtime), and the lines that describe a model or a sample."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rnn_tui.checkpoints.files import LoadedModel

CACHE_SIZE = 2  # loaded models kept in memory


@dataclass(frozen=True)
class SampleRequest:
    path: str
    prompt: str
    length: int
    temperature: float
    top_k: int | None
    seed: int | None  # None: a random seed, chosen and shown


@dataclass(frozen=True)
class ModelInfo:
    path: str
    summary: str  # e.g. "LSTM 2×384 · vocab 28 · val ppl 4.21 · step 1200"
    chars: tuple[str, ...]  # the vocabulary, to check a prompt before generating
    preprocess: str = "raw"  # the run's preprocessing: a prompt goes through it too


def prompt_note(typed: str, prepared: str, mode: str) -> str:
    """One line saying how the prompt was changed to match the run's corpus ('' if not)."""
    if typed == prepared:
        return ""
    what = "letters and spaces only" if mode == "d2l" else "lowercased"
    return f"prompt {what}, as the run's {mode!r} preprocessing did to its corpus"


def describe_model(loaded: LoadedModel) -> str:
    config = loaded.config
    parts = [
        f"{config.cell.upper()} {config.layers}×{config.hidden}",
        f"vocab {len(loaded.vocab)}",
    ]
    progress = loaded.payload.get("progress") or {}
    ppl = progress.get("best_val_ppl")
    if isinstance(ppl, (int, float)) and math.isfinite(ppl):
        parts.append(f"val ppl {ppl:.2f}")
    step = progress.get("step")
    if isinstance(step, int):
        parts.append(f"step {step:,}")
    return " · ".join(parts)


def list_chars(chars: list[str]) -> str:
    """Characters as the user can read them: repr for whitespace and the like."""
    return ", ".join(repr(c) for c in chars)


def unknown_chars_message(missing: list[str]) -> str:
    return (
        f"The model does not know {list_chars(missing)}: "
        "change the prompt or sample from a model trained on them"
    )


class ModelCache:
    """Loaded checkpoints keyed by resolved path, mtime and size; thread-safe."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int, int], LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str) -> LoadedModel:
        """Raises CheckpointError (missing, corrupt, foreign file)."""
        from rnn_tui.checkpoints.files import load_model
        from rnn_tui.errors import CheckpointError

        file = Path(path).expanduser()
        try:
            stat = file.stat()
        except OSError:
            raise CheckpointError(f"checkpoint not found: {path}") from None
        key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        loaded = load_model(file)
        with self._lock:
            self._items[key] = loaded
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return loaded


def parse_sample_field(name: str, text: str) -> Any:
    """A Sample field's value by the engine's rule for that option (sample_options), its
    label first in a message; an empty top-k or seed is None (all characters, a fresh seed)."""
    from rnn_tui.sampling.options import parse_sample_option

    label = name.replace("_", "-")
    if not text.strip():
        if name in ("top_k", "seed"):
            return None
        raise ValueError(f"{label} is required")
    try:
        return parse_sample_option(name, text)
    except ValueError as exc:
        raise ValueError(f"{label} {exc}") from None


def info_of(path: str, loaded: LoadedModel) -> ModelInfo:
    """What the screen shows and checks a prompt against, from a loaded checkpoint."""
    return ModelInfo(
        path, describe_model(loaded), tuple(loaded.vocab.chars), loaded.config.preprocess
    )


def sample_note(request: SampleRequest, seed: int) -> str:
    """The settings a sample was drawn with, for the status line."""
    note = f"seed {seed}" + ("" if request.seed is not None else " (random)")
    note += f" · temperature {request.temperature:g}"
    if request.top_k is not None:
        note += f" · top-k {request.top_k}"
    return note


def chunked(chars: Iterable[str], seconds: float, stop: Callable[[], bool]) -> Iterator[str]:
    """The characters joined into one chunk per `seconds`, until `stop()` says so."""
    buffer: list[str] = []
    last = time.perf_counter()
    for char in chars:
        if stop():
            break
        buffer.append(char)
        now = time.perf_counter()
        if now - last >= seconds:
            yield "".join(buffer)
            buffer.clear()
            last = now
    if buffer:
        yield "".join(buffer)
