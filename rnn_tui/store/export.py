"""Runs and their metrics as CSV (one row per epoch) or JSON (everything)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rnn_tui import strict_json
from rnn_tui.errors import StoreError
from rnn_tui.store.schema import EPOCH_COLUMNS, KEY_CONFIG_FIELDS

if TYPE_CHECKING:
    from rnn_tui.store.runs import RunStore


def export(store: RunStore, run_ids: Sequence[int], fmt: str) -> str:
    fmt = fmt.lower()
    if fmt not in ("json", "csv"):
        raise StoreError(f"unknown export format {fmt!r}; use csv or json")
    runs = [store.get_run(run_id) for run_id in run_ids]
    if fmt == "json":
        items = [
            {
                "run": run.to_dict(),
                "steps": store.step_metrics(run.id),
                "epochs": store.epoch_metrics(run.id),
            }
            for run in runs
        ]
        return strict_json.dumps(items, indent=2)
    out = io.StringIO()
    metric_columns = [c for c in EPOCH_COLUMNS if c not in ("sample",)]
    header = ["run_id", "run_name", "status", *KEY_CONFIG_FIELDS, *metric_columns]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for run in runs:
        config_values = [_csv_value(run.config.get(name)) for name in KEY_CONFIG_FIELDS]
        for epoch in store.epoch_metrics(run.id):
            writer.writerow(
                [
                    run.id,
                    run.name,
                    run.status,
                    *config_values,
                    *(_csv_value(epoch[c]) for c in metric_columns),
                ]
            )
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    return value
