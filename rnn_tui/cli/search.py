"""`rnn-tui train` with search flags (--sampler, --pruner, --trials, --sweep, --workers,
--keep-checkpoints, or a range such as --hidden 64..512): create the study, or join the one
named by --sweep, and run it with --workers worker processes on this machine.

Optuna is imported only from here on (through rnn_tui.runs.study and the worker).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from typing import Any

from rnn_tui.config import FIELDS, TrainConfig, flag, preset
from rnn_tui.errors import ConfigError, RnnTuiError
from rnn_tui.plural import plural
from rnn_tui.runs.search_spec import DEFAULT_TRIALS, grid_trial_count, lacks_validation_split
from rnn_tui.runs.space import SearchSpace, is_range, parse_space

MAX_WORKERS = 64


def search_requested(args: argparse.Namespace) -> bool:
    """Whether the train flags ask for a search rather than a run or a comma-list sweep."""
    flags = ("sampler", "pruner", "trials", "sweep", "workers")
    if any(getattr(args, name, None) is not None for name in flags):
        return True
    if getattr(args, "keep_checkpoints", False):
        return True
    return any(is_range(str(getattr(args, name) or "")) for name in FIELDS)


def cmd_search(args: argparse.Namespace) -> int:
    from rnn_tui.runs.study import StudySpec

    refusals = (("resume", "--resume"), ("out", "--out"), ("no_store", "--no-store"),
                ("json", "--json"))  # fmt: skip
    for refused, why in refusals:
        if getattr(args, refused):
            raise RnnTuiError(f"{why} cannot be used with a search (each trial is a stored run)")
    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    values = {**_preset_strings(args.preset), **given}
    has_range = any(is_range(text) for text in values.values())
    sampler = args.sampler or ("tpe" if has_range else "grid")
    space = _space(values, sampler)
    trials = _trial_count(args, space, sampler)
    _check_validation_split(space)
    spec = StudySpec(
        space.to_dict(),
        sampler,
        args.pruner or "none",
        trials,
        keep_checkpoints=args.keep_checkpoints,
    )
    return run_search(args, spec)


def _preset_strings(name: str | None) -> dict[str, str]:
    if not name:
        return {}
    config, default = preset(name), TrainConfig()
    return {k: _text(v) for k, v in config.to_dict().items() if v != getattr(default, k)}


def _text(value: Any) -> str:
    return "none" if value is None else str(value)


def _space(values: dict[str, str], sampler: str) -> SearchSpace:
    try:
        space = parse_space(values, sampler)
    except ConfigError as exc:
        raise RnnTuiError(
            "; ".join(
                f"{flag(name) if name in FIELDS else name}: {message}"
                for name, message in exc.errors.items()
            )
        ) from None
    if not space.searched:
        raise RnnTuiError(
            "a search needs a list (--cell gru,lstm) or a range (--hidden 64..512) in a setting"
        )
    return space


def _trial_count(args: argparse.Namespace, space: SearchSpace, sampler: str) -> int:
    if sampler != "grid":
        return args.trials if args.trials is not None else DEFAULT_TRIALS
    try:
        return grid_trial_count(space, args.trials)
    except ValueError as exc:
        raise RnnTuiError(f"--trials {args.trials}: {exc}; leave --trials out") from None


def _check_validation_split(space: SearchSpace) -> None:
    if lacks_validation_split(space):
        raise RnnTuiError("--val-fraction 0: a search needs a validation split to compare trials")


def run_search(args: argparse.Namespace, spec: Any) -> int:
    from rnn_tui.cli.sweep import print_leaderboard, work
    from rnn_tui.runs.study import create_study, load_study, storage_for, study_names
    from rnn_tui.store import RunStore

    _preflight(spec)
    with RunStore(getattr(args, "store", None)) as store:
        storage = storage_for(store)
        name = args.sweep or time.strftime("sweep-%Y%m%d-%H%M%S")
        if name in study_names(storage):
            _, existing = load_study(name, storage)
            if existing.to_dict() != spec.to_dict():
                raise RnnTuiError(
                    f"study {name!r} exists with other settings; join it with "
                    f"rnn-tui sweep work {name}"
                )
            print(f"joining study {name}", flush=True)
        else:
            sweep_id = store.create_sweep(name, [])
            create_study(name, spec, storage, sweep_id)
            print(f"study {name}: {describe(spec)}", flush=True)
        workers = 1 if args.workers is None else args.workers
        if workers == 0:
            print(f"no worker here; on each host: rnn-tui sweep work {name}")
            return 0
        code = 0
        if workers == 1:
            outcomes = work(name, store, storage)
            code = 1 if outcomes and all(o.state == "failed" for o in outcomes) else 0
        else:
            code = _run_workers(name, store.url.text, workers)  # no password: env has it
        study, _ = load_study(name, storage)
        print_leaderboard(study, store)
    return code


def describe(spec: Any) -> str:
    space = spec.search_space()
    searched = [f"{flag(k)} {','.join(v)}" for k, v in space.choices.items()]
    searched += [f"{flag(k)} {r.text()}" for k, r in space.ranges.items()]
    return (
        f"{spec.sampler} sampler, pruner {spec.pruner}, {plural(spec.trials, 'trial')} "
        f"over {' '.join(searched)}"
    )


def _preflight(spec: Any) -> None:
    """Refuse before the first trial what no trial could train (a missing corpus, a corpus
    too short): a grid's every point, or a search's largest corner."""
    from rnn_tui.config import from_strings
    from rnn_tui.runs.preflight import check_configs

    space = spec.search_space()
    if spec.sampler == "grid":
        configs = [from_strings(space.values(p)) for p in space.grid_points()]
    else:
        corner = {k: v[0] for k, v in space.choices.items()}
        corner.update({k: r.high for k, r in space.ranges.items()})
        configs = [from_strings(space.values(corner))]
    check_configs(configs)


def _run_workers(name: str, store_path: Any, workers: int) -> int:
    """N `rnn-tui sweep work NAME` processes, each with its share of the cores' threads;
    Ctrl-C reaches them all (same process group), SIGTERM is passed on. The exit code is
    the highest of theirs."""
    if not 1 <= workers <= MAX_WORKERS:
        raise RnnTuiError(f"--workers must be 1 to {MAX_WORKERS}")
    threads = max(1, _cores() // workers)
    argv = [sys.executable, "-m", "rnn_tui", "sweep", "work", name, f"--store={store_path}"]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    print(f"{plural(workers, 'worker')}, {plural(threads, 'torch thread')} each", flush=True)
    children = [subprocess.Popen(argv, env=env) for _ in range(workers)]

    def forward(signum: int, frame: Any) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, lambda signum, frame: None)  # the workers get it themselves
    return max(child.wait() for child in children)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
