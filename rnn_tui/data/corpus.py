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


_VOCAB_SIZES: dict[tuple[str, int, int, str], int] = {}
_VOCAB_SIZES_LOCK = threading.Lock()  # front ends measure from worker threads
_VOCAB_SIZES_KEPT = 64


def vocab_size(path: str | None, mode: str) -> int:
    """The vocabulary size of a corpus after preprocessing; None means The Time Machine.

    The same number load_corpus gives, without torch: front ends call this while they
    start. Cached by (path, size, mtime, mode), so a file edited since is read again.
    """
    preprocess("", mode)  # an unknown mode fails before any read
    file = timemachine_path() if path is None else Path(path).expanduser()
    try:
        stat = file.stat()
        key = (str(file.absolute()), stat.st_size, stat.st_mtime_ns, mode)
    except OSError:
        key = None  # reading it below fails with the one-line reason
    with _VOCAB_SIZES_LOCK:
        if key in _VOCAB_SIZES:
            return _VOCAB_SIZES[key]
    text, _ = _preprocessed_text(path, mode)
    size = len(set(text))
    if key is not None:
        with _VOCAB_SIZES_LOCK:
            if len(_VOCAB_SIZES) >= _VOCAB_SIZES_KEPT:
                _VOCAB_SIZES.clear()
            _VOCAB_SIZES[key] = size
    return size


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
    need = min_corpus_chars(batch_size, num_steps, val_fraction)
    if corpus.chars < need or corpus.train.numel() < batch_size * num_steps + 1:
        raise CorpusError(
            f"corpus too short: {corpus.chars:,} characters after preprocessing; "
            f"batch {batch_size} x {plural(num_steps, 'step')} needs at least {need:,} "
            f"({corpus.source})"
        )


# Callers read these from here: the corpus is where a front end looks for them.
__all__ = [
    "TIMEMACHINE_LABEL",
    "TIMEMACHINE_SHA1",
    "Corpus",
    "Vocab",
    "absolute_corpus_path",
    "check_trainable",
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
