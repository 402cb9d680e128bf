"""A sorted character vocabulary, and encoding text to token ids through torch in chunks (a
Python list of ints would cost ~36 bytes per character). torch is imported by the methods
that need it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rnn_tui.data import text as text_module
from rnn_tui.errors import VocabError

if TYPE_CHECKING:
    import torch

_MAX_LISTED = 20  # unknown characters named in a VocabError before "and N more"


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
        for start in range(0, len(text), text_module.CHUNK_CHARS):
            chunk = text[start : start + text_module.CHUNK_CHARS]
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
