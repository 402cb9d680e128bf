"""`rnn-tui bench`: its arguments checked, the engine's benchmarks run, the figures printed.

Ratios come from the two loops run alternately in one process, so a noisy shared machine
slows both alike; absolute figures are printed for context only.
"""

from __future__ import annotations

import argparse
import os
import statistics
from typing import Any

from rnn_tui import strict_json
from rnn_tui.errors import RnnTuiError


def cmd_bench(args: argparse.Namespace) -> int:
    if args.rounds < 1:
        raise RnnTuiError("--rounds must be at least 1")
    if not 0 < args.seconds < float("inf"):
        raise RnnTuiError("--seconds must be a number above 0")
    if args.quality and args.quality_seeds < 1:
        raise RnnTuiError("--quality-seeds must be at least 1")
    if args.search and args.search_seeds < 1:
        raise RnnTuiError("--search-seeds must be at least 1")
    if args.search and not 1 <= args.search_trial_seconds < float("inf"):
        raise RnnTuiError("--search-trial-seconds must be at least 1")
    return _bench(args)


# The targets of `bench --ui` (issue: the viewer costs nothing and drops no key).
UI_TARGETS = {
    "ratio": 0.97,  # TUI run tokens/s against headless, at least
    "tui_cpu_live_percent": 1.5,  # of one core, at most
    "tui_cpu_idle_percent": 0.3,
    "first_frame_s": 0.4,
    "tmux_first_frame_s": 0.45,
    "step_to_screen_s": 0.5,
}


def _cpu_ms(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) * 1000 if known else None


def ui_pairs(config: Any, label: str, seconds: float, rounds: int) -> dict[str, Any]:
    """A TUI run against a headless one at `config`, alternately, `rounds` pairs."""
    from rnn_tui.bench.speed import ratio_summary
    from rnn_tui.bench.ui import tui_against_headless

    config = config.replace(epoch_steps=None, epochs=100_000, sample_length=0, time_budget=seconds)
    measured = tui_against_headless(config, rounds)
    return {
        "config": f"{label}, {seconds:.0f} s per run, chart and log live",
        "rounds": len(measured["tui"]),
        "tui_tokens_per_s": statistics.median(measured["tui"]),
        "headless_tokens_per_s": statistics.median(measured["headless"]),
        **ratio_summary(measured["tui"], measured["headless"]),
        "tui_env_tokens_per_s": statistics.median(measured["tui_env"]),
        "tui_env_ratio": statistics.median(
            a / b for a, b in zip(measured["tui_env"], measured["headless"], strict=True)
        ),
        "tui_cpu_ms_per_step": _cpu_ms(measured["tui_cpu"]),
        "headless_cpu_ms_per_step": _cpu_ms(measured["headless_cpu"]),
        "step_to_screen_s_median": statistics.median(measured["latency"]),
        "step_to_screen_s_max": max(measured["latency_max"]),
    }


def ui_figures(seconds: float, rounds: int) -> dict[str, Any]:
    """The TUI's own figures: its run process against `rnn-tui train` (alternately, in
    rounds of at least 15 s, at the seed preset and an LSTM 2x256), the runs' CPU seconds
    per step, the TUI's own CPU live and idle, step-to-screen latency, first frame in a
    pseudo-terminal and in tmux, chart repaint."""
    from rnn_tui.bench.ui import chart_repaint_ms, startup_seconds, tui_cpu_figures
    from rnn_tui.bench.viewer import tmux_first_frame_seconds
    from rnn_tui.config import preset

    seconds = max(seconds, 15.0)
    rounds = max(1, min(rounds, 5))
    seed = preset("seed")
    lstm = seed.replace(cell="lstm", layers=2, hidden=256)
    # The notebook's model and batches; an epoch is a whole pass (the preset's one-batch
    # "epochs" would evaluate after every step, and time the evaluation, not the training).
    pairs = [
        ui_pairs(seed, f"preset seed (rnn 128, batch {seed.batch_size}x{seed.num_steps})",
                 seconds, rounds),
        ui_pairs(lstm, f"LSTM 2x256 (batch {lstm.batch_size}x{lstm.num_steps})", seconds,
                 rounds),
    ]  # fmt: skip
    return {
        "pairs": pairs,
        **tui_cpu_figures(),
        "first_frame_s": startup_seconds(5),
        "tmux_first_frame_s": tmux_first_frame_seconds((80, 24), 5),
        "chart_repaint_ms": chart_repaint_ms(10_000),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def _miss(value: float | None, target: float, *, at_least: bool = False) -> str:
    if value is None:
        return ""
    missed = value < target if at_least else value > target
    return " [bold red]missed[/]" if missed else ""


def say_ui(say: Any, u: dict[str, Any]) -> None:
    t = UI_TARGETS
    for p in u["pairs"]:
        tui_cpu, cli_cpu = p["tui_cpu_ms_per_step"], p["headless_cpu_ms_per_step"]
        cpu = (
            f"; run CPU {tui_cpu:.1f} ms/step beside the TUI vs {cli_cpu:.1f} headless"
            if tui_cpu is not None and cli_cpu is not None
            else ""
        )
        say(
            f"  TUI training vs headless ({p['config']}): {p['tui_tokens_per_s']:,.0f} vs "
            f"{p['headless_tokens_per_s']:,.0f} tok/s, ratio {p['ratio_median']:.2f}x "
            f"(min {p['ratio_min']:.2f}, max {p['ratio_max']:.2f}, {p['rounds']} alternating "
            f"pairs; target >= {t['ratio']}){_miss(p['ratio_median'], t['ratio'], at_least=True)}"
            f"{cpu}"
        )
        say(
            f"    headless with the TUI's run environment, no viewer: "
            f"{p['tui_env_tokens_per_s']:,.0f} tok/s, {p['tui_env_ratio']:.2f}x plain headless"
        )
        say(
            f"  TUI step to screen: median {p['step_to_screen_s_median']:.2f} s, max "
            f"{p['step_to_screen_s_max']:.2f} s (upper bounds; target <= {t['step_to_screen_s']})"
            f"{_miss(p['step_to_screen_s_median'], t['step_to_screen_s'])}"
        )
    live, idle = u["tui_cpu_live_percent"], u["tui_cpu_idle_percent"]
    say(
        f"  TUI CPU: {live:.2f}% of one core showing a live run (target <= "
        f"{t['tui_cpu_live_percent']}){_miss(live, t['tui_cpu_live_percent'])}, {idle:.2f}% "
        f"idle (target <= {t['tui_cpu_idle_percent']}){_miss(idle, t['tui_cpu_idle_percent'])}"
        "; /proc/PID/stat over 20 s, 120x40 terminal"
    )
    first, tmux = u["first_frame_s"], u["tmux_first_frame_s"]
    say(
        f"  TUI first frame: {first:.2f} s in a pseudo-terminal at 120x40 (target <= "
        f"{t['first_frame_s']}){_miss(first, t['first_frame_s'])}"
        + (
            f", {tmux:.2f} s polled from tmux at 80x24 (target <= {t['tmux_first_frame_s']})"
            f"{_miss(tmux, t['tmux_first_frame_s'])}"
            if tmux is not None
            else ", tmux not installed"
        )
        + "; medians of 5"
    )
    say(f"  chart repaint with 10,000 points: {u['chart_repaint_ms']:.1f} ms")
    if u["load_average"]:
        say("  load average during the bench: " + " ".join(f"{x:.2f}" for x in u["load_average"]))


def _bench(args: argparse.Namespace) -> int:
    import torch
    from rich.console import Console

    from rnn_tui.bench.speed import (
        machine_info,
        sampling_speed,
        store_overhead,
        training_speed,
    )
    from rnn_tui.config import preset
    from rnn_tui.data.corpus import load_corpus
    from rnn_tui.store import mask_url

    console = Console()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise RnnTuiError("CUDA is not available on this machine; use --device cpu")
    result: dict[str, Any] = {"machine": machine_info(args.device)}
    say = (lambda *a, **k: None) if args.json else console.print
    m = result["machine"]
    say(
        f"[bold]Machine[/]: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, "
        f"torch {m['torch']}, Python {m['python']}, device {m['device']}"
        + (f" ({m['gpu']})" if m["gpu"] else "")
    )
    say("[bold]Performance[/]")
    seed = preset("seed")
    corpus = load_corpus(None, seed.preprocess, seed.val_fraction)
    speed = training_speed(corpus, seed, args.seconds, args.rounds, args.device)
    result["training"] = speed
    say(
        f"  training ({speed['config']}): ours {speed['ours_tokens_per_s']:,.0f} tok/s, "
        f"reference loop {speed['reference_tokens_per_s']:,.0f} tok/s, ratio "
        f"{speed['ratio_median']:.2f}x (min {speed['ratio_min']:.2f}, max "
        f"{speed['ratio_max']:.2f}, {speed['rounds']} alternating rounds)"
    )
    sampling = sampling_speed()
    result["sampling"] = sampling
    say(
        f"  sampling 1,000 characters from an LSTM 2x256: {sampling['ms_median']:.0f} ms "
        f"(min {sampling['ms_min']:.0f}, max {sampling['ms_max']:.0f}; target <= 150)"
        f"{_miss(sampling['ms_median'], 150)}"
    )
    if args.store_overhead:
        stores = {"store_overhead": None}
        if args.store_url:
            stores["store_overhead_url"] = args.store_url
        for key, url in stores.items():
            overhead = store_overhead(
                corpus, seed, speed["steps_per_round"], args.rounds, args.device, url
            )
            result[key] = overhead
            say(
                f"  run store {mask_url(overhead['store']) if url else '(new SQLite file)'}: "
                f"{overhead['with_store_tokens_per_s']:,.0f} tok/s recorded vs "
                f"{overhead['without_store_tokens_per_s']:,.0f} without, cost "
                f"{overhead['cost_percent']:.1f}%"
            )
    if args.ui:
        result["ui"] = ui_figures(args.seconds, args.rounds)
        say_ui(say, result["ui"])
    if args.quality:
        from rnn_tui.bench.quality import quality

        corpora = [None, *(args.quality_corpus or [])]
        seeds = range(args.quality_seeds)
        configs_note = "preset best and the plain fp32 reference, alternately"
        say(f"  quality: {configs_note}, {len(seeds)} seeds, corpora: {len(corpora)}")
        result["quality"] = q = quality(
            args.device,
            corpora,
            seeds,
            args.quality_budget,
            say=lambda line: say(line, markup=False),
        )
        for name, flags in q["configs"].items():
            say(f"    {name}: {flags}", markup=False)
        for row in q["corpora"]:
            best, ref = row["best"], row["reference"]
            say(
                f"  {row['corpus']}: validation perplexity best {best['val_ppl_median']:.3f} "
                f"(train {best['train_ppl_median']:.3f}) vs reference "
                f"{ref['val_ppl_median']:.3f} (train {ref['train_ppl_median']:.3f}), "
                f"difference {row['best_minus_reference']:+.3f}; median of {len(seeds)} seeds, "
                f"{q['time_budget_s']:g} s each",
                markup=False,
            )
    if args.search or args.workers_throughput:
        result.update(search_figures(args, lambda line: say(line, markup=False)))
    if args.json:
        print(strict_json.dumps(result, indent=2))
    return 0


def search_figures(args: argparse.Namespace, say: Any) -> dict[str, Any]:
    """Search against grid, and two local workers against one (each only when asked)."""
    from rnn_tui.bench.search import search_against_grid, workers_throughput

    found: dict[str, Any] = {}
    if args.search:
        say(f"  search against grid: {args.search_seeds} study seeds")
        s = found["search"] = search_against_grid(
            range(args.search_seeds), trial_seconds=args.search_trial_seconds, say=say
        )
        for row in s["seeds"]:
            g, t = row["grid"], row["search"]
            say(
                f"  seed {row['seed']}: grid best {g['best_val_ppl']:.3f} ({g['trials']} trials, "
                f"{g['trial_seconds']:.0f} s); search best {t['best_val_ppl']:.3f} "
                f"({t['trials']} trials: {t['finished']} finished, {t['pruned']} pruned, "
                f"{t['failed']} failed; {t['trial_seconds']:.0f} s)"
            )
        verdict = "met" if s["goal_met"] else "missed"
        say(
            f"  search best {s['search_best_median']:.3f} vs grid best "
            f"{s['grid_best_median']:.3f}, median of {len(s['seeds'])} seeds: goal {verdict}"
        )
    if args.workers_throughput:
        w = found["workers_throughput"] = workers_throughput(say=say)
        verdict = "met" if w["goal_met"] else "missed"
        say(
            f"  two workers vs one: {w['two_workers_trials_per_hour']:.0f} vs "
            f"{w['one_worker_trials_per_hour']:.0f} trials/h, ratio {w['ratio']:.2f} "
            f"(goal >= 0.9: {verdict})"
        )
    return found
