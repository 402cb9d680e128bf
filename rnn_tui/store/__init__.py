"""The run store: every training run, its metrics, samples and checkpoint paths, in SQLite.

One module per job: `location` (where the database lives), `schema` (migrations, columns,
statuses), `rows` (a run as returned, run ids), `connection` (the connection, transactions
and their errors), `liveness` (whether a writer process lives), `runs` (`RunStore`),
`recorder` (the trainer's callback, with its retries) and `export` (CSV and JSON).

This package must not import torch: the CLI and the TUI import it at start-up.
"""

from rnn_tui.store.connection import BUSY_TIMEOUT_S
from rnn_tui.store.liveness import process_alive, process_token
from rnn_tui.store.location import DB_NAME, ENV_DATA_DIR, data_dir, default_db_path
from rnn_tui.store.recorder import RETRY_FOR_S, RunRecorder
from rnn_tui.store.rows import MAX_RUN_ID, RunRow, default_name, looks_like_run_id, parse_run_id
from rnn_tui.store.runs import RunStore
from rnn_tui.store.schema import (
    EPOCH_COLUMNS,
    INTERRUPTED_MESSAGE,
    KEY_CONFIG_FIELDS,
    MIGRATIONS,
    RUN_STATUSES,
    STEP_COLUMNS,
    SUMMARY_FIELDS,
    schema_version,
)

__all__ = [
    "BUSY_TIMEOUT_S",
    "DB_NAME",
    "ENV_DATA_DIR",
    "EPOCH_COLUMNS",
    "INTERRUPTED_MESSAGE",
    "KEY_CONFIG_FIELDS",
    "MAX_RUN_ID",
    "MIGRATIONS",
    "RETRY_FOR_S",
    "RUN_STATUSES",
    "STEP_COLUMNS",
    "SUMMARY_FIELDS",
    "RunRecorder",
    "RunRow",
    "RunStore",
    "data_dir",
    "default_db_path",
    "default_name",
    "looks_like_run_id",
    "parse_run_id",
    "process_alive",
    "process_token",
    "schema_version",
]
