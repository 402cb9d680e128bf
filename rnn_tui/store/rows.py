"""A run as the store returns it, run ids as users type them, and the JSON in the columns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Generic, TypeVar

from rnn_tui import strict_json
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
    # What tells the writer process apart from a later one given the same pid (not exported).
    pid_start: str | None = field(default=None, repr=False)

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
        del data["pid_start"]
        data.update(data.pop("extra"))
        return data


def storable(value: Any) -> Any:
    """Text the database can hold: a name typed in a non-UTF-8 locale reaches Python with
    its bytes as surrogates, which UTF-8 cannot encode; they are decoded as UTF-8 again (what
    cannot be decoded becomes U+FFFD). Other values are returned as they are."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def dumps(value: Any) -> str:
    return strict_json.dumps(value, default=str)


def haystack(run: RunRow) -> str:
    corpus = run.config.get("corpus") or "the time machine"
    return " ".join([run.name, " ".join(run.tags), run.status, run.cell, str(corpus)]).lower()


def default_name(config: dict[str, Any], run_id: int) -> str:
    cell = config.get("cell", "rnn")
    return f"{cell}-{config.get('layers', 1)}x{config.get('hidden', '?')}-{run_id}"


# --------------------------------------------------------------------------- recorder
