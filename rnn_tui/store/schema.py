"""The database schema, one SQLAlchemy Core definition for SQLite and PostgreSQL: its tables,
its version, its columns and the statuses a run may have. `migrate` upgrades older stores.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)

from rnn_tui.errors import StoreError
from rnn_tui.store.legacy import MIGRATIONS, STATUS_CHECK  # noqa: F401 - versions 1 and 2

# The statuses of schema 1; `pruned` (schema 2): a search trial stopped early because its
# curve was worse than the others'. Schema 3 checks statuses in code, not in a CHECK.
_STATUSES_1 = ("running", "finished", "stopped", "diverged", "interrupted", "error")
RUN_STATUSES = (*_STATUSES_1, "pruned")
INTERRUPTED_MESSAGE = "process died; data kept up to the last flush"

# Config fields that say what a run was, in the order exports and tables show them.
KEY_CONFIG_FIELDS = (
    "corpus", "preprocess", "cell", "nonlinearity", "layers", "hidden", "embedding", "dropout",
    "optimizer", "lr", "schedule", "clip", "batch_size", "num_steps", "batching", "seed",
)  # fmt: skip


# The schema version this code writes; the store records it (SQLite: also PRAGMA user_version,
# which is all that versions 1 and 2 recorded). Version 1: the first release (SQLite only).
# Version 2: `pruned` in the status CHECK. Version 3: one definition for SQLite and
# PostgreSQL, run heartbeats timed by the database's clock, stop requests through the store,
# no CHECK on status (statuses grow: the code checks them).
SCHEMA_VERSION = 3
META_TABLE = "rnn_tui_meta"

metadata = MetaData()
# SQLite's rowid alias must be spelled INTEGER; PostgreSQL needs 64 bits for the same range.
_ID = BigInteger().with_variant(Integer(), "sqlite")

sweeps = Table(
    "sweeps",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, server_default=""),
    Column("created", Float, nullable=False),
    Column("configs", Text, nullable=False, server_default="[]"),
    sqlite_autoincrement=True,  # ids are never reused: a run folder never meets a stranger
)

runs = Table(
    "runs",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False),
    Column("config", Text, nullable=False, server_default="{}"),
    Column("tags", Text, nullable=False, server_default="[]"),
    Column("created", Float, nullable=False),
    Column("ended", Float),
    Column("device", Text, nullable=False, server_default=""),
    Column("torch_version", Text, nullable=False, server_default=""),
    Column("params", BigInteger, nullable=False, server_default="0"),
    Column("pid", BigInteger),
    Column("pid_start", Text),
    Column("hostname", Text, nullable=False, server_default=""),
    Column("sweep_id", _ID, ForeignKey("sweeps.id", ondelete="SET NULL")),
    Column("sweep_index", BigInteger),
    Column("message", Text, nullable=False, server_default=""),
    Column("best_val_ppl", Float),
    Column("final_train_ppl", Float),
    Column("final_val_ppl", Float),
    Column("tokens_per_s", Float),
    Column("steps", BigInteger, nullable=False, server_default="0"),
    Column("epochs", BigInteger, nullable=False, server_default="0"),
    Column("seconds", Float),
    Column("checkpoint", Text),
    Column("best_checkpoint", Text),
    # Version 2: seconds since the epoch by the DATABASE's clock (hosts' clocks differ).
    Column("heartbeat", Float),
    Column("stop_requested", Float),  # when someone asked the run to stop (database clock)
    Index("runs_status", "status"),
    Index("runs_sweep", "sweep_id", "sweep_index"),
    sqlite_autoincrement=True,
)

step_metrics = Table(
    "step_metrics",
    metadata,
    Column("run_id", _ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("step", BigInteger, primary_key=True, autoincrement=False),
    Column("epoch", BigInteger, nullable=False),
    Column("loss", Float),
    Column("ppl", Float),
    Column("lr", Float),
    Column("tokens", BigInteger),
    Column("elapsed", Float),
    Column("tokens_per_s", Float),
    sqlite_with_rowid=False,
)

epoch_metrics = Table(
    "epoch_metrics",
    metadata,
    Column("run_id", _ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("epoch", BigInteger, primary_key=True, autoincrement=False),
    Column("step", BigInteger, nullable=False),
    Column("train_loss", Float),
    Column("train_ppl", Float),
    Column("val_loss", Float),
    Column("val_ppl", Float),
    Column("tokens", BigInteger),
    Column("elapsed", Float),
    Column("tokens_per_s", Float),
    Column("sample", Text, nullable=False, server_default=""),
    Column("is_best", Integer, nullable=False, server_default="0"),
    Column("checkpoint", Text),
    sqlite_with_rowid=False,
)

meta = Table(
    META_TABLE,
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

STORE_TABLES = ("sweeps", "runs", "step_metrics", "epoch_metrics", META_TABLE)
# A database that holds other tables is someone else's, except for the tables of the Optuna
# study that shares a PostgreSQL database with the store.
OPTUNA_TABLES = frozenset(
    {
        "alembic_version", "version_info", "studies", "study_directions",
        "study_user_attributes", "study_system_attributes", "trials", "trial_params",
        "trial_values", "trial_intermediate_values", "trial_user_attributes",
        "trial_system_attributes", "trial_heartbeats",
    }
)  # fmt: skip


def schema_version() -> int:
    """The version a store has once this code has created or upgraded it."""
    return SCHEMA_VERSION


STEP_COLUMNS = ("step", "epoch", "loss", "ppl", "lr", "tokens", "elapsed", "tokens_per_s")
EPOCH_COLUMNS = (
    "epoch", "step", "train_loss", "train_ppl", "val_loss", "val_ppl", "tokens", "elapsed",
    "tokens_per_s", "sample", "is_best", "checkpoint",
)  # fmt: skip
SUMMARY_FIELDS = (
    "best_val_ppl", "final_train_ppl", "final_val_ppl", "tokens_per_s", "steps", "epochs",
    "seconds", "checkpoint", "best_checkpoint",
)  # fmt: skip
UPDATABLE = SUMMARY_FIELDS + (
    "name", "device", "torch_version", "params", "message", "sweep_id", "sweep_index",
    "config", "tags", "status", "ended",
)  # fmt: skip


# --------------------------------------------------------------------------- rows


def check_status(status: str) -> None:
    if status not in RUN_STATUSES:
        raise StoreError(f"unknown run status {status!r}; one of {', '.join(RUN_STATUSES)}")
