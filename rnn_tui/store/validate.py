"""The store is untrusted input: one validating reader per table.

Another machine, another version or a hand-edited database may hold rows this code cannot
use: a config that is a JSON list, a perplexity stored as text, a creation time of 1e300, a
pid of 2**62, a name that is not UTF-8. Every row read from the store goes through one of
the readers here, which check types and ranges. A run row that fails becomes a `damaged`
RunRow whose message is the one-line reason (lists and views show it; commands that need the
run refuse it); a metric row that fails is left out. A reader takes a plain mapping of column
names to values, so it serves any backend (SQLite today, PostgreSQL next).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

from rnn_tui.config import TrainConfig
from rnn_tui.store.rows import MAX_RUN_ID, RunRow
from rnn_tui.store.schema import EPOCH_COLUMNS, RUN_STATUSES, STEP_COLUMNS

DAMAGED = "damaged"  # the status a run row shows when it cannot be used; never stored
MAX_TIME = 253_402_300_799.0  # 9999-12-31 23:59:59 UTC: later is not a time a run has
MAX_PID = 2**32 - 1  # Linux, macOS and Windows pids all fit (Linux's limit is 2**22)
MAX_PATH = 4096  # PATH_MAX on Linux: a longer "path" is not one
MAX_NAME = 1000
MAX_TEXT = 1_000_000  # a message, a sample or a config's JSON text
MAX_COUNT = 2**53  # parameters, steps, tokens: beyond this a float could not count them
MAX_JSON_DEPTH = 50


class DamagedRow(ValueError):
    """A row the code cannot use; `str(error)` is the one-line reason."""


def read_run(row: Mapping[str, Any]) -> RunRow:
    """The run a row of `runs` holds; a `damaged` RunRow (message: why) when it is not usable."""
    values = dict(row)
    try:
        return _run(values)
    except DamagedRow as exc:
        return damaged_run(values.get("id"), str(exc))


def damaged_run(run_id: Any, reason: str) -> RunRow:
    """A placeholder for a run row that cannot be used: its id (0 if unreadable) and why."""
    number = run_id if _is_int(run_id) and 1 <= run_id <= MAX_RUN_ID else 0
    return RunRow(
        id=number, name="", status=DAMAGED, config={}, created=0.0, ended=None, device="",
        torch_version="", params=0, tags=[], best_val_ppl=None, final_train_ppl=None,
        final_val_ppl=None, tokens_per_s=None, steps=0, epochs=0, seconds=None,
        checkpoint=None, best_checkpoint=None, message=reason, sweep_id=None,
        sweep_index=None, pid=None,
    )  # fmt: skip


def is_damaged(run: RunRow) -> bool:
    return run.status == DAMAGED


def read_step(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """A row of `step_metrics` as a dict of STEP_COLUMNS; None when it cannot be used."""
    try:
        return _metrics(row, STEP_COLUMNS, "step")
    except DamagedRow:
        return None


def read_epoch(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """A row of `epoch_metrics` as a dict of EPOCH_COLUMNS; None when it cannot be used."""
    try:
        values = _metrics(row, EPOCH_COLUMNS, "epoch")
        values["sample"] = _text(values, "sample", MAX_TEXT, default="")
        values["checkpoint"] = _path(values, "checkpoint")
        values["is_best"] = bool(_int(values, "is_best", 0, 1, default=0))
    except DamagedRow:
        return None
    return values


def read_sweep_configs(value: Any) -> list[dict[str, Any]]:
    """The `configs` column of a sweep: a JSON list of objects; DamagedRow otherwise."""
    configs = _json(value, "configs", list, [])
    if not all(isinstance(item, dict) for item in configs):
        raise DamagedRow("configs is not a list of JSON objects")
    return configs


# --------------------------------------------------------------------------- runs


def _run(values: dict[str, Any]) -> RunRow:
    run_id = values.get("id")
    if not _is_int(run_id) or not 1 <= run_id <= MAX_RUN_ID:
        raise DamagedRow(f"id {_show(run_id)} is not a run id")
    status = values.get("status")
    if status not in RUN_STATUSES:
        raise DamagedRow(f"status {_show(status)} is not one of {', '.join(RUN_STATUSES)}")
    config = _json(values.get("config"), "config", dict, {})
    _check_config(config)
    tags = _json(values.get("tags"), "tags", list, [])
    if not all(isinstance(tag, str) and len(tag) <= MAX_NAME for tag in tags):
        raise DamagedRow("tags is not a list of texts")
    created = _time(values, "created", required=True)
    assert created is not None
    known = {
        "id": run_id,
        "name": _text(values, "name", MAX_NAME, default=""),
        "status": status,
        "config": config,
        "created": created,
        "ended": _time(values, "ended"),
        "device": _text(values, "device", MAX_NAME, default=""),
        "torch_version": _text(values, "torch_version", MAX_NAME, default=""),
        "params": _int(values, "params", 0, MAX_COUNT, default=0),
        "tags": tags,
        "best_val_ppl": _number(values, "best_val_ppl", infinite=True),
        "final_train_ppl": _number(values, "final_train_ppl", infinite=True),
        "final_val_ppl": _number(values, "final_val_ppl", infinite=True),
        "tokens_per_s": _number(values, "tokens_per_s"),
        "steps": _int(values, "steps", 0, MAX_RUN_ID, default=0),
        "epochs": _int(values, "epochs", 0, MAX_RUN_ID, default=0),
        "seconds": _number(values, "seconds"),
        "checkpoint": _path(values, "checkpoint"),
        "best_checkpoint": _path(values, "best_checkpoint"),
        "message": _text(values, "message", MAX_TEXT, default=""),
        "sweep_id": _int(values, "sweep_id", 0, MAX_RUN_ID),
        "sweep_index": _int(values, "sweep_index", 0, MAX_RUN_ID),
        "pid": _int(values, "pid", 1, MAX_PID),
        "hostname": _text(values, "hostname", MAX_NAME, default=""),
    }
    pid_start = _text(values, "pid_start", MAX_NAME)
    extra = {
        key: value
        for key, value in values.items()
        if key not in known and key != "pid_start" and _is_plain(value)
    }
    run = RunRow(**known, extra=extra)
    run.pid_start = pid_start
    return run


# --------------------------------------------------------------------------- metrics


def _metrics(row: Mapping[str, Any], columns: tuple[str, ...], key: str) -> dict[str, Any]:
    values = {name: row[name] if name in row else None for name in columns}
    values["step"] = _int(values, "step", 0 if key == "epoch" else 1, MAX_RUN_ID, required=True)
    values["epoch"] = _int(values, "epoch", 0 if key == "step" else 1, MAX_RUN_ID, required=True)
    for name in ("loss", "train_loss", "val_loss", "ppl", "train_ppl", "val_ppl"):
        if name in values:
            values[name] = _number(values, name, infinite=True, negative=name.endswith("loss"))
    for name in ("lr", "elapsed", "tokens_per_s"):
        if name in values:
            values[name] = _number(values, name)
    values["tokens"] = _int(values, "tokens", 0, MAX_COUNT)
    return values


# --------------------------------------------------------------------------- values


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int) or _finite(value)


def _finite(value: Any) -> bool:
    return isinstance(value, float) and math.isfinite(value)


def _show(value: Any) -> str:
    """A value in a reason: short, one line, whatever it is."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return "non-UTF-8 bytes"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _missing(name: str) -> DamagedRow:
    return DamagedRow(f"{name} is missing (NULL)")


def _text(
    values: Mapping[str, Any], name: str, limit: int, *, default: str | None = None
) -> str | None:
    """A text column; NULL reads as `default` (an older schema wrote NULL where this one has
    a default), or as None when there is none."""
    value = values.get(name)
    if value is None:
        return default
    if isinstance(value, bytes):
        raise DamagedRow(f"{name} is not UTF-8 text")
    if not isinstance(value, str):
        raise DamagedRow(f"{name} is {_show(value)}, not text")
    if len(value) > limit:
        raise DamagedRow(f"{name} is {len(value):,} characters long (at most {limit:,})")
    if "\x00" in value:
        raise DamagedRow(f"{name} holds a NUL character")
    return value


def _path(values: Mapping[str, Any], name: str) -> str | None:
    value = _text(values, name, MAX_PATH)
    return value or None


def _int(
    values: Mapping[str, Any],
    name: str,
    low: int,
    high: int,
    *,
    default: int | None = None,
    required: bool = False,
) -> int | None:
    value = values.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return default
    if not _is_int(value):
        raise DamagedRow(f"{name} is {_show(value)}, not a whole number")
    if not low <= value <= high:
        raise DamagedRow(f"{name} {value} is out of range ({low} to {high})")
    return int(value)


def _number(
    values: Mapping[str, Any], name: str, *, infinite: bool = False, negative: bool = False
) -> float | None:
    """A number column: NULL reads as None. Perplexities and losses may be infinite or NaN
    (a run that diverged); durations, rates and learning rates are finite."""
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DamagedRow(f"{name} is {_show(value)}, not a number")
    value = float(value)
    if not math.isfinite(value) and not infinite:
        raise DamagedRow(f"{name} is {value}, not a finite number")
    if value < 0 and not negative:
        raise DamagedRow(f"{name} {value:g} is negative")
    return value


def _time(values: Mapping[str, Any], name: str, *, required: bool = False) -> float | None:
    value = values.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DamagedRow(f"{name} is {_show(value)}, not a time")
    if not (math.isfinite(value) and 0 <= value <= MAX_TIME):
        raise DamagedRow(f"{name} {value:g} is not a time (seconds since 1970, up to year 9999)")
    return float(value)


def _json(value: Any, name: str, kind: type, default: Any) -> Any:
    """A JSON column holding a `kind` (dict or list); NULL or empty reads as `default`."""
    if value is None or value == "":
        return default
    if isinstance(value, bytes):
        raise DamagedRow(f"{name} is not UTF-8 text")
    if isinstance(value, kind):  # a backend that decodes JSON columns itself
        data = value
    elif not isinstance(value, str):
        raise DamagedRow(f"{name} is {_show(value)}, not JSON text")
    elif len(value) > MAX_TEXT:
        raise DamagedRow(f"{name} is {len(value):,} characters long (at most {MAX_TEXT:,})")
    else:
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):
            raise DamagedRow(f"{name} is not valid JSON") from None
    if not isinstance(data, kind):
        raise DamagedRow(f"{name} is {_json_kind(data)}, not {_json_kind(kind())}")
    if _depth(data) > MAX_JSON_DEPTH:
        raise DamagedRow(f"{name} is nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _json_kind(data: Any) -> str:
    if isinstance(data, dict):
        return "a JSON object"
    if isinstance(data, list):
        return "a JSON list"
    if isinstance(data, str):
        return "a JSON string"
    if data is None:
        return "JSON null"
    return "a JSON " + ("true/false" if isinstance(data, bool) else "number")


def _check_config(config: dict[str, Any]) -> None:
    """The settings this version knows hold values of their type (None where unset); their
    ranges and choices are not checked here: an older version may have allowed others."""
    for name, value in config.items():
        kind = _CONFIG_KINDS.get(name)
        if value is None or kind is None:
            continue
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            raise DamagedRow(f"config setting {name} is {_show(value)}, not {_KIND_NAMES[kind]}")
        if kind is float and not math.isfinite(value) and name != "time_budget":
            raise DamagedRow(f"config setting {name} is {value}, not a finite number")


def _config_kinds() -> dict[str, type]:
    kinds: dict[str, type] = {}
    for spec in dataclasses.fields(TrainConfig):
        annotation = str(spec.type)
        for kind in (int, float, str):
            if annotation.startswith(kind.__name__):
                kinds[spec.name] = kind
                break
    return kinds


_CONFIG_KINDS = _config_kinds()
_KIND_NAMES = {int: "a whole number", float: "a number", str: "text"}


def _depth(data: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(data, dict):
        return max((_depth(v, level + 1) for v in data.values()), default=level + 1)
    if isinstance(data, list):
        return max((_depth(v, level + 1) for v in data), default=level + 1)
    return level
