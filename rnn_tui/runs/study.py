"""A search is an Optuna study: where it is kept, how it is created or joined, its sampler
and pruner, and how its trials are counted.

Optuna is imported here and only here (and by the worker, which imports this module), and
only when a search runs: `rnn-tui train` without search flags and the TUI's start-up never
load it. Every error Optuna raises becomes one StudyError line.

Storage: beside a SQLite run store, Optuna's journal file (with its file lock), off the run
database, so parallel workers never contend on SQLite's one writer; with a PostgreSQL URL,
the same database holds the study (RDBStorage with a heartbeat, so a dead worker's trial is
failed and re-queued once by Optuna's own callback).
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.space import PRUNERS, SAMPLERS, SearchSpace
from rnn_tui.store.heartbeat import grace_period, heartbeat_interval

if TYPE_CHECKING:
    import optuna

SPEC_ATTR = "rnn_tui"  # the study's user attr holding its StudySpec: written last, so "ready"
SWEEP_ATTR = "sweep_id"  # the study's sweep in the run store: its trials' runs point to it
STOP_ATTR = "stop"  # `sweep stop` sets it; workers end their trials and leave
# Trial user attrs
RUN_ATTR = "run_id"
HOST_ATTR = "host"
WORKER_ATTR = "worker"  # [pid, process token] of the worker that runs it
REASON_ATTR = "reason"  # why a trial failed or was pruned, one line
RETRY_OF_ATTR = "retry_of"  # a re-queued trial: the number of the one whose worker died
RETRIED_ATTR = "retried"  # a failed trial that was re-queued: its retry counts instead
SURPLUS_ATTR = "surplus"  # asked beyond --trials by a racing worker: never counted
# Median pruning compares with finished trials only after this many, at any report.
MEDIAN_STARTUP_TRIALS = 3
ASHA_REDUCTION = 3
# A trial's Optuna steps: epoch k ends at k * STEPS_PER_EPOCH, evaluations within the epoch
# (--eval-interval) between (the worker's Reports); so ASHA's first rung is one epoch.
STEPS_PER_EPOCH = 1000


class StudyError(RnnTuiError):
    """A study cannot be created, found or read: one line."""


@dataclass(frozen=True)
class StudySpec:
    """What a study searches and how, as its creator's flags said: stored with the study so a
    worker on any host runs the same trials."""

    space: dict[str, Any]  # SearchSpace.to_dict()
    sampler: str
    pruner: str
    trials: int
    keep_checkpoints: bool = False
    seed: int | None = None  # the sampler's seed (a worker adds its index)
    preset: str | None = None

    def search_space(self) -> SearchSpace:
        return SearchSpace.from_dict(self.space)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudySpec:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def _optuna() -> Any:
    """Optuna, quiet: its INFO lines and experimental warnings are replaced by ours."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    # We record heartbeats around ask and tell ourselves (the worker), not in Study.optimize.
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
    return optuna


@contextlib.contextmanager
def optuna_errors(what: str) -> Iterator[None]:
    """Any exception Optuna or its storage raises becomes one StudyError line."""
    try:
        yield
    except RnnTuiError:
        raise
    except Exception as exc:  # noqa: BLE001 - Optuna and its drivers raise many kinds
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise StudyError(f"{what}: {text}") from None


def journal_path(store_path: Path) -> Path:
    """The journal file of a SQLite store's studies, beside it."""
    return store_path.with_name(store_path.stem + ".studies.journal")


def open_storage(store_path: Path | None = None, url: str | None = None) -> Any:
    """The study storage: a PostgreSQL `url`, else the journal file beside `store_path`."""
    optuna = _optuna()
    if url:
        with optuna_errors("cannot open the study database"):
            from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

            interval, grace = trial_heartbeat_seconds()
            return RDBStorage(
                url,
                heartbeat_interval=interval,
                grace_period=grace,
                heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=1),
            )
    assert store_path is not None
    path = journal_path(Path(store_path))
    with optuna_errors(f"cannot open the study journal {path}"):
        from optuna.storages.journal import JournalFileBackend

        path.parent.mkdir(parents=True, exist_ok=True)
        # Its default lock (a symlink beside the file), the one optuna-dashboard takes too.
        return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def trial_heartbeat_seconds() -> tuple[int, int]:
    """(interval, grace period) of a worker's trial heartbeat on PostgreSQL: the run
    heartbeat's settings (store/heartbeat.py), so one setting times both and tests can use
    1-2 s; rounded up to the whole seconds Optuna takes."""
    interval = max(1, math.ceil(heartbeat_interval()))
    return interval, max(interval, math.ceil(grace_period()))


def storage_for(store: Any) -> Any:
    """The study storage that goes with a run store: the same PostgreSQL database, or the
    journal file beside a SQLite store."""
    url = getattr(store, "url", None)  # a store that knows its URL (SQLite or PostgreSQL)
    if url is not None and getattr(url, "is_postgres", False):
        return open_storage(url=url.sqlalchemy_url().render_as_string(hide_password=False))
    return open_storage(store.path)


def has_heartbeat(storage: Any) -> bool:
    """Whether the storage records trial heartbeats (RDB; a study wraps it in a cache)."""
    from optuna.storages._heartbeat import is_heartbeat_enabled

    return is_heartbeat_enabled(storage)


def study_names(storage: Any) -> list[str]:
    optuna = _optuna()
    with optuna_errors("cannot list the studies"):
        return list(optuna.study.get_all_study_names(storage))


def create_study(name: str, spec: StudySpec, storage: Any, sweep_id: int) -> optuna.Study:
    """A new study whose trials' runs belong to sweep `sweep_id` of the run store; a grid's
    every point is enqueued as a waiting trial before its spec is written (the spec marks the
    study ready, so no worker starts on a half-made queue). StudyError when a study of that
    name exists."""
    optuna = _optuna()
    if name in study_names(storage):
        raise StudyError(f"a study named {name!r} exists already")
    with optuna_errors(f"cannot create study {name!r}"):
        study = optuna.create_study(study_name=name, storage=storage, direction="minimize")
        if spec.sampler == "grid":
            for number, point in enumerate(spec.search_space().grid_points()):
                study.enqueue_trial(point, user_attrs={"grid_point": number})
        study.set_user_attr(SWEEP_ATTR, int(sweep_id))
        study.set_user_attr(SPEC_ATTR, spec.to_dict())
    return study


def load_study(
    name: str, storage: Any, *, worker_index: int = 0, wait_s: float = 30.0
) -> tuple[optuna.Study, StudySpec]:
    """An existing study with its sampler and pruner made from its stored spec. A study still
    being set up (no spec yet) is waited for up to `wait_s`."""
    optuna = _optuna()
    if name not in study_names(storage):
        raise StudyError(f"no study named {name!r} (rnn-tui sweep list shows them)")
    deadline = time.monotonic() + wait_s
    while True:
        with optuna_errors(f"cannot load study {name!r}"):
            plain = optuna.load_study(study_name=name, storage=storage)
            data = plain.user_attrs.get(SPEC_ATTR)
        if data is not None:
            break
        if time.monotonic() > deadline:
            raise StudyError(f"study {name!r} was not made by rnn-tui (or is still being set up)")
        time.sleep(0.2)
    with optuna_errors(f"study {name!r} has settings this rnn-tui cannot read"):
        spec = StudySpec.from_dict(data)
        sampler = make_sampler(spec, worker_index)
        pruner = make_pruner(spec.pruner)
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    return study, spec


def make_sampler(spec: StudySpec, worker_index: int = 0) -> Any:
    """The study's sampler; a grid's points are all enqueued, so it never samples one."""
    from optuna import samplers

    seed = None if spec.seed is None else spec.seed + worker_index
    if spec.sampler not in SAMPLERS:
        raise StudyError(f"unknown sampler {spec.sampler!r}; one of {', '.join(SAMPLERS)}")
    if spec.sampler == "tpe":
        return samplers.TPESampler(seed=seed)
    return samplers.RandomSampler(seed=seed)


def make_pruner(name: str) -> Any:
    from optuna import pruners

    if name == "median":
        return pruners.MedianPruner(n_startup_trials=MEDIAN_STARTUP_TRIALS, n_warmup_steps=0)
    if name == "asha":
        return pruners.SuccessiveHalvingPruner(
            min_resource=STEPS_PER_EPOCH, reduction_factor=ASHA_REDUCTION
        )
    if name == "none":
        return pruners.NopPruner()
    raise StudyError(f"unknown pruner {name!r}; one of {', '.join(PRUNERS)}")


def distributions(space: SearchSpace) -> dict[str, Any]:
    """Optuna's distribution of each searched field: a list is categorical, a range is an
    int or float distribution (log-scaled with :log)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    found: dict[str, Any] = {
        name: CategoricalDistribution(options) for name, options in space.choices.items()
    }
    for name, span in space.ranges.items():
        if span.integer:
            found[name] = IntDistribution(int(span.low), int(span.high), log=span.log)
        else:
            found[name] = FloatDistribution(span.low, span.high, log=span.log)
    return found


# --------------------------------------------------------------------------- counting


# Optuna's heartbeat callback marks a re-queued trial with the number of the one it retries.
OPTUNA_RETRY_OF = "failed_trial"


def counted_trials(trials: list[Any]) -> list[Any]:
    """The trials that are the study's --trials: finished, pruned, failed, running or waiting;
    not a failed trial that was re-queued (its retry counts instead) nor a surplus one."""
    retried = {t.system_attrs.get(OPTUNA_RETRY_OF) for t in trials} - {None}
    return [
        t
        for t in trials
        if not (t.user_attrs.get(RETRIED_ATTR) or t.user_attrs.get(SURPLUS_ATTR))
        and t.number not in retried
    ]


def trials_left(study: Any, spec: StudySpec) -> int:
    """How many more trials a worker may start: --trials less those counted (any state)."""
    with optuna_errors("cannot read the study's trials"):
        trials = study.get_trials(deepcopy=False)
    counted = counted_trials(trials)
    from optuna.trial import TrialState

    waiting = sum(1 for t in counted if t.state == TrialState.WAITING)
    return max(spec.trials - len(counted), 0) + waiting


def is_surplus(study: Any, spec: StudySpec, number: int) -> bool:
    """A trial just asked is surplus when --trials counted trials come before it: two
    workers that asked at once keep the earlier-numbered trial."""
    with optuna_errors("cannot read the study's trials"):
        trials = study.get_trials(deepcopy=False)
    before = sum(1 for t in counted_trials(trials) if t.number < number)
    return before >= spec.trials


def sweep_of(study: Any) -> int:
    """The run store's sweep that the study's trials belong to."""
    with optuna_errors("cannot read the study"):
        return int(study.user_attrs[SWEEP_ATTR])


def stop_requested(study: Any) -> bool:
    with optuna_errors("cannot read the study"):
        storage = study._storage
        return bool(storage.get_study_user_attrs(study._study_id).get(STOP_ATTR))


def request_stop(study: Any) -> None:
    with optuna_errors("cannot stop the study"):
        study.set_user_attr(STOP_ATTR, True)
