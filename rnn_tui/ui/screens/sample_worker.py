"""The Sample screen's thread workers and the messages they post to it.

A worker never touches a widget: it loads a checkpoint or draws a sample (torch is imported
here, off the UI thread) and posts what it found, in chunks a few times a second.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import replace

from textual.message import Message

from rnn_tui.ui.screens.sample_model import (
    ModelCache,
    ModelInfo,
    SampleRequest,
    chunked,
    info_of,
    sample_note,
    unknown_chars_message,
)

CHUNK_SECONDS = 0.05  # the worker posts what it has at most this often


class Loaded(Message):
    def __init__(self, info: ModelInfo) -> None:
        super().__init__()
        self.info = info


class LoadFailed(Message):
    def __init__(self, path: str, error: str) -> None:
        super().__init__()
        self.path = path
        self.error = error


class Chunk(Message):
    def __init__(self, run: int, text: str) -> None:
        super().__init__()
        self.run = run
        self.text = text


class Finished(Message):
    def __init__(self, run: int, chars: int, seconds: float, note: str) -> None:
        super().__init__()
        self.run = run
        self.chars = chars
        self.seconds = seconds
        self.note = note


class LatestFound(Message):
    def __init__(self, path: str, run_id: int, name: str) -> None:
        super().__init__()
        self.path = path
        self.run_id = run_id
        self.name = name


class Failed(Message):
    def __init__(self, run: int, error: str, field: str | None = None) -> None:
        super().__init__()
        self.run = run
        self.error = error
        self.field = field


def generate_sample(
    post: Callable[[Message], object],
    models: ModelCache,
    run: int,
    request: SampleRequest,
    cancelled: Callable[[], bool],
) -> None:
    """Load the request's model, then post the sample in chunks, and how it ended."""
    from rnn_tui.errors import RnnTuiError
    from rnn_tui.sampling.generate import generate_from

    try:
        loaded = models.get(request.path)
    except RnnTuiError as exc:
        post(LoadFailed(request.path, str(exc)))
        post(Failed(run, str(exc), field="checkpoint"))
        return
    except Exception as exc:
        post(Failed(run, f"{type(exc).__name__}: {exc}"))
        return
    post(Loaded(info_of(request.path, loaded)))
    from rnn_tui.data.corpus import prepare_prompt

    request = replace(request, prompt=prepare_prompt(request.prompt, loaded.config.preprocess))
    missing = loaded.vocab.missing(request.prompt)
    if missing:
        post(Failed(run, unknown_chars_message(missing), field="prompt"))
        return
    seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    note = sample_note(request, seed)
    post(Chunk(run, request.prompt))
    start = time.perf_counter()
    count = 0
    try:
        options = {"temperature": request.temperature, "top_k": request.top_k, "seed": seed}
        chars = generate_from(loaded, request.prompt, request.length, **options)
        for chunk in chunked(chars, CHUNK_SECONDS, cancelled):
            count += len(chunk)
            post(Chunk(run, chunk))
    except Exception as exc:  # VocabError, a model that does not run, …
        post(Failed(run, str(exc) or type(exc).__name__))
        return
    if cancelled():
        note = f"stopped early ({request.length:,} asked) · {note}"
    post(Finished(run, count, time.perf_counter() - start, note))
