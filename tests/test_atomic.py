"""rnn_tui.atomic: a file is replaced whole or not at all, and no temporary file stays."""

from __future__ import annotations

import os

import pytest

from rnn_tui.atomic import atomic_file


def test_writes_the_file_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "out.json"
    with atomic_file(target) as handle:
        handle.write(b'{"a": 1}\n')
        assert not target.exists()  # nothing shows at the target before the block ends
    assert target.read_bytes() == b'{"a": 1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_replaces_an_existing_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_bytes(b"old")
    with atomic_file(target) as handle:
        handle.write(b"new and longer")
    assert target.read_bytes() == b"new and longer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_an_exception_mid_write_keeps_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "last.pt"
    target.write_bytes(b"the old checkpoint")
    with pytest.raises(RuntimeError, match="mid-write"):
        with atomic_file(target) as handle:
            handle.write(b"half of a new one")
            handle.flush()
            raise RuntimeError("mid-write")
    assert target.read_bytes() == b"the old checkpoint"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]


def test_an_exception_with_no_old_file_leaves_no_file(tmp_path):
    target = tmp_path / "new.png"
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C too: BaseException, not only Exception
        with atomic_file(target) as handle:
            handle.write(b"partial")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rename_keeps_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    target.write_bytes(b"old")

    def refuse(src, dst):
        raise OSError("rename refused")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="rename refused"):
        with atomic_file(target) as handle:
            handle.write(b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_creates_missing_parent_directories(tmp_path):
    target = tmp_path / "runs" / "7" / "config.json"
    with atomic_file(target) as handle:
        handle.write(b"{}")
    assert target.read_bytes() == b"{}"
    assert sorted(p.name for p in target.parent.iterdir()) == ["config.json"]
