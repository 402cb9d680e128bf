"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rnn_tui.data.corpus import timemachine_path

# The tests train tiny models, where torch's intra-op threads only wait on each other: on a
# 2-core machine also running a child process or another job, their spinning made three short
# training runs 14x slower (38 s against 2.7 s, side by side). One thread in this process and
# in the processes the tests start, unless the environment already says how many. Set before
# any test module imports torch, which reads it once.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def timemachine_file() -> Path:
    """The copy of The Time Machine shipped in the package: always there, never downloaded."""
    path = timemachine_path()
    assert path.is_file(), f"the package lacks its Time Machine: {path}"
    return path


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
    """Every test's run store lives in its tmp_path, never in the home."""
    monkeypatch.setenv("RNN_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RNN_TUI_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL cluster for this test session (see pg_server.py); the tests
    that need it fail, not skip, when PostgreSQL is not installed."""
    from pg_server import MISSING, PgServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.fail(MISSING, pytrace=False)
    server = PgServer(bin_dir)
    try:
        server.init()
    except Exception:
        server.destroy()
        raise
    yield server
    server.destroy()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database on the test cluster, as a store URL with its password."""
    return pg_server.url(pg_server.new_database())


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path: Path) -> str:
    """A new run store on each backend: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "data" / "runs.sqlite3")
    return request.getfixturevalue("pg_url")
