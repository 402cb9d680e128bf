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
