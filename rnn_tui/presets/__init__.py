"""The presets: named sets of TrainConfig values, one JSON file each beside this module.

Each file holds `about` (why the preset exists), `order` (its place in menus) and `values`
(the fields it sets). No imports from the rest of rnn_tui: config.py builds on this.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _load() -> dict[str, dict[str, Any]]:
    files = sorted(Path(__file__).parent.glob("*.json"))
    loaded = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in files}
    ordered = sorted(loaded.items(), key=lambda item: item[1]["order"])
    return {name: data["values"] for name, data in ordered}


PRESETS: dict[str, dict[str, Any]] = _load()
