"""rnn_tui.data.corpus: reading, preprocessing, the vocabulary, encoding and the split."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import rnn_tui
from rnn_tui.data import corpus as corpus_mod
from rnn_tui.data import text as text_mod
from rnn_tui.data.corpus import (
    TIMEMACHINE_SHA1,
    Corpus,
    Vocab,
    check_trainable,
    id_dtype,
    load_corpus,
    min_corpus_chars,
    preprocess,
    read_text,
    timemachine_path,
    val_size,
    vocab_size,
)
from rnn_tui.errors import CorpusError, VocabError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = "The Time Traveller\n  told him\nwas, HERE!\n\n\tEnd 42.  \n"


def write(tmp_path: Path, data: bytes | str, name: str = "text.txt") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- preprocess


def test_preprocess_seed_glues_lines_like_the_notebook():
    assert preprocess(SAMPLE, "seed") == "the time travellertold himwas, here!end 42."
    assert preprocess("told him\nwas", "seed") == "told himwas"


def test_preprocess_d2l_keeps_letters_and_single_spaces():
    assert preprocess(SAMPLE, "d2l") == "the time traveller told him was here end "


def test_preprocess_clean_collapses_whitespace():
    assert preprocess(SAMPLE, "clean") == "the time traveller told him was, here! end 42."
    assert preprocess("  A\u00a0B\t\tC\n", "clean") == "a b c"


def test_preprocess_raw_is_unchanged():
    assert preprocess(SAMPLE, "raw") == SAMPLE


def test_preprocess_unknown_mode_lists_the_modes():
    with pytest.raises(CorpusError) as info:
        preprocess("x", "fancy")
    assert (
        str(info.value) == "unknown preprocessing mode 'fancy'; choose one of clean, seed, d2l, raw"
    )


# --------------------------------------------------------------------------- vocab


def test_vocab_is_sorted_and_round_trips():
    vocab = Vocab.from_text("hello world")
    assert vocab.chars == [" ", "d", "e", "h", "l", "o", "r", "w"]
    assert len(vocab) == 8
    assert vocab.stoi == {" ": 0, "d": 1, "e": 2, "h": 3, "l": 4, "o": 5, "r": 6, "w": 7}
    ids = vocab.encode("hello")
    assert ids.dtype == torch.long
    assert ids.tolist() == [3, 2, 4, 4, 5]
    assert vocab.decode(ids) == "hello"
    assert vocab.decode([7, 5, 6, 4, 1]) == "world"
    assert vocab.encode("").tolist() == []


def test_vocab_list_round_trip_and_checks():
    vocab = Vocab(["b", "a", "c", "a"])
    assert vocab.to_list() == ["a", "b", "c"]
    assert Vocab.from_list(vocab.to_list()) == vocab
    with pytest.raises(VocabError, match="not a sorted list of unique characters"):
        Vocab.from_list(["b", "a"])
    with pytest.raises(VocabError, match="single characters, got 'ab'"):
        Vocab(["a", "ab"])


def test_vocab_unknown_characters_are_listed():
    vocab = Vocab.from_text("abc")
    assert vocab.missing("a€bQQ") == ["Q", "€"]
    with pytest.raises(VocabError) as info:
        vocab.encode("a€bQ")
    assert str(info.value) == "characters not in the model's vocabulary: 'Q', '€'"


def test_vocab_lists_at_most_twenty_unknown_characters():
    vocab = Vocab.from_text("!")
    with pytest.raises(VocabError) as info:
        vocab.encode("ABCDEFGHIJKLMNOPQRSTUVWXY")  # 25 unknown
    message = str(info.value)
    assert message.endswith("'S', 'T' and 5 more")
    assert "'U'" not in message


def test_vocab_decode_rejects_out_of_range_ids():
    vocab = Vocab.from_text("ab")
    with pytest.raises(VocabError, match="token id 2 is outside the vocabulary of 2 characters"):
        vocab.decode([0, 2])
    with pytest.raises(VocabError, match="token id -1"):
        vocab.decode(torch.tensor([-1]))


def test_encoding_across_chunks_and_astral_characters(monkeypatch):
    monkeypatch.setattr(text_mod, "CHUNK_CHARS", 3)
    text = "zébra 🦓 ab€ ✓🦓z"
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)
    assert ids.tolist() == [vocab.stoi[c] for c in text]
    assert vocab.decode(ids) == text


def test_id_dtype_is_the_smallest_that_fits():
    assert id_dtype(1) == torch.uint8
    assert id_dtype(256) == torch.uint8
    assert id_dtype(257) == torch.int16
    assert id_dtype(32768) == torch.int16
    assert id_dtype(32769) == torch.int32


# --------------------------------------------------------------------------- read_text


def test_read_text_strips_bom_and_crlf(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbfone\r\ntwo\rthree\n")
    assert read_text(path) == "one\ntwo\rthree\n"
    assert read_text(str(path)) == "one\ntwo\rthree\n"


def test_read_text_missing(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(CorpusError) as info:
        read_text(path)
    assert str(info.value) == f"corpus not found: {path}"


def test_read_text_directory(tmp_path):
    with pytest.raises(CorpusError) as info:
        read_text(tmp_path)
    assert str(info.value) == f"{tmp_path} is a directory, not a text file"


def test_read_text_not_utf8_reports_the_byte_and_offset(tmp_path):
    path = write(tmp_path, b"a" * 1234 + b"\xff" + b"rest")
    with pytest.raises(CorpusError) as info:
        read_text(path)
    assert str(info.value) == f"{path} is not UTF-8 text: invalid byte 0xff at offset 1234"


def test_read_text_offset_counts_the_bom(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbfab\xe9c")  # Latin-1 é
    with pytest.raises(CorpusError, match="invalid byte 0xe9 at offset 5$"):
        read_text(path)


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf"])
def test_read_text_empty(tmp_path, data):
    path = write(tmp_path, data)
    with pytest.raises(CorpusError) as info:
        read_text(path)
    assert str(info.value) == f"{path} is empty"


def test_read_text_permission_denied(tmp_path, monkeypatch):
    path = write(tmp_path, "secret")
    if os.geteuid() == 0:  # root reads anything: simulate the refusal instead
        real_open = os.open

        def refuse(name, *args, **kwargs):
            if str(name) == str(path):
                raise PermissionError(13, "Permission denied", str(name))
            return real_open(name, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse)
    else:
        path.chmod(0)
    try:
        with pytest.raises(CorpusError) as info:
            read_text(path)
    finally:
        path.chmod(0o644)
    assert str(info.value) == f"cannot read {path}: permission denied"


# --------------------------------------------------------------------------- load_corpus


def test_load_corpus_split_keeps_the_last_fraction(tmp_path):
    text = "".join("abcdefghij"[i % 10] for i in range(100))
    path = write(tmp_path, text)
    corpus = load_corpus(str(path), "raw", val_fraction=0.1)
    assert isinstance(corpus, Corpus)
    assert corpus.source == str(path)
    assert corpus.chars == 100
    assert corpus.train.shape == (90,) and corpus.val.shape == (10,)
    assert corpus.train.dtype == torch.uint8
    assert corpus.vocab.decode(corpus.train) == text[:90]
    assert corpus.vocab.decode(corpus.val) == text[90:]
    assert corpus.val.tolist() == list(range(10))


def test_load_corpus_without_validation(tmp_path):
    path = write(tmp_path, "Hello\r\n  World\n")
    corpus = load_corpus(path, "clean", val_fraction=0)
    assert corpus.chars == 11
    assert corpus.vocab.decode(corpus.train) == "hello world"
    assert corpus.val.numel() == 0


def test_load_corpus_large_vocab_uses_int16(tmp_path):
    text = "".join(chr(0x400 + i) for i in range(300)) * 2
    corpus = load_corpus(write(tmp_path, text), "raw", val_fraction=0.5)
    assert len(corpus.vocab) == 300
    assert corpus.train.dtype == torch.int16
    assert corpus.train.tolist() == list(range(300))
    assert corpus.val.tolist() == list(range(300))


def test_load_corpus_nothing_left_after_preprocessing(tmp_path):
    path = write(tmp_path, " \n\t \n", "blank.txt")
    with pytest.raises(CorpusError) as info:
        load_corpus(path, "clean")
    assert str(info.value) == f"{path} has no text left after preprocessing with mode 'clean'"


def test_load_corpus_checks_mode_and_fraction_before_reading(tmp_path):
    missing = tmp_path / "missing.txt"
    with pytest.raises(CorpusError, match="unknown preprocessing mode 'x'"):
        load_corpus(missing, "x")
    with pytest.raises(CorpusError, match="val_fraction must be at least 0 and below 1, got 1"):
        load_corpus(missing, "clean", 1)


# --------------------------------------------------------------------------- sizes


def test_val_size_rounds_up_without_float_noise():
    assert val_size(1246, 0.1) == 125
    assert val_size(100, 0.07) == 7
    assert val_size(10, 0.0) == 0
    assert val_size(3, 0.1) == 1


def test_min_corpus_chars():
    assert min_corpus_chars(32, 35, 0.1) == 1246
    assert min_corpus_chars(32, 35, 0.0) == 1121
    for fraction in (0.05, 0.1, 0.2, 0.33, 0.5):
        need = min_corpus_chars(8, 7, fraction)
        assert need - val_size(need, fraction) == 57
        assert need - 1 - val_size(need - 1, fraction) == 56


def test_check_trainable(tmp_path):
    short = load_corpus(write(tmp_path, "x" * 500, "short.txt"), "raw", 0.1)
    with pytest.raises(CorpusError) as info:
        check_trainable(short, 32, 35, 0.1)
    assert str(info.value) == (
        "corpus too short: 500 characters after preprocessing; "
        f"batch 32 x 35 steps needs at least 1,246 ({tmp_path / 'short.txt'})"
    )
    check_trainable(load_corpus(write(tmp_path, "x" * 1246), "raw", 0.1), 32, 35, 0.1)
    with pytest.raises(CorpusError, match="at least 1,246"):
        check_trainable(load_corpus(write(tmp_path, "x" * 1245), "raw", 0.1), 32, 35, 0.1)


# --------------------------------------------------------------------------- the book


def test_shipped_time_machine_matches_its_sha1(timemachine_file):
    assert timemachine_file.parent.parent == Path(rnn_tui.__file__).resolve().parent
    assert hashlib.sha1(timemachine_file.read_bytes()).hexdigest() == TIMEMACHINE_SHA1


def test_time_machine_is_package_data():
    """The wheel only holds what package-data lists: the book must be among it."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["rnn_tui"]
    shipped = timemachine_path().relative_to(Path(rnn_tui.__file__).resolve().parent)
    assert any(fnmatch.fnmatch(shipped.as_posix(), glob) for glob in globs), globs


def test_the_book_loads_with_no_network_and_no_cache(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the default corpus must not touch the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    corpus = load_corpus(None, "clean")
    assert corpus.source == "The Time Machine"
    assert corpus.chars > 170_000


def test_time_machine_seed():
    corpus = load_corpus(None, "seed")
    assert corpus.source == "The Time Machine"
    assert len(corpus.vocab) == 44
    assert corpus.chars == 175_758
    assert (corpus.train.numel(), corpus.val.numel()) == (158_182, 17_576)
    assert corpus.vocab.decode(corpus.train[:60]) == (
        "the time machine, by h. g. wells [1898]ithe time traveller ("
    )
    assert "".join(corpus.vocab.chars[18:]) == "abcdefghijklmnopqrstuvwxyz"


def test_time_machine_d2l():
    corpus = load_corpus(None, "d2l", 0)
    assert corpus.vocab.chars == [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    assert corpus.chars == 173_428


# --------------------------------------------------------------------------- vocab_size


@pytest.mark.parametrize("mode", ["clean", "seed", "d2l", "raw"])
def test_vocab_size_of_the_book_is_load_corpus_vocabulary(mode):
    assert vocab_size(None, mode) == len(load_corpus(None, mode).vocab)


def test_vocab_size_reads_a_file_once_until_it_changes(tmp_path, monkeypatch):
    path = write(tmp_path, "abc")
    reads: list[object] = []
    real_read_text = corpus_mod.read_text

    def counting_read_text(file):
        reads.append(file)
        return real_read_text(file)

    monkeypatch.setattr(corpus_mod, "read_text", counting_read_text)
    assert vocab_size(str(path), "raw") == 3
    assert vocab_size(str(path), "raw") == 3
    assert len(reads) == 1
    assert vocab_size(str(path), "clean") == 3  # another mode is another entry
    assert len(reads) == 2
    path.write_text("abcdE", encoding="utf-8")  # a new size (and mtime): measured again
    assert vocab_size(str(path), "raw") == 5
    assert len(reads) == 3
    stat = path.stat()
    path.write_text("abcdF", encoding="utf-8")  # the same size: only the mtime tells
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert vocab_size(str(path), "raw") == 5
    assert len(reads) == 4


def test_vocab_size_errors_are_corpus_errors(tmp_path):
    missing = tmp_path / "missing.txt"
    with pytest.raises(CorpusError, match=f"corpus not found: {missing}$"):
        vocab_size(str(missing), "clean")
    with pytest.raises(CorpusError, match="unknown preprocessing mode 'x'"):
        vocab_size(str(missing), "x")
    blank = write(tmp_path, " \n\t \n", "blank.txt")
    with pytest.raises(CorpusError) as info:
        vocab_size(str(blank), "clean")
    assert str(info.value) == f"{blank} has no text left after preprocessing with mode 'clean'"


def test_vocab_size_does_not_import_torch():
    code = (
        "import sys\n"
        "from rnn_tui.data.corpus import vocab_size\n"
        "assert vocab_size(None, 'seed') == 44\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_chunked_preprocessing_matches_whole_text_regex(monkeypatch, chunk):
    import random
    import re

    rng = random.Random(chunk)
    alphabet = ["a", "B", "Σ", "é", "1", ".", " ", "\n", "\t", "  \n  "]
    texts = ["", " ", "   \n\n  ", "Σ Σ", "ab"] + [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(40))) for _ in range(300)
    ]
    expected = {
        t: (re.sub(r"\s+", " ", t.lower()).strip(), re.sub("[^A-Za-z]+", " ", t).lower())
        for t in texts
    }
    monkeypatch.setattr(text_mod, "CHUNK_CHARS", chunk)
    for text, (clean, d2l) in expected.items():
        assert preprocess(text, "clean") == clean, repr(text)
        assert preprocess(text, "d2l") == d2l, repr(text)
