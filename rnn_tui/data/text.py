"""A corpus's text: The Time Machine shipped in the package, reading a text file with one-line
errors, and the preprocessing modes (whole texts and prompts alike). No torch.

Large texts are handled in chunks of CHUNK_CHARS characters, so memory stays small.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from rnn_tui.config import PREPROCESS_MODES
from rnn_tui.errors import CorpusError

TIMEMACHINE_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"
TIMEMACHINE_FILE = "timemachine.txt"
TIMEMACHINE_LABEL = "The Time Machine"

CHUNK_CHARS = 1 << 22  # 4M characters: 16 MB of UTF-32 per chunk


# --------------------------------------------------------------------------- the Time Machine


def timemachine_path() -> Path:
    """The copy of The Time Machine shipped inside the package (public domain, 179 KB).

    Read in place: no download and no cache, so the default corpus works offline.
    tests/test_corpus.py checks it against TIMEMACHINE_SHA1.
    """
    return Path(__file__).resolve().parent / TIMEMACHINE_FILE


def _reason(exc: object) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return _one_line(exc.strerror)
    text = _one_line(str(exc))
    return text or type(exc).__name__


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- reading


MAX_CORPUS_BYTES = 256 * 1024 * 1024  # a text file this large trains for days on a CPU


def read_text(path: str | Path, *, max_bytes: int = MAX_CORPUS_BYTES) -> str:
    """A text file as str: UTF-8 (a leading BOM is dropped), with \\r\\n turned into \\n.

    Only regular files are read: a FIFO, a device or a directory is refused without waiting
    on it, and so is a file larger than max_bytes (checked before reading, then enforced
    while reading, since a file can grow).
    """
    shown = str(path)
    file = Path(path).expanduser()
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting;
        # fstat on the open descriptor then decides, so no swap after a check can fool it.
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise CorpusError(f"corpus not found: {shown}") from None
    except IsADirectoryError:
        raise CorpusError(f"{shown} is a directory, not a text file") from None
    except PermissionError:
        raise CorpusError(f"cannot read {shown}: permission denied") from None
    except OSError as exc:
        raise CorpusError(f"cannot read {shown}: {_reason(exc)}") from None
    info = os.fstat(fd)
    limit = f"the corpus limit of {_megabytes(max_bytes)}; train on a part of it"
    problem = None
    if stat.S_ISDIR(info.st_mode):
        problem = f"{shown} is a directory, not a text file"
    elif not stat.S_ISREG(info.st_mode):
        problem = f"{shown} is {_file_kind(info.st_mode)}, not a regular text file"
    elif info.st_size > max_bytes:
        problem = f"{shown} is {_megabytes(info.st_size)}, over {limit}"
    if problem is not None:
        os.close(fd)
        raise CorpusError(problem)
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:  # it grew after fstat: read on, up to the limit
                data += handle.read(max_bytes + 1 - len(data))
        except OSError as exc:
            raise CorpusError(f"cannot read {shown}: {_reason(exc)}") from None
        if len(data) > max_bytes:  # it grew after fstat
            raise CorpusError(f"{shown} is over {limit}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Offsets count from the start of the file, BOM included, as a hex editor shows them.
        raise CorpusError(
            f"{shown} is not UTF-8 text: invalid byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None
    del data
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if not text:
        raise CorpusError(f"{shown} is empty")
    return text


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def absolute_corpus_path(path: str | None) -> str | None:
    """A corpus path that means the same file from any working directory (None stays None)."""
    if path is None:
        return None
    return os.path.abspath(os.path.expanduser(path))


def text_sha1(text: str) -> str:
    """SHA-1 of the UTF-8 text, encoded chunk by chunk so memory stays small."""
    sha1 = hashlib.sha1()
    for start in range(0, len(text), CHUNK_CHARS):
        sha1.update(text[start : start + CHUNK_CHARS].encode("utf-8", "surrogatepass"))
    return sha1.hexdigest()


def preprocess(text: str, mode: str) -> str:
    """Normalize text for a character model.

    - "clean": lowercase, every whitespace run becomes one space, ends stripped.
    - "seed": the original student notebook: lowercase, strip every line, drop empty
      lines and join the lines with NO separator. Words at line breaks are glued
      together ("him\\nwas" -> "himwas"); that is the seed's behaviour, kept on purpose
      so its results can be reproduced.
    - "d2l": d2l.ai's `re.sub('[^A-Za-z]+', ' ', text).lower()`: letters and single spaces
      only; line breaks and punctuation become spaces.
    - "raw": unchanged (case and newlines kept).

    Every mode but "raw" first turns a lone \\r (old Mac line ends) into \\n, so a line
    break is one character whatever system wrote the file.
    """
    if mode != "raw" and "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if mode == "clean":
        return _collapse(_WHITESPACE_RUN, text, lower_first=True).strip()
    if mode == "seed":
        # Empty lines strip to "" and vanish in the join, which drops them.
        return "".join(line.strip() for line in text.lower().split("\n"))
    if mode == "d2l":
        return _collapse(_NON_LETTER_RUN, text, lower_first=False)
    if mode == "raw":
        return text
    raise CorpusError(
        f"unknown preprocessing mode {mode!r}; choose one of {', '.join(PREPROCESS_MODES)}"
    )


def prepare_prompt(text: str, mode: str) -> str:
    """A prompt as a model trained with preprocessing `mode` saw its corpus.

    The same normalization as `preprocess`, minus what only makes sense for a whole text
    (stripping the ends): "clean" and "seed" lowercase ("clean" folds whitespace runs into
    one space, "seed" drops line breaks), "d2l" keeps letters and single spaces, "raw"
    changes nothing. A trailing space stays: it tells the model a word has ended.
    """
    if mode == "clean":
        return _WHITESPACE_RUN.sub(" ", text.lower())
    if mode == "seed":
        return "".join(text.lower().split("\n"))
    if mode == "d2l":
        return _NON_LETTER_RUN.sub(" ", text).lower()
    if mode == "raw":
        return text
    raise CorpusError(
        f"unknown preprocessing mode {mode!r}; choose one of {', '.join(PREPROCESS_MODES)}"
    )


_WHITESPACE_RUN = re.compile(r"\s+")
_NON_LETTER_RUN = re.compile("[^A-Za-z]+")


def _collapse(run: re.Pattern[str], text: str, *, lower_first: bool) -> str:
    """`run.sub(" ", text)` (lowercased) chunk by chunk.

    One re.sub over a whole 50 MB text keeps every piece between matches alive at once,
    about 60 bytes per word; chunks bound that. Chunks end at whitespace, which both
    patterns replace and which str.lower() never looks across, so the result is the same
    except where a run spans two chunks and yields a space on each side: drop one.
    """
    pieces: list[str] = []
    ends_with_space = False
    for chunk in _chunks_at_whitespace(text):
        piece = run.sub(" ", chunk.lower()) if lower_first else run.sub(" ", chunk).lower()
        if ends_with_space and piece.startswith(" "):
            piece = piece[1:]
        if piece:
            pieces.append(piece)
            ends_with_space = piece.endswith(" ")
    return "".join(pieces)


def _chunks_at_whitespace(text: str) -> Iterable[str]:
    start = 0
    while start < len(text):
        end = start + CHUNK_CHARS
        if end < len(text):
            space = _WHITESPACE_RUN.search(text, end)
            end = space.start() if space else len(text)
        yield text[start:end]
        start = end


# --------------------------------------------------------------------------- vocabulary
