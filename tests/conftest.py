"""Shared fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# The real book lives next to the project, never inside it (it is not ours to commit).
SHARED_TIMEMACHINE = Path(__file__).resolve().parents[2] / "shared/data/timemachine.txt"


@pytest.fixture
def timemachine_file() -> Path:
    """The shared copy of The Time Machine; skips the test when it is absent."""
    if not SHARED_TIMEMACHINE.is_file():
        pytest.skip(f"no Time Machine copy at {SHARED_TIMEMACHINE}")
    return SHARED_TIMEMACHINE


@pytest.fixture
def timemachine_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timemachine_file: Path
) -> Path:
    """A cache dir holding timemachine.txt, set as RNN_TUI_CACHE_DIR: no download happens."""
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copyfile(timemachine_file, cache / "timemachine.txt")
    monkeypatch.setenv("RNN_TUI_CACHE_DIR", str(cache))
    return cache


TINY_TEXT = (
    "The Time Traveller (for so it will be convenient to speak of him)\n"
    "was expounding a recondite matter to us. His grey eyes shone and\n"
    "twinkled, and his usually pale face was flushed and animated. The\n"
    "fire burned brightly, and the soft radiance of the incandescent\n"
    "lights in the lilies of silver caught the bubbles that flashed and\n"
    "passed in our glasses.\n"
) * 6


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """About 2 KB of text: enough for batch 4 x 8 steps, small enough for fast tests."""
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_TEXT, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test's run store and corpus cache live in its tmp_path, never in the home."""
    monkeypatch.setenv("RNN_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RNN_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RNN_TUI_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path
