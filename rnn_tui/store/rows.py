"""A run as the store returns it, run ids as users type them, and the JSON in the columns."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Generic, TypeVar

from rnn_tui.errors import StoreError

MAX_RUN_ID = 2**63 - 1  # SQLite's largest INTEGER
V = TypeVar("V")


def looks_like_run_id(text: str) -> bool:
    """True for ASCII digits: the user means a run id, not a path."""
    return text.isascii() and text.isdigit()


def parse_run_id(text: str) -> int:
    """A run id typed by a user: ASCII digits within SQLite's range, else one StoreError line."""
    text = text.strip()
    if not looks_like_run_id(text):
        raise StoreError(f"a run id is a whole number like 7, not {text!r}")
    value = int(text)
    if not 1 <= value <= MAX_RUN_ID:
        raise StoreError(f"run id {text} is out of range (1 to {MAX_RUN_ID})")
    return value


class ConfigValue(Generic[V]):
    """A setting of a run's config read as an attribute of the run, named as the setting;
    None when the config lacks it (a run stored by an older version)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, run: RunRow | None, owner: type | None = None) -> V | None:
        if run is None:  # read on the class, as help() and inspect do
            return self  # type: ignore[return-value]
        return run.config.get(self.name)


@dataclass
class RunRow:
    id: int
    name: str
    status: str
    config: dict[str, Any]
    created: float
    ended: float | None
    device: str
    torch_version: str
    params: int
    tags: list[str]
    best_val_ppl: float | None
    final_train_ppl: float | None
    final_val_ppl: float | None
    tokens_per_s: float | None
    steps: int
    epochs: int
    seconds: float | None
    checkpoint: str | None
    best_checkpoint: str | None
    message: str
    sweep_id: int | None
    sweep_index: int | None
    pid: int | None
    hostname: str = ""
    extra: dict[str, Any] = field(default_factory=dict, repr=False)  # columns of later schemas

    @property
    def cell(self) -> str:
        return str(self.config.get("cell", ""))

    layers = ConfigValue[int]()
    hidden = ConfigValue[int]()
    batch_size = ConfigValue[int]()
    lr = ConfigValue[float]()

    @property
    def corpus_label(self) -> str:
        return self.config.get("corpus") or "The Time Machine"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data


ROW_FIELDS = [f for f in RunRow.__dataclass_fields__ if f != "extra"]


def row_to_run(row: Mapping[str, Any]) -> RunRow:
    values = dict(row)
    values["config"] = loads(values.get("config"), {})
    values["tags"] = loads(values.get("tags"), [])
    known = {name: values.pop(name, None) for name in ROW_FIELDS}
    for private in ("pid_start", "heartbeat", "stop_requested"):  # liveness, read by the store
        values.pop(private, None)
    known["hostname"] = known["hostname"] or ""
    return RunRow(**known, extra=values)


def loads(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def haystack(run: RunRow) -> str:
    corpus = run.config.get("corpus") or "the time machine"
    return " ".join([run.name, " ".join(run.tags), run.status, run.cell, str(corpus)]).lower()


def default_name(config: dict[str, Any], run_id: int) -> str:
    cell = config.get("cell", "rnn")
    return f"{cell}-{config.get('layers', 1)}x{config.get('hidden', '?')}-{run_id}"


# --------------------------------------------------------------------------- recorder
