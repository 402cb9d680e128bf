"""The Train screen's one-line texts: the status line, the eta, the progress bar's numbers
and the folded form's summary. Plain functions of what the controller shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnn_tui.reports.lines import attached_line

if TYPE_CHECKING:
    from rnn_tui.runs.follow import WatchedRun
    from rnn_tui.ui.training_queue import ShownQueue


def fmt_duration(seconds: float | None) -> str:
    """mm:ss, or h:mm:ss from an hour; '--:--' when unknown."""
    if seconds is None or seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def status_text(queue: ShownQueue, *, starting: bool = False) -> str:
    """The one-line status: run k/n (or 'attached to run 7 (started 12 min ago)'), state,
    device, tokens/s, best val ppl, elapsed."""
    live = queue.current
    if live is None:
        if queue.error:
            return queue.error
        if starting:
            return "starting the training process…"
        return "idle: set the hyperparameters, then press ctrl+r to start"
    run = live.run
    last = live.last_step
    parts = []
    if live.attached and not live.ended:
        parts.append(attached_line(run))
    elif queue.queue_position():
        parts.append(f"{queue.queue_position()} (#{run.id})")
    else:
        parts.append(f"run {run.id}")
    parts.append(run.status)
    if run.device and not live.attached:
        parts.append(run.device)
    tokens = run.tokens_per_s if live.ended else (last["tokens_per_s"] if last else None)
    if tokens is not None:
        parts.append(f"{tokens:,.0f} tok/s")
    best = live.best_val_ppl
    parts.append(f"best val ppl {best:.3f}" if best is not None else "best val ppl –")
    elapsed = run.seconds if live.ended else (last["elapsed"] if last else None)
    if elapsed is not None and not live.attached:
        parts.append(f"elapsed {fmt_duration(elapsed)}")
    return " · ".join(parts)  # one line of ~70 columns beside the form


def eta_text(live: WatchedRun) -> str:
    """Beside the bar: the time left while the run goes, its status once it has ended."""
    return live.status if live.ended else f"eta {fmt_duration(live.eta_seconds())}"


def bar_progress(live: WatchedRun) -> tuple[float | None, float]:
    """(total, done) steps for the bar: a finished run is full, a run stopped early shows
    how far it got (148 of 300 steps, not 100%)."""
    total, done = live.progress()
    if not live.ended or live.status == "finished":
        return total, done
    step = float(live.last_step["step"]) if live.last_step else 0.0
    planned = live.total_steps()
    return (float(planned) if planned and planned > step else max(step, 1.0)), step


def config_summary(config: dict[str, object], run_id: int) -> str:
    """The running config in one line, for the folded form."""
    cell, layers, hidden = config.get("cell", "?"), config.get("layers", "?"), config.get("hidden")
    parts = [f"run {run_id}: {cell} {layers}x{hidden}"]
    for name, label in (("batch_size", "batch"), ("num_steps", "steps"), ("lr", "lr")):
        if config.get(name) is not None:
            parts.append(f"{label} {config[name]}")
    if config.get("epochs") is not None:
        parts.append(f"{config['epochs']} ep")
    return " · ".join(parts) + " · f: form"
