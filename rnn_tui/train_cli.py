"""`rnn-tui train`: runs (or a sweep of runs) with a rich progress bar and a log line per epoch."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from rnn_tui.config import (
    FIELDS,
    TrainConfig,
    parse_value,
    sweep_label,
    varied_fields,
)
from rnn_tui.errors import ConfigError, RnnTuiError
from rnn_tui.events import EpochEnd, Event, RunEnd, RunStart, StepEnd, event_to_dict, seed_line
from rnn_tui.plot import has_matplotlib, text_chart
from rnn_tui.plural import plural
from rnn_tui.processes import LOG_NAME, check_not_alive, redirect_output
from rnn_tui.runner import RunSession, check_out_dir
from rnn_tui.store import looks_like_run_id, parse_run_id

EXIT_CODES = {"finished": 0, "stopped": 1, "diverged": 3, "error": 2}


class _PipeConsole(Console):
    """rich exits the process on a closed pipe; here the run must stop and be recorded first."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


class Output:
    """Everything `train` prints on stdout, styled on a terminal and plain lines elsewhere.

    Text from users and models (run names, paths, samples) is never read as markup. A
    closed pipe (`| head -1`) is not an error: output stops and `on_closed` is called once.
    """

    def __init__(self, on_closed: Callable[[], None] = lambda: None):
        self.console: Console = _PipeConsole(highlight=False)
        self.terminal = self.console.is_terminal
        if not self.terminal:  # plain lines: no colour, no wrapping, no cursor moves
            self.console = _PipeConsole(
                highlight=False, color_system=None, soft_wrap=True, width=200, force_terminal=False
            )
        self.on_closed = on_closed
        self.closed = False

    def line(self, text: str | Text) -> None:
        self.call(self.console.print, text if isinstance(text, Text) else Text(text))

    def call(self, write: Callable[..., None], *args: Any) -> None:
        if self.closed:
            return
        try:
            write(*args)
            self.console.file.flush()
        except BrokenPipeError:
            self.closed = True
            _discard_stdout()
            self.on_closed()


class ConsoleReporter:
    """Turns trainer events into a progress bar and one log line per epoch."""

    def __init__(self, output: Output, quiet: bool, label: str = ""):
        self.output = output
        self.quiet = quiet or not output.terminal  # a bar in a file is escape codes
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
            self.output.line(line)
            if event.sample:
                self.output.line(Text(f"  {event.sample!r}", style="dim"))
        elif isinstance(event, RunEnd) and self.progress is not None:
            self.progress.stop()

    def _start(self, event: RunStart) -> None:
        what = f"{event.config['cell']} {event.config['layers']}x{event.config['hidden']}"
        resumed = f", resumed at step {event.start_step}" if event.start_step else ""
        self.output.line(
            Text.assemble(
                (self.label or "run", "bold"),
                f": {what}, {event.params_pytorch:,} parameters, "
                f"vocab {event.vocab_size}, {event.train_tokens:,} train / {event.val_tokens:,} "
                f"val chars, {plural(event.steps_per_epoch, 'step')} per epoch, "
                f"device {event.device}{resumed}",
            )
        )
        if self.quiet:
            return
        self.progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}", markup=False),
            console=self.output.console,
            transient=True,
        )
        self.task = self.progress.add_task(
            "steps", total=event.total_steps, completed=event.start_step, status=""
        )
        self.progress.start()


class JsonReporter:
    """`--json`: one JSON object per event on stdout, with the run's id, for scripts."""

    def __init__(self, output: Output, session: RunSession | None = None):
        self.output = output
        self.session = session

    def __call__(self, event: Event) -> None:
        record = event_to_dict(event)
        if self.session is not None and self.session.run_id is not None:
            record["run_id"] = self.session.run_id
        self.output.call(_write_json_line, record)


def _write_json_line(record: dict[str, Any]) -> None:
    clean = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()
    }
    sys.stdout.write(json.dumps(clean) + "\n")


def _discard_stdout() -> None:
    from rnn_tui.cli import _discard_stdout as discard

    discard()


def _resume_target(args: argparse.Namespace, store) -> tuple[str | None, int | None]:
    if args.resume is None:
        return None, None
    if looks_like_run_id(args.resume):
        if store is None:
            raise RnnTuiError("--resume RUN_ID needs the run store (drop --no-store)")
        run = store.get_run(parse_run_id(args.resume))
        check_not_alive(store, run.id)  # two writers never share a run
        if not run.checkpoint:
            raise RnnTuiError(f"run {run.id} has no checkpoint to resume from")
        return run.checkpoint, run.id
    return args.resume, None


def _resume_config(checkpoint: str, args: argparse.Namespace) -> TrainConfig:
    """The checkpoint's config with the flags the user gave; an error names any flag that a
    resume cannot change."""
    from rnn_tui.checkpoint import load_checkpoint, resume_config

    if args.preset:
        raise RnnTuiError("--preset cannot be used with --resume: the run keeps its settings")
    saved = TrainConfig.from_dict(load_checkpoint(checkpoint, resumable=True)["config"])
    given: dict[str, object] = {}
    for name in FIELDS:
        value = getattr(args, name)
        if value is not None:
            try:
                given[name] = parse_value(name, value)
            except ValueError as exc:
                raise RnnTuiError(f"{_flag(name)}: {exc}") from None
    try:
        return resume_config(saved, given)
    except ConfigError as exc:
        raise RnnTuiError(
            "; ".join(f"{_flag(name)}: {message}" for name, message in exc.errors.items())
        ) from None


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def train_command(args: argparse.Namespace, configs: list[TrainConfig]) -> int:
    from rnn_tui.cli import install_stop_handler

    as_json = getattr(args, "json", False)
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
        if len(configs) > 1:  # a single run is checked by its own prepare(), before it trains
            from rnn_tui.preflight import check_configs

            check_configs(configs)
        if args.out:
            check_out_dir(Path(args.out))  # before anything is recorded
        varied = varied_fields(configs)
        sessions: list[RunSession] = []
        current: list[RunSession] = []
        cancelled = False
        starting = False  # loading the corpus and building the model: nothing to save yet

        def stop() -> None:
            nonlocal cancelled
            cancelled = True
            if starting:
                raise KeyboardInterrupt  # interrupts the corpus load; handled below
            if current:
                current[-1].stop()

        def pipe_closed() -> None:  # the reader went away: stop as Ctrl-C would, quietly
            nonlocal cancelled
            cancelled = True
            if current:
                current[-1].stop()

        output = Output(on_closed=pipe_closed)
        install_stop_handler(stop)
        sweep_id = None
        if len(configs) > 1 and store is not None:
            sweep_id = store.create_sweep(
                args.name or f"sweep of {', '.join(varied)}", [c.to_dict() for c in configs]
            )
        exit_code = 0
        for index, config in enumerate(configs):
            if cancelled:
                break
            label = sweep_label(config, varied) if varied else (args.name or "run")
            if len(configs) > 1 and not as_json:
                if output.terminal:
                    output.call(
                        output.console.rule, Text(f"run {index + 1}/{len(configs)}: {label}")
                    )
                else:
                    output.line(f"== run {index + 1}/{len(configs)}: {label}")
            session = RunSession(
                config,
                store=store,
                out_dir=args.out,
                name=(f"{args.name or 'sweep'} {label}" if varied else args.name),
                resume=checkpoint,
                resume_run_id=resume_run_id,
                sweep=(sweep_id, index) if sweep_id is not None else None,
            )
            session.on_event = (
                JsonReporter(output, session)
                if as_json
                else ConsoleReporter(output, args.quiet, label)
            )
            starting = True
            try:
                session.prepare()  # bad corpus or checkpoint: one line, exit 2, nothing recorded
            except KeyboardInterrupt:
                starting = False
                _stopped_while_starting(store, session)
                print("rnn-tui: stopped before training began", file=sys.stderr)
                return EXIT_CODES["stopped"]
            finally:
                starting = False
            if args.log_to_run and session.out_dir is not None:
                redirect_output(Path(session.out_dir) / LOG_NAME)
            current.append(session)
            if cancelled:  # the stop came while it was preparing: stop at its first step
                session.stop()
            end = session.run()
            sessions.append(session)
            if not as_json:
                _report_end(output, session, end)
            elif end.reason == "error":
                print(f"rnn-tui: error: {end.message}", file=sys.stderr)
            exit_code = max(exit_code, EXIT_CODES[end.reason])
            if session.store_error:
                print(f"rnn-tui: error: {_lost_store_line(session, end)}", file=sys.stderr)
                return EXIT_CODES["error"]
        if len(configs) > 1 and not as_json:
            _print_sweep_summary(output, store, sweep_id, skipped=len(configs) - len(sessions))
        return exit_code
    finally:
        if store is not None:
            store.close()


def _stopped_while_starting(store, session: RunSession) -> None:
    """Ctrl-C before the first step: a run already recorded is marked stopped, not running."""
    if store is not None and session.run_id is not None:
        store.finish_run(session.run_id, "stopped", "stopped before training began")


def _lost_store_line(session: RunSession, end: RunEnd) -> str:
    kept = [f"checkpoint {end.checkpoint}"] if end.checkpoint else []
    if session.out_dir is not None:
        kept.append(f"every step in {Path(session.out_dir) / 'metrics.jsonl'}")
    where = f"; kept {' and '.join(kept)}" if kept else ""
    return f"{session.store_error}: run {end.reason} at step {end.step}{where}"


def _report_end(output: Output, session: RunSession, end: RunEnd) -> None:
    style = {"finished": "green", "stopped": "yellow"}.get(end.reason, "red")
    line = Text.assemble((end.reason, style), f": {end.message}")
    if end.best_val_ppl is not None:
        line.append(f" | best val ppl {end.best_val_ppl:.3f}")
    line.append(f" | {end.tokens_per_s:,.0f} tok/s | {end.elapsed:.1f} s")
    output.line(line)
    if end.reason == "error":
        print(f"rnn-tui: error: {end.message}", file=sys.stderr)
    if end.checkpoint:
        output.line(f"checkpoint: {end.checkpoint}")
    if session.run_id is not None:
        output.line(f"run id: {session.run_id}")
    if session.out_dir is not None:
        png = Path(session.out_dir) / "perplexity.png"
        if png.exists():
            output.line(f"plot: {png}")
    if not has_matplotlib() and session.curves.epochs and output.terminal:
        chart = text_chart(session.curves.series(), width=min(output.console.width, 100))
        output.line(Text.from_ansi(chart))


def _print_sweep_summary(output: Output, store, sweep_id: int | None, skipped: int) -> None:
    if skipped:
        output.line(f"{plural(skipped, 'queued run')} cancelled")
    if store is None or sweep_id is None:
        return  # with --no-store each run's own line above is the summary
    from rnn_tui.runs_cli import print_comparison

    output.call(print_comparison, store.sweep_runs(sweep_id), output.console, "Sweep summary")
