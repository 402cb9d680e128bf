"""`rnn-tui train`: runs (or a sweep of runs) with a rich progress bar and a log line per epoch."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from rnn_tui.cli.configs import plan_from_args
from rnn_tui.cli.output import ConsoleReporter, JsonReporter, Output
from rnn_tui.cli.process import install_stop_handler
from rnn_tui.config import FIELDS, flag
from rnn_tui.errors import RnnTuiError
from rnn_tui.plural import plural
from rnn_tui.reports.lines import end_headline
from rnn_tui.reports.plot import has_matplotlib, text_chart
from rnn_tui.runs.plan import PLAN_FILE, RunPlan, load_plan, save_plan
from rnn_tui.runs.processes import LOG_NAME, check_not_alive, redirect_output
from rnn_tui.runs.session import RunSession, check_out_dir
from rnn_tui.runs.sweep import sweep_label, varied_fields
from rnn_tui.training.events import RunEnd

if TYPE_CHECKING:
    from rnn_tui.data.corpus import Corpus
    from rnn_tui.store import RunStore
    from rnn_tui.training.state import Resume

EXIT_CODES = {"finished": 0, "stopped": 1, "diverged": 3, "error": 2}


def cmd_train(args: argparse.Namespace) -> int:
    """Plan from the flags (or read the plan a launcher wrote), then execute the plan; a
    range or a search flag makes a search instead (rnn_tui.cli.search)."""
    if args.plan is not None:
        _refuse_flags_beside_plan(args)
        plan, resume = load_plan(args.plan), None
    else:
        from rnn_tui.cli.search import cmd_search, search_requested

        if search_requested(args):
            return cmd_search(args)
        plan, resume = plan_from_args(args)
    return execute_plan(
        plan,
        quiet=args.quiet,
        as_json=getattr(args, "json", False),
        log_to_run=args.log_to_run,
        resume=resume,
        launched=args.plan is not None,
    )


def _refuse_flags_beside_plan(args: argparse.Namespace) -> None:
    given = [flag(name) for name in FIELDS if getattr(args, name) is not None]
    given += [
        f"--{option.replace('_', '-')}"
        for option in ("preset", "out", "name", "resume", "store")
        if getattr(args, option, None) is not None
    ]
    given += ["--no-store"] if args.no_store else []
    if given:
        raise RnnTuiError(
            f"--plan holds the whole run; drop {', '.join(given)} (plan again to change it)"
        )


def execute_plan(
    plan: RunPlan,
    *,
    quiet: bool = False,
    as_json: bool = False,
    log_to_run: bool = False,
    resume: Resume | None = None,
    launched: bool = False,
) -> int:
    """Run every run of the plan in turn, in this process: the one executor of `rnn-tui train`
    and of the run process a front end launches (`rnn-tui train --plan PATH`).

    `resume`: the plan's checkpoint when the planner read it already (it is read once).
    `launched`: a front end started this process, and nobody reads its stderr: a resumed run
    that cannot start says why on its row (its status stays).
    """
    store = None
    if plan.store is not None:
        from rnn_tui.store import RunStore

        store = RunStore(plan.store)
    try:
        return _execute(plan, store, quiet, as_json, log_to_run, resume, launched)
    finally:
        if store is not None:
            store.close()


def _execute(
    plan: RunPlan,
    store: RunStore | None,
    quiet: bool,
    as_json: bool,
    log_to_run: bool,
    resume: Resume | str | None,
    launched: bool,
) -> int:
    configs = list(plan.configs)
    resume_run_id = plan.resume.run_id if plan.resume is not None else None
    if plan.resume is not None and resume is None:
        resume = plan.resume.checkpoint
    if resume_run_id is not None and store is not None:
        check_not_alive(store, resume_run_id)  # two writers never share a run
    if plan.out_dir:
        # before anything is recorded
        check_out_dir(Path(plan.out_dir), store.path if store is not None else None)
    varied = varied_fields(configs)
    corpora: dict[tuple[str | None, str, float], Corpus | None] = {}
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
            plan.name or f"sweep of {', '.join(varied)}", [c.to_dict() for c in configs]
        )
    exit_code = 0
    for index, config in enumerate(configs):
        if cancelled:
            break
        label = sweep_label(config, varied) if varied else (plan.name or "run")
        if len(configs) > 1 and not as_json:
            if output.terminal:
                output.call(output.console.rule, Text(f"run {index + 1}/{len(configs)}: {label}"))
            else:
                output.line(f"== run {index + 1}/{len(configs)}: {label}")
        name = f"{plan.name or 'sweep'} {label}" if varied else plan.name
        text = (config.corpus, config.preprocess, config.val_fraction)
        session = RunSession(
            config,
            store=store,
            out_dir=plan.out_dir,
            name=name,
            resume=resume,
            resume_run_id=resume_run_id,
            sweep=(sweep_id, index) if sweep_id is not None else plan.sweep,
            corpus=corpora.get(text),  # a sweep's runs share their text: read once
        )
        session.on_event = (
            JsonReporter(output, session) if as_json else ConsoleReporter(output, quiet, label)
        )
        starting = True
        try:
            session.prepare()  # bad corpus or checkpoint: one line, exit 2, nothing recorded
        except KeyboardInterrupt:
            starting = False
            _stopped_while_starting(store, session)
            print("rnn-tui: stopped before training began", file=sys.stderr)
            return EXIT_CODES["stopped"]
        except RnnTuiError as exc:
            if launched:
                _record_refusal(store, resume_run_id, exc)
            raise
        finally:
            starting = False
        corpora = {text: session.trainer.corpus}  # only the latest: a sweep keeps one text
        if session.out_dir is not None:  # the run's canonical record of what was asked
            save_plan(
                plan.one_run(index, sweep_id=sweep_id, name=name), session.out_dir / PLAN_FILE
            )
        if log_to_run and session.out_dir is not None:
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


def _record_refusal(store: RunStore | None, run_id: int | None, exc: RnnTuiError) -> None:
    """A resumed run that cannot start (corpus gone, memory short since it was planned) says
    why on its row, in one line; its status stays, so it may resume once the cause is fixed.
    A new run has no row yet: the line goes to the launcher's log."""
    if store is None or run_id is None:
        return
    with contextlib.suppress(RnnTuiError):
        store.update_run(run_id, message=f"resume failed: {exc}")


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
