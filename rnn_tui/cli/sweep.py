"""`rnn-tui sweep list|show|stop|work`: report a study, end it, or join it as a worker.

Optuna is imported only when one of these runs (through rnn_tui.runs.study); the parser
below imports none of it.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from rnn_tui import strict_json
from rnn_tui.errors import RnnTuiError
from rnn_tui.plural import plural


def add_sweep_parser(subparsers: Any) -> None:
    sweep = subparsers.add_parser(
        "sweep",
        help="searches (Optuna studies): list, show, stop, or work on one",
        description="Searches started with rnn-tui train --sampler/--pruner/--trials or a "
        "range: list them, show a leaderboard, stop one, or join one as a worker.",
    )
    sub = sweep.add_subparsers(dest="sweep_command", metavar="COMMAND")
    sub.required = True
    p = sub.add_parser("list", help="the studies, with their trials and best")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = sub.add_parser("show", help="a study's leaderboard: trials, parameters, best val ppl")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = sub.add_parser("stop", help="end a study: its workers stop their trials cleanly")
    p.add_argument("name", metavar="NAME")
    p = sub.add_parser("work", help="join a study as a worker until it has its trials")
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--threads", type=int, metavar="N", help="torch threads of each trial (default: torch's)"
    )
    for leaf in sub.choices.values():
        leaf.add_argument("--store", metavar="DB", help=argparse.SUPPRESS)


def cmd_sweep(args: argparse.Namespace) -> int:
    from rnn_tui.runs.study import storage_for
    from rnn_tui.store import RunStore

    with RunStore(getattr(args, "store", None)) as store:
        storage = storage_for(store)
        command = args.sweep_command
        if command == "list":
            return _list(store, storage, args.json)
        if command == "show":
            return _show(args.name, store, storage, args.json)
        if command == "stop":
            return _stop(args.name, storage)
        if args.threads is not None:
            if args.threads < 1:
                raise RnnTuiError("--threads must be at least 1")
            os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read by each trial's torch
        outcomes = work(args.name, store, storage)
        return 1 if outcomes and all(o.state == "failed" for o in outcomes) else 0


def work(name: str, store: Any, storage: Any) -> list[Any]:
    """Run trials of study `name` in this process until it has its trials; Ctrl-C or
    SIGTERM ends the current trial cleanly (told to the study as failed) and leaves."""
    from rnn_tui.cli.process import install_stop_handler
    from rnn_tui.runs.study import load_study
    from rnn_tui.runs.worker import Worker

    study, spec = load_study(name, storage, worker_index=os.getpid())
    worker = Worker(study, spec, store, on_line=lambda line: print(line, flush=True))
    install_stop_handler(worker.stop)
    return worker.run()


def _list(store: Any, storage: Any, as_json: bool) -> int:
    from rnn_tui.runs.leaderboard import leaderboard
    from rnn_tui.runs.study import load_study, study_names

    rows = []
    for name in study_names(storage):
        try:
            study, spec = load_study(name, storage, wait_s=0)
        except RnnTuiError:
            continue  # not one of ours
        board = leaderboard(study)
        done = sum(1 for r in board if r.status in ("finished", "pruned", "failed"))
        best = next((r.best_val_ppl for r in board if r.status == "finished"), None)
        rows.append(
            {"name": name, "sampler": spec.sampler, "pruner": spec.pruner, "trials": spec.trials,
             "done": done, "running": sum(1 for r in board if r.status == "running"),
             "best_val_ppl": best}
        )  # fmt: skip
    if as_json:
        print(strict_json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no studies (rnn-tui train --sampler tpe --hidden 64..512 --trials 12 starts one)")
        return 0
    print(f"{'study':<28} {'sampler':<7} {'pruner':<6} {'done':>9} {'running':>7} {'best':>8}")
    for r in rows:
        best = f"{r['best_val_ppl']:.3f}" if r["best_val_ppl"] is not None else "-"
        done = f"{r['done']}/{r['trials']}"
        print(
            f"{r['name']:<28} {r['sampler']:<7} {r['pruner']:<6} {done:>9} "
            f"{r['running']:>7} {best:>8}"
        )
    return 0


def _show(name: str, store: Any, storage: Any, as_json: bool) -> int:
    from rnn_tui.runs.leaderboard import importances, leaderboard
    from rnn_tui.runs.study import load_study

    study, _ = load_study(name, storage, wait_s=0)
    if as_json:
        rows = [row.to_dict() for row in leaderboard(study, store)]
        print(strict_json.dumps({"trials": rows, "importances": importances(study)}, indent=2))
        return 0
    print_leaderboard(study, store)
    found = importances(study)
    if found:
        shares = ", ".join(f"{name} {share:.2f}" for name, share in found.items())
        print(f"importance to best val ppl (PED-ANOVA): {shares}")
    return 0


def _stop(name: str, storage: Any) -> int:
    from rnn_tui.runs.study import load_study, request_stop

    study, _ = load_study(name, storage, wait_s=0)
    request_stop(study)
    print(f"study {name}: stopping; its workers end their current trials")
    return 0


def print_leaderboard(study: Any, store: Any) -> None:
    """The leaderboard as plain lines: trial, status, best val ppl, parameters, host, time."""
    from rnn_tui.runs.leaderboard import leaderboard

    rows = leaderboard(study, store)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    print(f"study {study.study_name}: {plural(len(rows), 'trial')} ({summary or 'none yet'})")
    if not rows:
        return
    print(f"{'trial':>5} {'status':<8} {'best ppl':>8} {'run':>5} {'seconds':>7}  host  parameters")
    for row in rows:
        best = f"{row.best_val_ppl:.3f}" if row.best_val_ppl is not None else "-"
        seconds = f"{row.seconds:.1f}" if row.seconds is not None else "-"
        run = str(row.run_id) if row.run_id is not None else "-"
        params = " ".join(f"{k}={_short(v)}" for k, v in row.params.items())
        reason = f"  ({row.reason})" if row.reason and row.status != "finished" else ""
        print(
            f"{row.number:>5} {row.status:<8} {best:>8} {run:>5} {seconds:>7}  "
            f"{row.host or '-'}  {params}{reason}"
        )


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
