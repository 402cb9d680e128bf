"""`rnn-tui train`: runs (or a sweep of runs) with a rich progress bar and a log line per epoch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from rnn_tui.config import (
    RESUME_OVERRIDES,
    TrainConfig,
    parse_value,
    sweep_label,
    varied_fields,
)
from rnn_tui.errors import RnnTuiError
from rnn_tui.events import EpochEnd, Event, RunEnd, RunStart, StepEnd, seed_line
from rnn_tui.plot import has_matplotlib, text_chart
from rnn_tui.processes import LOG_NAME, check_not_alive, redirect_output
from rnn_tui.runner import RunSession

EXIT_CODES = {"finished": 0, "stopped": 1, "diverged": 3, "error": 2}


class ConsoleReporter:
    """Turns trainer events into a progress bar and one log line per epoch."""

    def __init__(self, console: Console, quiet: bool, label: str = ""):
        self.console = console
        self.quiet = quiet
        self.label = label
        self.progress: Progress | None = None
        self.task = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStart):
            self._start(event)
        elif isinstance(event, StepEnd):
            if self.progress is not None:
                self.progress.update(
                    self.task,
                    completed=event.step,
                    status=f"loss {event.loss:.3f}  {event.tokens_per_s:,.0f} tok/s",
                )
        elif isinstance(event, EpochEnd):
            line = seed_line(event.epoch, event.train_loss, event.train_ppl)
            if event.val_ppl is not None:
                line += f" | val ppl {event.val_ppl:.3f}" + (" *" if event.is_best else "")
            line += f" | {event.tokens_per_s:,.0f} tok/s"
            self.console.print(line, highlight=False)
            if event.sample:
                self.console.print(f"  {event.sample!r}", style="dim", highlight=False)
        elif isinstance(event, RunEnd) and self.progress is not None:
            self.progress.stop()

    def _start(self, event: RunStart) -> None:
        what = f"{event.config['cell']} {event.config['layers']}x{event.config['hidden']}"
        resumed = f", resumed at step {event.start_step}" if event.start_step else ""
        self.console.print(
            f"[bold]{self.label or 'run'}[/]: {what}, {event.params_pytorch:,} parameters, "
            f"vocab {event.vocab_size}, {event.train_tokens:,} train / {event.val_tokens:,} val "
            f"chars, {event.steps_per_epoch} steps per epoch, device {event.device}{resumed}",
            highlight=False,
        )
        if self.quiet:
            return
        total = event.total_steps
        if event.config.get("time_budget"):
            total = None if total is None else total  # the budget may end it sooner
        self.progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
            console=self.console,
            transient=True,
        )
        self.task = self.progress.add_task(
            "steps", total=total, completed=event.start_step, status=""
        )
        self.progress.start()


def _resume_target(args: argparse.Namespace, store) -> tuple[str | None, int | None]:
    if args.resume is None:
        return None, None
    if args.resume.isdigit():
        if store is None:
            raise RnnTuiError("--resume RUN_ID needs the run store (drop --no-store)")
        run = store.get_run(int(args.resume))
        check_not_alive(store, run.id)  # two writers never share a run
        if not run.checkpoint:
            raise RnnTuiError(f"run {run.id} has no checkpoint to resume from")
        return run.checkpoint, run.id
    return args.resume, None


def _resume_config(checkpoint: str, args: argparse.Namespace) -> TrainConfig:
    """The checkpoint's config, with the run-length flags the user gave."""
    from rnn_tui.checkpoint import load_checkpoint

    config = TrainConfig.from_dict(load_checkpoint(checkpoint)["config"])
    for name in RESUME_OVERRIDES:
        value = getattr(args, name)
        if value is not None:
            config = config.replace(**{name: parse_value(name, value)})
    return config.checked()


def train_command(args: argparse.Namespace, configs: list[TrainConfig]) -> int:
    from rnn_tui.cli import install_stop_handler

    console = Console(stderr=False, highlight=False)
    store = None
    if not args.no_store:
        from rnn_tui.store import RunStore

        store = RunStore(getattr(args, "store", None))
    try:
        checkpoint, resume_run_id = _resume_target(args, store)
        if checkpoint is not None:
            configs = [_resume_config(checkpoint, args)]
        if args.out and len(configs) > 1:
            raise RnnTuiError("--out takes one run; a sweep writes each run to the run store")
        varied = varied_fields(configs)
        sweep_id = None
        if len(configs) > 1 and store is not None:
            sweep_id = store.create_sweep(
                args.name or f"sweep of {', '.join(varied)}", [c.to_dict() for c in configs]
            )
        sessions: list[RunSession] = []
        current: list[RunSession] = []
        cancelled = False

        def stop() -> None:
            nonlocal cancelled
            cancelled = True
            if current:
                current[-1].stop()

        install_stop_handler(stop)
        exit_code = 0
        for index, config in enumerate(configs):
            if cancelled:
                break
            label = sweep_label(config, varied) if varied else (args.name or "run")
            if len(configs) > 1:
                console.rule(f"run {index + 1}/{len(configs)}: {label}")
            session = RunSession(
                config,
                store=store,
                out_dir=args.out,
                name=(f"{args.name or 'sweep'} {label}" if varied else args.name),
                resume=checkpoint,
                resume_run_id=resume_run_id,
                sweep=(sweep_id, index) if sweep_id is not None else None,
                on_event=ConsoleReporter(console, args.quiet, label),
            )
            session.prepare()  # bad corpus or checkpoint: one line, exit 2, nothing recorded
            if getattr(args, "log_to_run", False) and session.out_dir is not None:
                redirect_output(Path(session.out_dir) / LOG_NAME)
            current.append(session)
            if cancelled:  # the stop came while it was preparing: stop at its first step
                session.stop()
            end = session.run()
            sessions.append(session)
            _report_end(console, session, end)
            exit_code = max(exit_code, EXIT_CODES[end.reason])
        if len(configs) > 1:
            _print_sweep_summary(console, store, sweep_id, skipped=len(configs) - len(sessions))
        return exit_code
    finally:
        if store is not None:
            store.close()


def _report_end(console: Console, session: RunSession, end: RunEnd) -> None:
    style = {"finished": "green", "stopped": "yellow"}.get(end.reason, "red")
    line = f"[{style}]{end.reason}[/]: {end.message}"
    if end.best_val_ppl is not None:
        line += f" | best val ppl {end.best_val_ppl:.3f}"
    line += f" | {end.tokens_per_s:,.0f} tok/s | {end.elapsed:.1f} s"
    console.print(line)
    if end.reason == "error":
        print(f"rnn-tui: error: {end.message}", file=sys.stderr)
    if end.checkpoint:
        console.print(f"checkpoint: {end.checkpoint}", highlight=False)
    if session.run_id is not None:
        console.print(f"run id: {session.run_id}", highlight=False)
    if session.out_dir is not None:
        png = Path(session.out_dir) / "perplexity.png"
        if png.exists():
            console.print(f"plot: {png}", highlight=False)
    if not has_matplotlib() and session.curves.epochs:
        console.print(text_chart(session.curves.series(), width=min(console.width, 100)))


def _print_sweep_summary(console: Console, store, sweep_id: int | None, skipped: int) -> None:
    if skipped:
        console.print(f"{skipped} queued run(s) cancelled")
    if store is None or sweep_id is None:
        return  # with --no-store each run's own line above is the summary
    from rnn_tui.runs_cli import print_comparison

    print_comparison(store.sweep_runs(sweep_id), console, title="Sweep summary")
