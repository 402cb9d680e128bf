"""A run plan is data: what one start, resume or sweep will run, decided before anything is built.

The planner (`rnn_tui.runs.planner`) turns what a user gave (form strings, flags, a run to
resume) into a `RunPlan`; the run process executes the plan (`python -m rnn_tui train --plan
PATH`) and never parses flags again. A plan holds:

- `configs`: the validated TrainConfig of each run, in order (one run, or a sweep's runs);
- `resume`: the checkpoint (and stored run id) a resume continues, else None;
- `store`: where the runs are recorded, kept as text (a SQLite path today, a URL later);
  None: not recorded (`--no-store`);
- `name`, `out_dir`: the run's name and an extra output folder, as the user gave them;
- `sweep`: (sweep id, index) once a run of a recorded sweep has its own one-run plan;
- `confirmed`: the question the user agreed to (a large sweep), if any;
- `versions`: rnn-tui's and torch's, read from the installed metadata (torch is not imported).

On disk a plan is JSON: {"format", "schema", "sha256", "plan"}. `save_plan` writes it
atomically; the executor writes each run's one-run plan as `plan.json` in the run's folder,
and that file is the run's canonical record of what was asked. `load_plan` is strict: a plan
of another schema (older or newer), one edited since it was written (checksum), or one whose
fields are not exactly what this version writes is refused in one line (PlanError) before
anything is built. A plan is untrusted input, as a checkpoint is.

A search (Optuna) fits beside this without changing it: a search plan holds the space, the
sampler, the pruner, the trial count and a base config; each trial's sampled values become a
one-run plan through `planner.plan_start(values, base=...)`, and a sampled config the planner
refuses is a failed trial whose reason is the refusal's one line.

No torch and no Textual here: the TUI plans in its own process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnn_tui.atomic import atomic_file
from rnn_tui.config import TrainConfig
from rnn_tui.errors import ConfigError, RnnTuiError

PLAN_FORMAT = "rnn-tui-run-plan"
PLAN_SCHEMA = 1
PLAN_FILE = "plan.json"  # in each run's folder: the canonical record of the run's plan
MAX_PLAN_BYTES = 64 * 1024 * 1024  # a sweep of 10,000 runs is about 12 MB


class PlanError(RnnTuiError):
    """A plan file that cannot be executed as it is: one line that says why."""


@dataclass(frozen=True)
class ResumeRef:
    """What a resume continues: a checkpoint file, and the stored run it belongs to."""

    checkpoint: str
    run_id: int | None = None


@dataclass(frozen=True)
class Versions:
    rnn_tui: str
    torch: str


def _installed(name: str) -> str:
    # Imported when a plan is made: importlib.metadata (with email and zipfile) costs the
    # TUI's first frame about 10 ms, and the TUI plans only on Start.
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def current_versions() -> Versions:
    """The installed rnn-tui and torch, from package metadata (torch is not imported)."""
    return Versions(rnn_tui=_installed("rnn-tui"), torch=_installed("torch"))


@dataclass(frozen=True)
class RunPlan:
    """The runs one start, resume or sweep stands for; see the module docstring."""

    configs: tuple[TrainConfig, ...]
    store: str | None = None
    name: str | None = None
    resume: ResumeRef | None = None
    out_dir: str | None = None
    sweep: tuple[int, int] | None = None
    confirmed: str | None = None
    versions: Versions = field(default_factory=current_versions)

    @property
    def is_sweep(self) -> bool:
        return len(self.configs) > 1

    def one_run(self, index: int, *, sweep_id: int | None = None, name: str | None) -> RunPlan:
        """The plan of the run at `index`, as recorded in that run's folder."""
        sweep = (sweep_id, index) if sweep_id is not None else self.sweep
        return dataclasses.replace(self, configs=(self.configs[index],), sweep=sweep, name=name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "configs": [config.to_dict() for config in self.configs],
            "store": self.store,
            "name": self.name,
            "resume": dataclasses.asdict(self.resume) if self.resume else None,
            "out_dir": self.out_dir,
            "sweep": list(self.sweep) if self.sweep else None,
            "confirmed": self.confirmed,
            "versions": dataclasses.asdict(self.versions),
        }

    @classmethod
    def from_dict(cls, data: Any) -> RunPlan:
        """The plan `to_dict` wrote; PlanError naming the first thing that is not."""
        _exact_keys(data, {f.name for f in dataclasses.fields(cls)}, "the plan")
        configs = data["configs"]
        if not isinstance(configs, list) or not configs:
            raise PlanError("configs: must be a list of at least one run")
        resume = data["resume"]
        if resume is not None:
            _exact_keys(resume, {"checkpoint", "run_id"}, "resume")
            _typed(resume["checkpoint"], str, "resume.checkpoint")
            if resume["run_id"] is not None:
                _typed(resume["run_id"], int, "resume.run_id")
            resume = ResumeRef(resume["checkpoint"], resume["run_id"])
        sweep = data["sweep"]
        if sweep is not None:
            if not (isinstance(sweep, list) and len(sweep) == 2):
                raise PlanError("sweep: must be [sweep id, index]")
            sweep = (_typed(sweep[0], int, "sweep id"), _typed(sweep[1], int, "sweep index"))
        for key in ("store", "name", "out_dir", "confirmed"):
            if data[key] is not None:
                _typed(data[key], str, key)
        versions = data["versions"]
        _exact_keys(versions, {"rnn_tui", "torch"}, "versions")
        return cls(
            configs=tuple(_config(item, index, len(configs)) for index, item in enumerate(configs)),
            store=data["store"],
            name=data["name"],
            resume=resume,
            out_dir=data["out_dir"],
            sweep=sweep,
            confirmed=data["confirmed"],
            versions=Versions(
                _typed(versions["rnn_tui"], str, "versions.rnn_tui"),
                _typed(versions["torch"], str, "versions.torch"),
            ),
        )


_CONFIG_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}


def _exact_keys(data: Any, keys: set[str], what: str) -> None:
    if not isinstance(data, dict):
        raise PlanError(f"{what}: must be an object")
    if set(data) != keys:
        extra, missing = sorted(set(data) - keys), sorted(keys - set(data))
        parts = [f"unknown {', '.join(extra)}"] if extra else []
        parts += [f"missing {', '.join(missing)}"] if missing else []
        raise PlanError(f"{what}: {'; '.join(parts)}")


def _typed(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise PlanError(f"{what}: must be {'a whole number' if kind is int else 'text'}")
    return value


def _config(data: Any, index: int, count: int) -> TrainConfig:
    what = f"run {index + 1} of {count}" if count > 1 else "the run's config"
    _exact_keys(data, _CONFIG_FIELDS, what)
    try:
        return TrainConfig(**data).checked()
    except ConfigError as exc:
        raise PlanError(f"{what}: {exc}") from None


# --------------------------------------------------------------------------- files


def _digest(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def plan_json(plan: RunPlan) -> str:
    body = plan.to_dict()
    document = {
        "format": PLAN_FORMAT,
        "schema": PLAN_SCHEMA,
        "sha256": _digest(body),
        "plan": body,
    }
    return json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"


def save_plan(plan: RunPlan, path: str | Path) -> Path:
    """Write the plan atomically (a crash never leaves half a plan); returns the path."""
    path = Path(path)
    text = plan_json(plan)
    try:
        with atomic_file(path) as handle:
            handle.write(text.encode("utf-8"))
    except OSError as exc:
        raise PlanError(f"cannot write the plan {path}: {exc.strerror or exc}") from None
    return path


def load_plan(path: str | Path) -> RunPlan:
    """The plan in `path`; PlanError in one line when it is not one this version wrote as is."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PLAN_BYTES:
            raise PlanError(f"plan {path} is {size:,} bytes, more than a plan can be")
        raw = path.read_bytes()
    except OSError as exc:
        raise PlanError(f"cannot read the plan {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PlanError(f"{path} is not an rnn-tui run plan (not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != PLAN_FORMAT:
        raise PlanError(f"{path} is not an rnn-tui run plan")
    schema = document.get("schema")
    if schema != PLAN_SCHEMA:
        age = "an older" if isinstance(schema, int) and schema < PLAN_SCHEMA else "another"
        raise PlanError(
            f"plan {path} was written by {age} version of rnn-tui (plan schema {schema!r}); "
            f"this one reads schema {PLAN_SCHEMA}: plan the run again"
        )
    body = document.get("plan")
    if set(document) != {"format", "schema", "sha256", "plan"} or not isinstance(body, dict):
        raise PlanError(f"plan {path} is damaged: its fields are not those of a plan")
    try:
        digest = _digest(body)
    except ValueError:
        digest = None  # NaN or infinity: never written by save_plan
    if digest != document.get("sha256"):
        raise PlanError(
            f"plan {path} was changed after it was planned (its checksum does not match); "
            "plan the run again"
        )
    try:
        return RunPlan.from_dict(body)
    except PlanError as exc:
        raise PlanError(f"plan {path}: {exc}") from None
