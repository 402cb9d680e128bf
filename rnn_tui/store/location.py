"""Where the run database and the run folders live."""

from __future__ import annotations

import os
from pathlib import Path

DB_NAME = "runs.sqlite3"
ENV_DATA_DIR = "RNN_TUI_DATA_DIR"


def data_dir() -> Path:
    """Where the database and the run folders live: $RNN_TUI_DATA_DIR, else the user data dir."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("rnn-tui"))


def default_db_path() -> Path:
    return data_dir() / DB_NAME
