"""`rnn-tui train`: runs (or a sweep of runs) with a rich progress bar and a log line per epoch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.text import Text

from rnn_tui.cli.configs import configs_from_args, resume_from_args
from rnn_tui.cli.output import ConsoleReporter, JsonReporter, Output
from rnn_tui.cli.process import install_stop_handler
from rnn_tui.config import TrainConfig
from rnn_tui.errors import RnnTuiError
from rnn_tui.plural import plural
from rnn_tui.reports.lines import end_headline
from rnn_tui.reports.plot import has_matplotlib, text_chart
from rnn_tui.runs.processes import LOG_NAME, check_not_alive, redirect_output
from rnn_tui.runs.session import RunSession, check_out_dir
from rnn_tui.runs.sweep import sweep_label, varied_fields
from rnn_tui.store import check_on_this_host, looks_like_run_id, parse_run_id
from rnn_tui.training.events import RunEnd

EXIT_CODES = {"finished": 0, "stopped": 1, "diverged": 3, "error": 2}


def cmd_train(args: argparse.Namespace) -> int:
    from rnn_tui.cli.search import cmd_search, search_requested

    if search_requested(args):
        return cmd_search(args)
    # A resume's config comes from its checkpoint and the flags a resume may change.
    return train_command(args, [] if args.resume is not None else configs_from_args(args))


def _resume_target(args: argparse.Namespace, store) -> tuple[str | None, int | None]:
    if args.resume is None:
        return None, None
    if looks_like_run_id(args.resume):
        if store is None:
            raise RnnTuiError("--resume RUN_ID needs the run store (drop --no-store)")
        run = store.get_run(parse_run_id(args.resume))
        check_not_alive(store, run.id)  # two writers never share a run
        check_on_this_host(run.id, run.hostname, "resume")  # its checkpoint is on that disk
        if not run.checkpoint:
            raise RnnTuiError(f"run {run.id} has no checkpoint to resume from")
        return run.checkpoint, run.id
    return args.resume, None


def train_command(args: argparse.Namespace, configs: list[TrainConfig]) -> int:
    as_json = getattr(args, "json", False)
    store = None
    if not args.no_store:
        from rnn_tui.store import RunStore

        store = RunStore(getattr(args, "store", None))
    try:
        checkpoint, resume_run_id = _resume_target(args, store)
        resume = None
        if checkpoint is not None:
            resume, config = resume_from_args(checkpoint, args)
            configs = [config]
        if args.out and len(configs) > 1:
            raise RnnTuiError("--out takes one run; a sweep writes each run to the run store")
        if len(configs) > 1:  # a single run is checked by its own prepare(), before it trains
            from rnn_tui.runs.preflight import check_configs

            check_configs(configs)
        if args.out:
            check_out_dir(Path(args.out), store.path if store is not None else None)
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
                resume=resume,
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
            lost = session.store_error or session.output_error  # then the one line says it
            if not as_json:
                _report_end(output, session, end, error_line=not lost)
            elif end.reason == "error" and not lost:
                print(f"rnn-tui: error: {end.message}", file=sys.stderr)
            exit_code = max(exit_code, EXIT_CODES[end.reason])
            if lost:
                print(f"rnn-tui: error: {_lost_store_line(session, end)}", file=sys.stderr)
                return EXIT_CODES["error"]
        if len(configs) > 1 and not as_json:
            _print_sweep_summary(output, store, sweep_id, skipped=len(configs) - len(sessions))
        return exit_code
    finally:
        if store is not None:
            store.close()


def _stopped_while_starting(store, session: RunSession) -> None:
    """Ctrl-C before the first step: a run recorded by this session is marked stopped, not
    running; a resumed run is left as it was (it is claimed only when training begins)."""
    if store is not None and session.run_id is not None and session.resume_run_id is None:
        store.finish_run(session.run_id, "stopped", "stopped before training began")


def _lost_store_line(session: RunSession, end: RunEnd) -> str:
    """The one line for a run whose store or output folder failed (a full disk): why,
    where the run ended and what was kept."""
    kept = [f"checkpoint {end.checkpoint}"] if end.checkpoint else []
    if session.out_dir is not None and session.store_error and not session.output_error:
        kept.append(f"every step in {Path(session.out_dir) / 'metrics.jsonl'}")
    where = f"; kept {' and '.join(kept)}" if kept else ""
    why = session.store_error or session.output_error
    ended = f"run {end.reason} at step {end.step}"
    if end.reason == "error" and end.message and end.message not in str(why):
        ended += f" ({end.message})"
    return f"{why}: {ended}{where}"


def _report_end(
    output: Output, session: RunSession, end: RunEnd, *, error_line: bool = True
) -> None:
    style = {"finished": "green", "stopped": "yellow"}.get(end.reason, "red")
    line = Text(
        end_headline(
            end.reason,
            end.message,
            best_val_ppl=end.best_val_ppl,
            tokens_per_s=end.tokens_per_s,
            seconds=end.elapsed,
        )
    )
    line.stylize(style, 0, len(end.reason))
    output.line(line)
    if end.reason == "error" and error_line:
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
    from rnn_tui.cli.runs import print_comparison

    output.call(print_comparison, store.sweep_runs(sweep_id), output.console, "Sweep summary")
