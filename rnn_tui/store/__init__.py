"""The run store: every training run, its metrics, samples and checkpoint paths, in SQLite
or PostgreSQL.

One module per job: `location` (the data folder), `url` (which store: --store,
$RNN_TUI_STORE, settings, default; passwords masked), `schema` (one SQLAlchemy definition for
both backends, columns, statuses), `migrate` (versions: create, upgrade, refuse), `rows` (a
run as returned, run ids), `connection` (the engine, transactions), `errors` (driver errors as
one line), `liveness` (whether a writer process lives), `host` (this machine's name),
`heartbeat` (liveness across machines, stop requests), `runs` (`RunStore`), `recorder` (the
trainer's callback, with its retries) and `export` (CSV and JSON).

This package must not import torch: the CLI and the TUI import it at start-up.
"""

from typing import TYPE_CHECKING

from rnn_tui.store.heartbeat import grace_period, heartbeat_interval
from rnn_tui.store.host import ENV_HOSTNAME, check_on_this_host, is_this_host, this_host
from rnn_tui.store.liveness import process_alive, process_token
from rnn_tui.store.location import DB_NAME, ENV_DATA_DIR, data_dir, default_db_path
from rnn_tui.store.rows import MAX_RUN_ID, RunRow, default_name, looks_like_run_id, parse_run_id
from rnn_tui.store.url import (
    ENV_STORE,
    StoreURL,
    mask_url,
    parse_store_url,
    resolve_store_url,
    sqlalchemy_url_string,
)

if TYPE_CHECKING:
    from rnn_tui.store.connection import BUSY_TIMEOUT_S
    from rnn_tui.store.recorder import RETRY_FOR_S, RunRecorder
    from rnn_tui.store.runs import RunStore
    from rnn_tui.store.schema import (
        EPOCH_COLUMNS,
        INTERRUPTED_MESSAGE,
        KEY_CONFIG_FIELDS,
        RUN_STATUSES,
        SCHEMA_VERSION,
        STEP_COLUMNS,
        SUMMARY_FIELDS,
        schema_version,
    )

# What is built on SQLAlchemy is imported on first use, not with the package: the TUI
# imports this package to draw its first frame and opens the store only after it (in its
# watcher thread), and SQLAlchemy alone costs about 0.2 s of that start.
_ON_FIRST_USE = {
    "BUSY_TIMEOUT_S": "connection",
    "RETRY_FOR_S": "recorder",
    "RunRecorder": "recorder",
    "RunStore": "runs",
    "EPOCH_COLUMNS": "schema",
    "INTERRUPTED_MESSAGE": "schema",
    "KEY_CONFIG_FIELDS": "schema",
    "RUN_STATUSES": "schema",
    "SCHEMA_VERSION": "schema",
    "STEP_COLUMNS": "schema",
    "SUMMARY_FIELDS": "schema",
    "schema_version": "schema",
}


def __getattr__(name: str) -> object:
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "BUSY_TIMEOUT_S",
    "DB_NAME",
    "ENV_DATA_DIR",
    "EPOCH_COLUMNS",
    "INTERRUPTED_MESSAGE",
    "KEY_CONFIG_FIELDS",
    "MAX_RUN_ID",
    "ENV_HOSTNAME",
    "ENV_STORE",
    "RETRY_FOR_S",
    "SCHEMA_VERSION",
    "StoreURL",
    "check_on_this_host",
    "grace_period",
    "heartbeat_interval",
    "is_this_host",
    "mask_url",
    "parse_store_url",
    "resolve_store_url",
    "sqlalchemy_url_string",
    "this_host",
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
