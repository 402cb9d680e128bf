"""Search against grid, and the throughput of parallel workers.

`search_against_grid`: for each study seed, the issue's grid (hidden x lr x dropout, 27
trials of 15 s on The Time Machine, a 1-layer LSTM) and a TPE search with median pruning
over ranges of the same settings, given the same trial-seconds (the grid's trials times its
budget a trial). Goal: the search's best <= the grid's best, median over seeds.

`workers_throughput`: the same fixed-work trials run by one worker with every core's threads
and by two workers with half each; trials per hour of each, and their ratio (goal >= 0.9).

Every trial is a real run process recording into a throwaway store, as a user's would.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnn_tui.plural import plural
from rnn_tui.runs.space import parse_space
from rnn_tui.runs.study import StudySpec, create_study, load_study, storage_for
from rnn_tui.runs.worker import TrialOutcome, Worker
from rnn_tui.store import RunStore

GRID = {"hidden": "128,256,384", "lr": "1e-3,3e-3,1e-2", "dropout": "0,0.2,0.4"}
SEARCH = {"hidden": "64..512", "lr": "1e-4..3e-2:log", "dropout": "0..0.5"}
# A 1-layer LSTM on The Time Machine; an epoch row (a validation pass, a pruning report)
# every 40 steps, so a 15 s trial reports several times.
BASE = {"cell": "lstm", "layers": "1", "epochs": "100000", "epoch_steps": "40",
        "sample_length": "0"}  # fmt: skip
TRIAL_SECONDS = 15.0
SEARCH_TRIALS_CAP = 10_000  # the search ends on its seconds, never on this


def search_against_grid(
    seeds: range | list[int],
    *,
    trial_seconds: float = TRIAL_SECONDS,
    grid: dict[str, str] = GRID,
    search: dict[str, str] = SEARCH,
    base: dict[str, str] = BASE,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    fixed = {**base, "time_budget": f"{trial_seconds:g}"}
    per_seed = []
    with tempfile.TemporaryDirectory(prefix="rnn-tui-bench-") as folder:
        with RunStore(Path(folder) / "runs.sqlite3") as store:
            storage = storage_for(store)
            for seed in seeds:
                values = {**fixed, "seed": str(seed)}
                grid_spec = _spec({**values, **grid}, "grid", "none", None, seed)
                budget = grid_spec.trials * trial_seconds
                trials = plural(grid_spec.trials, "trial")
                say(f"seed {seed}: grid of {trials}, {budget:g} trial-seconds")
                grid_run = _run_study(f"grid-{seed}", grid_spec, store, storage, None, say)
                search_spec = _spec({**values, **search}, "tpe", "median", SEARCH_TRIALS_CAP, seed)
                say(f"seed {seed}: TPE + median pruning until {budget:g} trial-seconds")
                search_run = _run_study(f"tpe-{seed}", search_spec, store, storage, budget, say)
                per_seed.append({"seed": seed, "grid": grid_run, "search": search_run})
    grid_best = statistics.median(r["grid"]["best_val_ppl"] for r in per_seed)
    search_best = statistics.median(r["search"]["best_val_ppl"] for r in per_seed)
    return {
        "trial_seconds": trial_seconds,
        "grid": grid,
        "search": search,
        "seeds": per_seed,
        "grid_best_median": grid_best,
        "search_best_median": search_best,
        "goal_met": search_best <= grid_best,
    }


def _spec(
    values: dict[str, str], sampler: str, pruner: str, trials: int | None, seed: int
) -> StudySpec:
    space = parse_space(values, sampler)
    count = space.grid_size() if trials is None else trials
    return StudySpec(space.to_dict(), sampler, pruner, count, seed=seed)


def _run_study(
    name: str,
    spec: StudySpec,
    store: RunStore,
    storage: Any,
    budget_s: float | None,
    say: Callable[[str], None],
) -> dict[str, Any]:
    create_study(name, spec, storage, store.create_sweep(name, []))
    study, _ = load_study(name, storage)

    def keep_going(done: list[TrialOutcome]) -> bool:
        return budget_s is None or sum(o.seconds for o in done) < budget_s

    worker = Worker(
        study, spec, store, on_line=lambda line: say(f"  {line}"), keep_going=keep_going
    )
    outcomes = worker.run()
    finished = [o.value for o in outcomes if o.state == "finished" and o.value is not None]
    return {
        "trials": len(outcomes),
        "finished": len(finished),
        "pruned": sum(1 for o in outcomes if o.state == "pruned"),
        "failed": sum(1 for o in outcomes if o.state == "failed"),
        "trial_seconds": sum(o.seconds for o in outcomes),
        "best_val_ppl": min(finished) if finished else float("inf"),
    }


def workers_throughput(
    trials: int = 8,
    steps: int = 300,
    corpus: str | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Trials per hour of `rnn-tui train --workers 1` (all cores' threads) and of
    `--workers 2` (half each), on the same grid of fixed-work trials (`steps` each)."""
    grid = ",".join(str(seed) for seed in range(trials))  # same model, different seeds
    values = ["--cell", "lstm", "--hidden", "256", "--steps", str(steps), "--seed", grid,
              "--sample-length", "0", "--epoch-steps", str(max(steps // 4, 1))]  # fmt: skip
    if corpus:
        values += ["--corpus", corpus]
    rates = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory(prefix="rnn-tui-bench-") as folder:
            env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
            store = Path(folder) / "runs.sqlite3"
            argv = [sys.executable, "-m", "rnn_tui", "train", *values, "--workers", str(workers),
                    f"--store={store}", "--sweep", "throughput"]  # fmt: skip
            began = time.perf_counter()
            done = subprocess.run(argv, env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - began
            if done.returncode != 0:
                raise RuntimeError(done.stderr.strip().splitlines()[-1:] or done.returncode)
        rates[workers] = trials / seconds * 3600
        say(f"  {workers} worker(s): {trials} trials in {seconds:.1f} s, {rates[workers]:.0f}/h")
    return {
        "trials": trials,
        "steps_per_trial": steps,
        "one_worker_trials_per_hour": rates[1],
        "two_workers_trials_per_hour": rates[2],
        "ratio": rates[2] / rates[1],
        "goal_met": rates[2] / rates[1] >= 0.9,
    }
