"""Corpus loading: read a text file (or The Time Machine), preprocess it, map it to token ids.

Everything here raises `CorpusError` / `VocabError` with one-line messages that name the
file, so front ends print them as is. Encoding goes through torch in chunks: a Python list
of ints would cost ~36 bytes per character, and large corpora must load in little memory.
torch is imported by the functions that need it, so reading and preprocessing a text (the
TUI measures a corpus's vocabulary while it starts) never loads it.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import math
import os
import re
import stat
import tempfile
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from rnn_tui.config import PREPROCESS_MODES
from rnn_tui.errors import CorpusError, VocabError

if TYPE_CHECKING:
    import torch

TIMEMACHINE_URL = "https://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt"
TIMEMACHINE_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"
TIMEMACHINE_FILE = "timemachine.txt"
TIMEMACHINE_LABEL = "The Time Machine"
CACHE_ENV = "RNN_TUI_CACHE_DIR"

_CHUNK_CHARS = 1 << 22  # 4M characters: 16 MB of UTF-32 per chunk
_MAX_LISTED = 20  # unknown characters named in a VocabError before "and N more"


# --------------------------------------------------------------------------- the Time Machine


def cache_dir() -> Path:
    """Where downloads are cached: $RNN_TUI_CACHE_DIR, else the platform's user cache dir."""
    override = os.environ.get(CACHE_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("rnn-tui"))


def timemachine_path(
    *, url: str = TIMEMACHINE_URL, cache: Path | None = None, timeout: float = 30.0
) -> Path:
    """The cached Time Machine, downloaded and SHA-1 checked on first use.

    A cached copy with the wrong hash is removed (with a warning) and downloaded again.
    The download goes to a temporary file in the cache dir and is moved into place only
    once its hash matches, so the cache never holds a partial or corrupt file.
    """
    cache = Path(cache) if cache is not None else cache_dir()
    target = cache / TIMEMACHINE_FILE
    if target.is_file():
        digest = _sha1_file(target)
        if digest == TIMEMACHINE_SHA1:
            return target
        warnings.warn(
            f"cached {target} has SHA-1 {digest}, expected {TIMEMACHINE_SHA1}; "
            "removed it and downloading it again",
            stacklevel=2,
        )
        _unlink(target)
    _download(url, target, timeout)
    return target


def _sha1_file(path: Path) -> str:
    sha1 = hashlib.sha1()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                sha1.update(block)
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {_reason(exc)}") from None
    return sha1.hexdigest()


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CorpusError(f"cannot remove {path}: {_reason(exc)}") from None


def _download(url: str, target: Path, timeout: float) -> None:
    where = f"put timemachine.txt at {target} or pass --corpus PATH"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".timemachine.", suffix=".part")
    except OSError as exc:
        raise CorpusError(
            f"cannot write to the cache dir {target.parent}: {_reason(exc)}; {where}"
        ) from None
    tmp = Path(tmp_name)
    sha1 = hashlib.sha1()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=timeout)
            except urllib.error.HTTPError as exc:
                raise CorpusError(
                    f"could not download {TIMEMACHINE_LABEL} from {url} "
                    f"(HTTP {exc.code} {_one_line(exc.reason)}); {where}"
                ) from None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                raise _offline(url, exc, where) from None
            with response:
                declared = response.headers.get("Content-Length", "")
                received = 0
                while True:
                    try:
                        block = response.read(1 << 16)
                    except (OSError, http.client.HTTPException) as exc:
                        raise _offline(url, exc, where) from None
                    if not block:
                        break
                    received += len(block)
                    sha1.update(block)
                    try:
                        out.write(block)
                    except OSError as exc:
                        raise CorpusError(f"cannot write {tmp}: {_reason(exc)}; {where}") from None
        # http.client's read(n) ends quietly on a dropped connection: compare with the header.
        if declared.isdigit() and received != int(declared):
            raise CorpusError(
                f"could not download {TIMEMACHINE_LABEL} from {url} (connection closed after "
                f"{received:,} of {int(declared):,} bytes); {where}"
            )
        digest = sha1.hexdigest()
        if digest != TIMEMACHINE_SHA1:
            raise CorpusError(
                f"downloaded {TIMEMACHINE_FILE} has SHA-1 {digest}, expected {TIMEMACHINE_SHA1}; "
                f"deleted it; {where}"
            )
        try:
            os.replace(tmp, target)  # atomic: readers see no file or the whole file
        except OSError as exc:
            raise CorpusError(f"cannot write {target}: {_reason(exc)}; {where}") from None
    finally:
        with contextlib.suppress(OSError):  # gone already after os.replace; never mask errors
            tmp.unlink()


def _offline(url: str, exc: BaseException, where: str) -> CorpusError:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return CorpusError(
        f"could not download {TIMEMACHINE_LABEL} from {url} ({_reason(reason)}); {where}"
    )


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
    for start in range(0, len(text), _CHUNK_CHARS):
        sha1.update(text[start : start + _CHUNK_CHARS].encode("utf-8", "surrogatepass"))
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
        end = start + _CHUNK_CHARS
        if end < len(text):
            space = _WHITESPACE_RUN.search(text, end)
            end = space.start() if space else len(text)
        yield text[start:end]
        start = end


# --------------------------------------------------------------------------- vocabulary


class Vocab:
    """A sorted character vocabulary: token id i is `chars[i]`."""

    def __init__(self, chars: Iterable[str]):
        unique = set(chars)
        bad = sorted(c for c in unique if not isinstance(c, str) or len(c) != 1)
        if bad:
            raise VocabError(
                f"vocabulary entries must be single characters, got {_list_chars(bad)}"
            )
        self.chars: list[str] = sorted(unique)
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.chars)}
        self._codepoints: torch.Tensor | None = None

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        return cls(set(text))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: object) -> bool:
        return char in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.chars == other.chars

    def __hash__(self) -> int:
        return hash(tuple(self.chars))

    def __repr__(self) -> str:
        return f"Vocab({len(self)} chars: {''.join(self.chars)!r})"

    def to_list(self) -> list[str]:
        return list(self.chars)

    @classmethod
    def from_list(cls, chars: Iterable[str]) -> Vocab:
        """Rebuild a stored vocabulary. The list must be sorted and unique, since token ids
        are positions in it: re-sorting a list stored in another order would silently
        scramble the ids a model was trained with."""
        items = list(chars)
        vocab = cls(items)
        if vocab.chars != items:
            raise VocabError("stored vocabulary is not a sorted list of unique characters")
        return vocab

    def missing(self, text: str) -> list[str]:
        """The characters of `text` that are not in the vocabulary, sorted."""
        return sorted(set(text).difference(self.stoi))

    def encode(self, text: str) -> torch.Tensor:
        """Token ids as a 1-D torch.long tensor; VocabError names any unknown characters."""
        unknown = self.missing(text)
        if unknown:
            raise VocabError(f"characters not in the model's vocabulary: {_list_chars(unknown)}")
        import torch

        out = torch.empty(len(text), dtype=torch.long)
        self._encode_into(text, out)
        return out

    def decode(self, ids: Iterable[int] | torch.Tensor) -> str:
        values = ids.reshape(-1).tolist() if hasattr(ids, "reshape") else list(ids)  # a tensor
        size = len(self.chars)
        bad = [i for i in values if not 0 <= i < size]
        if bad:
            raise VocabError(f"token id {bad[0]} is outside the vocabulary of {size} characters")
        chars = self.chars
        return "".join([chars[i] for i in values])

    def _encode_into(self, text: str, out: torch.Tensor) -> None:
        """Write the ids of `text` (all in the vocabulary) into `out`, chunk by chunk.

        Each chunk becomes an int32 tensor of code points (through UTF-32) and is looked up
        with searchsorted in the sorted code points, so memory stays at a few chunk sizes.
        """
        import torch

        if self._codepoints is None:
            self._codepoints = torch.tensor([ord(c) for c in self.chars], dtype=torch.int32)
        codepoints = self._codepoints
        for start in range(0, len(text), _CHUNK_CHARS):
            chunk = text[start : start + _CHUNK_CHARS]
            # bytearray: frombuffer wants a writable buffer.
            raw = bytearray(chunk.encode("utf-32-le", "surrogatepass"))
            codes = torch.frombuffer(raw, dtype=torch.int32)
            ids = torch.searchsorted(codepoints, codes, out_int32=True)
            out[start : start + len(chunk)].copy_(ids)
            del chunk, raw, codes, ids


def _list_chars(chars: list[str]) -> str:
    shown = ", ".join(repr(c) for c in chars[:_MAX_LISTED])
    extra = len(chars) - _MAX_LISTED
    return f"{shown} and {extra} more" if extra > 0 else shown


def id_dtype(vocab_size: int) -> torch.dtype:
    """The smallest integer dtype that holds every token id of a vocabulary."""
    import torch

    if vocab_size <= 256:
        return torch.uint8
    if vocab_size <= 1 << 15:
        return torch.int16
    return torch.int32


# --------------------------------------------------------------------------- corpus


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
    preprocess("", preprocess_mode)  # an unknown mode fails before any download or read
    if path is None:
        file: str | Path = timemachine_path()
        source = TIMEMACHINE_LABEL
    else:
        file = path
        source = str(path)
    text = preprocess(read_text(file), preprocess_mode)
    if not text:
        raise CorpusError(
            f"{source} has no text left after preprocessing with mode {preprocess_mode!r}"
        )
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
            f"batch {batch_size} x {num_steps} steps needs at least {need:,} ({corpus.source})"
        )
