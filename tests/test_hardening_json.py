"""Strict JSON: every --json output, export and JSON file the app writes parses under a
strict parser (jq, JavaScript, Go), with non-finite numbers written as null."""

from __future__ import annotations

import json
import math

import pytest

from rnn_tui import strict_json
from rnn_tui.store import RunStore
from rnn_tui.training.events import EpochEnd, StepEnd
from tests.cli_calls import call_cli


def strict(text: str):
    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def infinite_run(isolated_dirs) -> int:
    """A run whose perplexities are infinite and NaN (it diverged)."""
    with RunStore() as store:
        run_id = store.create_run({"cell": "rnn", "hidden": 8}, name="diverged")
        recorder = store.recorder(run_id)
        recorder(StepEnd(1, 1, math.inf, math.inf, 0.01, 100.0, 10, 0.5))
        recorder(EpochEnd(1, 1, math.inf, math.inf, math.nan, math.nan, 100.0, 10, 0.5, "", False,
                          None))  # fmt: skip
        recorder.flush()
        store.finish_run(run_id, "diverged", best_val_ppl=math.inf, final_val_ppl=math.nan)
    return run_id


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "list", "--json"],
        ["runs", "show", "1", "--json"],
        ["runs", "export", "1", "--format", "json"],
    ],
    ids=" ".join,
)
def test_json_output_is_strict_and_non_finite_is_null(args, infinite_run, isolated_dirs):
    result = call_cli(args, cwd=isolated_dirs)
    assert result.returncode == 0, result
    data = strict(result.stdout)
    item = data[0] if isinstance(data, list) else data
    run = item.get("run", item)
    assert run["status"] == "diverged" and run["best_val_ppl"] is None
    assert run["final_val_ppl"] is None
    if "run" in item:  # show and export: the metric rows too
        assert item["steps"][0]["loss"] is None
        assert item["epochs"][0]["train_ppl"] is None and item["epochs"][0]["val_ppl"] is None


def test_an_export_file_is_strict(infinite_run, isolated_dirs):
    target = isolated_dirs / "export.json"
    result = call_cli(
        ["runs", "export", "1", "--format", "json", "-o", str(target)], cwd=isolated_dirs
    )
    assert result.returncode == 0, result
    assert strict(target.read_text(encoding="utf-8"))[0]["steps"][0]["loss"] is None


def test_strict_dumps_never_writes_a_constant():
    text = strict_json.dumps({"a": [math.inf, -math.inf, (math.nan, 1.5)], "b": {"c": 2}})
    assert strict(text) == {"a": [None, None, [None, 1.5]], "b": {"c": 2}}
