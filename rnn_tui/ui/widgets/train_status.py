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


def status_text(queue: ShownQueue, *, starting: bool = False, width: int | None = None) -> str:
    """The one-line status: run k/n (or 'attached to run 7 (started 12 min ago)'), state,
    device, tokens/s, best val ppl, elapsed; within `width` columns when given (see `tries`;
    elapsed is always kept)."""
    live = queue.current
    if live is None:
        if queue.error:
            return queue.error  # whole, as the CLI prints it (the log wraps it)
        if starting:
            return "starting the training process…"
        return "idle: set the hyperparameters, then press ctrl+r to start"
    run = live.run
    last = live.last_step
    who = [f"run {run.id}"]
    if live.attached and not live.ended:
        who = [attached_line(run), f"attached to run {run.id}"]
    elif queue.queue_position():
        who = [f"{queue.queue_position()} (#{run.id})"]
    device = run.device if run.device and not live.attached else None
    tokens = run.tokens_per_s if live.ended else (last["tokens_per_s"] if last else None)
    best = live.best_val_ppl
    best_text = f"{best:.3f}" if best is not None else "–"
    elapsed = run.seconds if live.ended else (last["elapsed"] if last else None)
    shown_elapsed = fmt_duration(elapsed) if elapsed is not None and not live.attached else None

    def line(short: bool, with_device: bool, with_tokens: bool, short_who: bool) -> str:
        parts = [who[-1] if short_who else who[0], run.status]
        if device and with_device:
            parts.append(device)
        if tokens is not None and with_tokens:
            parts.append(f"{tokens:,.0f} tok/s")
        parts.append(f"best {best_text}" if short else f"best val ppl {best_text}")
        if shown_elapsed is not None:
            parts.append(shown_elapsed if short else f"elapsed {shown_elapsed}")
        return " · ".join(parts)

    # From the whole line to the shortest: shorter words, no device, no tokens/s (the log
    # has them), then the attach time goes instead.
    tries = [
        (False, True, True, False),
        (True, True, True, False),
        (True, False, True, False),
        (True, False, False, False),
        (True, False, True, True),
        (True, False, False, True),
    ]
    if width is None:
        return line(*tries[0])
    for args in tries:
        text = line(*args)
        if len(text) <= width:
            return text
    return _fit(text, width)


def _fit(text: str, width: int | None) -> str:
    """`text` cut to `width` columns with an ellipsis (whole when it fits or no width)."""
    if width is None or len(text) <= width or width < 2:
        return text
    return text[: width - 1] + "…"


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
