"""Corpus loading: read a text file (or The Time Machine), preprocess it, map it to token ids,
split it; and the vocabulary size of a corpus without torch, for front ends.

Everything here raises `CorpusError` / `VocabError` with one-line messages that name the
file, so front ends print them as is. Reading and preprocessing live in text.py, the
vocabulary and encoding in vocab.py; torch is imported by the functions that need it, so
measuring a corpus's vocabulary (the TUI does while it starts) never loads it.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rnn_tui.data.text import (
    TIMEMACHINE_LABEL,
    TIMEMACHINE_SHA1,
    absolute_corpus_path,
    prepare_prompt,
    preprocess,
    read_text,
    text_sha1,
    timemachine_path,
)
from rnn_tui.data.vocab import Vocab, id_dtype
from rnn_tui.errors import CorpusError
from rnn_tui.plural import plural

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensors elementwise is not equality
class Corpus:
    vocab: Vocab
    train: torch.Tensor  # 1-D token ids in `id_dtype(len(vocab))`; call .long() on slices
    val: torch.Tensor  # the last val_fraction of the text; may be empty
    source: str  # the path as given, or "The Time Machine"
    chars: int  # total characters after preprocessing (train + val)
    sha1: str | None = None  # of the preprocessed text: a checkpoint recognises its corpus


def val_size(chars: int, val_fraction: float) -> int:
    """Characters held out for validation: val_fraction of the text, rounded up."""
    # round() absorbs float noise such as 100 * 0.07 == 7.000000000000001.
    return min(chars, max(0, math.ceil(round(chars * val_fraction, 6))))


def load_corpus(
    path: str | Path | None, preprocess_mode: str = "clean", val_fraction: float = 0.1
) -> Corpus:
    """Read, preprocess, encode and split a corpus; path None means The Time Machine."""
    if not 0 <= val_fraction < 1:
        raise CorpusError(f"val_fraction must be at least 0 and below 1, got {val_fraction}")
    preprocess("", preprocess_mode)  # an unknown mode fails before any read
    text, source = _preprocessed_text(path, preprocess_mode)
    vocab = Vocab.from_text(text)
    import torch

    ids = torch.empty(len(text), dtype=id_dtype(len(vocab)))
    vocab._encode_into(text, ids)
    n_val = val_size(len(text), val_fraction)
    n_train = len(text) - n_val
    # Slices are views of one buffer: no copy.
    return Corpus(
        vocab=vocab,
        train=ids[:n_train],
        val=ids[n_train:],
        source=source,
        chars=len(text),
        sha1=text_sha1(text),
    )


def _preprocessed_text(path: str | Path | None, mode: str) -> tuple[str, str]:
    """The preprocessed text of a corpus (None: The Time Machine) and the name to show."""
    file, source = (timemachine_path(), TIMEMACHINE_LABEL) if path is None else (path, str(path))
    text = preprocess(read_text(file), mode)
    if not text:
        raise CorpusError(f"{source} has no text left after preprocessing with mode {mode!r}")
    return text, source


@dataclass(frozen=True)
class CorpusStats:
    """What the planner needs of a corpus, measured without torch: its length after
    preprocessing, its vocabulary size, and the name to show."""

    chars: int
    vocab_size: int
    source: str


_STATS: dict[tuple[str, int, int, str], CorpusStats] = {}
_STATS_LOCK = threading.Lock()  # front ends measure from worker threads
_STATS_KEPT = 64


def corpus_stats(path: str | Path | None, mode: str = "clean") -> CorpusStats:
    """The length and vocabulary size of a corpus after preprocessing; None: The Time Machine.

    The same numbers load_corpus gives, without torch: the planner and the form call this.
    The one cache of them, by (path, size, mtime, mode), so a file edited since is read again
    and a start reads its corpus once however many runs or fields ask.
    """
    key = _stats_key(path, mode)  # None: reading it below fails with the one-line reason
    with _STATS_LOCK:
        if key in _STATS:
            return _STATS[key]
    text, source = _preprocessed_text(path, mode)
    stats = CorpusStats(chars=len(text), vocab_size=len(set(text)), source=source)
    if key is not None:
        with _STATS_LOCK:
            if len(_STATS) >= _STATS_KEPT:
                _STATS.clear()
            _STATS[key] = stats
    return stats


def _stats_key(path: str | Path | None, mode: str) -> tuple[str, int, int, str] | None:
    """The cache key of a corpus as it is on disk now; None when it cannot be read."""
    preprocess("", mode)  # an unknown mode fails before any read
    file = timemachine_path() if path is None else Path(path).expanduser()
    try:
        stat = file.stat()
    except OSError:
        return None
    return (str(file.absolute()), stat.st_size, stat.st_mtime_ns, mode)


def measured_corpus_stats(path: str | Path | None, mode: str) -> CorpusStats | None:
    """The stats of this corpus if it was measured as it is now; never reads the text (a
    screen asks on its event loop, and measures in a worker when this is None)."""
    try:
        key = _stats_key(path, mode)
    except CorpusError:
        return None
    with _STATS_LOCK:
        return _STATS.get(key) if key is not None else None


def forget_corpus_stats(path: str | Path | None, mode: str) -> None:
    """Measure this corpus again next time (the user says the file changed)."""
    file = timemachine_path() if path is None else Path(path).expanduser()
    name = str(file.absolute())
    with _STATS_LOCK:
        for key in [key for key in _STATS if key[0] == name and key[3] == mode]:
            del _STATS[key]


def vocab_size(path: str | None, mode: str) -> int:
    """The vocabulary size of a corpus after preprocessing (see corpus_stats)."""
    return corpus_stats(path, mode).vocab_size


def corpus_too_short(
    chars: int, batch_size: int, num_steps: int, val_fraction: float, source: str
) -> str | None:
    """Why a corpus of `chars` characters cannot fill one batch, or None when it can."""
    need = min_corpus_chars(batch_size, num_steps, val_fraction)
    if chars >= need:
        return None
    return (
        f"corpus too short: {chars:,} characters after preprocessing; "
        f"batch {batch_size} x {plural(num_steps, 'step')} needs at least {need:,} ({source})"
    )


def min_corpus_chars(batch_size: int, num_steps: int, val_fraction: float) -> int:
    """The shortest preprocessed text whose training split holds batch_size*num_steps+1 ids."""
    need = batch_size * num_steps + 1
    if val_fraction <= 0:
        return need
    # The training split grows by 0 or 1 per added character: start just below and walk up.
    chars = max(need, int(need / (1 - val_fraction)) - 2)
    while chars - val_size(chars, val_fraction) < need:
        chars += 1
    return chars


def check_trainable(corpus: Corpus, batch_size: int, num_steps: int, val_fraction: float) -> None:
    """CorpusError when the corpus cannot fill a single batch of training sequences."""
    # min_corpus_chars makes the training split hold batch_size * num_steps + 1 ids.
    reason = corpus_too_short(corpus.chars, batch_size, num_steps, val_fraction, corpus.source)
    if reason is not None:
        raise CorpusError(reason)


# Callers read these from here: the corpus is where a front end looks for them.
__all__ = [
    "TIMEMACHINE_LABEL",
    "TIMEMACHINE_SHA1",
    "Corpus",
    "CorpusStats",
    "Vocab",
    "absolute_corpus_path",
    "check_trainable",
    "corpus_stats",
    "corpus_too_short",
    "id_dtype",
    "load_corpus",
    "min_corpus_chars",
    "prepare_prompt",
    "preprocess",
    "read_text",
    "timemachine_path",
    "val_size",
    "vocab_size",
]
