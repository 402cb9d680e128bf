"""`rnn-tui bench`: its arguments checked, the engine's benchmarks run, the figures printed.

Ratios come from the two loops run alternately in one process, so a noisy shared machine
slows both alike; absolute figures are printed for context only.
"""

from __future__ import annotations

import argparse
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


def ui_figures(seconds: float, rounds: int) -> dict[str, Any]:
    """The TUI's own figures: its run process against `rnn-tui train` (alternately, in
    rounds), step-to-screen latency, first frame, chart repaint."""
    from rnn_tui.bench.speed import ratio_summary
    from rnn_tui.bench.ui import chart_repaint_ms, startup_seconds, tui_against_headless
    from rnn_tui.config import preset

    seconds = max(seconds, 4.0)
    # The notebook's model and batches; an epoch is a whole pass (the preset's one-batch
    # "epochs" would evaluate after every step, and time the evaluation, not the training).
    config = preset("seed").replace(
        epoch_steps=None, epochs=100_000, sample_length=0, time_budget=seconds
    )
    measured = tui_against_headless(config, max(1, min(rounds, 5)))
    return {
        "config": f"preset seed ({config.cell} {config.hidden}, batch {config.batch_size}"
        f"x{config.num_steps}), {seconds:.0f} s per run, chart and log live",
        "rounds": len(measured["tui"]),
        "tui_tokens_per_s": statistics.median(measured["tui"]),
        "headless_tokens_per_s": statistics.median(measured["headless"]),
        **ratio_summary(measured["tui"], measured["headless"]),
        "step_to_screen_s_median": statistics.median(measured["latency"]),
        "step_to_screen_s_max": max(measured["latency_max"]),
        "first_frame_s": startup_seconds(5),
        "chart_repaint_ms": chart_repaint_ms(10_000),
    }


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
        f"(min {sampling['ms_min']:.0f}, max {sampling['ms_max']:.0f})"
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
        u = result["ui"]
        say(
            f"  TUI training vs headless ({u['config']}): {u['tui_tokens_per_s']:,.0f} vs "
            f"{u['headless_tokens_per_s']:,.0f} tok/s, ratio {u['ratio_median']:.2f}x "
            f"(min {u['ratio_min']:.2f}, max {u['ratio_max']:.2f}, {u['rounds']} alternating "
            "rounds)"
        )
        say(
            f"  TUI step to screen: median {u['step_to_screen_s_median']:.2f} s, max "
            f"{u['step_to_screen_s_max']:.2f} s (upper bounds)"
        )
        say(f"  TUI first frame: {u['first_frame_s']:.2f} s (median of 5, real terminal)")
        say(f"  chart repaint with 10,000 points: {u['chart_repaint_ms']:.1f} ms")
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
