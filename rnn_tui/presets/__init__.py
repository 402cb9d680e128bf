"""The presets: named sets of TrainConfig values, one JSON file each beside this module.

Each file holds `about` (why the preset exists), `order` (its place in menus) and `values`
(the fields it sets). A batch size or num_steps of "auto" is this CPU's batch shape
(rnn_tui.training.hardware), picked when the presets are read. Nothing else of rnn_tui is imported
here: config.py builds on this.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _load() -> dict[str, dict[str, Any]]:
    files = sorted(Path(__file__).parent.glob("*.json"))
    loaded = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in files}
    ordered = sorted(loaded.items(), key=lambda item: item[1]["order"])
    return {name: _resolve(data["values"]) for name, data in ordered}


def _resolve(values: dict[str, Any]) -> dict[str, Any]:
    from rnn_tui.training.hardware import AUTO_NUM_STEPS, auto_batch_size  # torch-free at import

    auto = {"batch_size": auto_batch_size, "num_steps": lambda: AUTO_NUM_STEPS}
    return {k: auto[k]() if v == "auto" and k in auto else v for k, v in values.items()}


PRESETS: dict[str, dict[str, Any]] = _load()
