"""`rnn-tui bench`: our trainer against the notebook's loop, sampling speed, and more.

Ratios come from the two loops run alternately in one process, so a noisy shared
machine slows both alike; absolute figures are printed for context only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from typing import Any

import torch
from torch import nn

from rnn_tui.config import TrainConfig, preset
from rnn_tui.corpus import Corpus, load_corpus
from rnn_tui.errors import RnnTuiError
from rnn_tui.model import CharRNN
from rnn_tui.sample import generate
from rnn_tui.train import Trainer


def machine_info(device: str) -> dict[str, Any]:
    return {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": device,
        "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# -- the reference: the notebook's loop, as the student wrote it --------------------------------


class NotebookRNN(nn.Module):
    def __init__(self, vocab_size: int, hidden: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, vocab_size)
        self.rnn = nn.RNN(vocab_size, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, vocab_size)

    def forward(self, x: torch.Tensor, hidden: torch.Tensor | None = None):
        out, hidden = self.rnn(self.embedding(x), hidden)
        return self.fc(out), hidden


class ReferenceLoop:
    """The seed's algorithm: Python-list batches from a random start, .item() every step."""

    def __init__(self, text_ids: list[int], vocab_size: int, config: TrainConfig, device: str):
        self.ids = text_ids
        self.vocab_size = vocab_size
        self.batch_size = config.batch_size
        self.num_steps = config.num_steps
        self.device = device
        torch.manual_seed(config.seed)
        self.model = NotebookRNN(vocab_size, config.hidden).to(device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.criterion = nn.CrossEntropyLoss()
        self.rng = random.Random(config.seed)

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        span = self.batch_size * self.num_steps
        start = self.rng.randint(0, len(self.ids) - span - 2)
        xs, ys = [], []
        for i in range(self.batch_size):
            begin = start + i * self.num_steps
            xs.append(self.ids[begin : begin + self.num_steps])
            ys.append(self.ids[begin + 1 : begin + self.num_steps + 1])
        return torch.tensor(xs, device=self.device), torch.tensor(ys, device=self.device)

    def step(self) -> float:
        x, y = self.batch()
        output, _ = self.model(x)
        loss = self.criterion(output.reshape(-1, self.vocab_size), y.reshape(-1))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


def ratio_summary(ours: list[float], theirs: list[float]) -> dict[str, float]:
    """Median, min and max of the round-by-round ratios of two alternating measurements."""
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    return {
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }


def training_speed(
    corpus: Corpus, config: TrainConfig, seconds: float, rounds: int, device: str
) -> dict[str, Any]:
    """Our Trainer and the reference loop, alternately, at the same configuration.

    Each round runs the real Trainer (events and all, as the CLI and TUI run it) for as
    many steps as the reference loop did in `seconds`, then the reference loop again.
    """
    ids = corpus.train.tolist()
    tokens_per_step = config.batch_size * config.num_steps
    base = config.replace(device=device, sample_length=0, epoch_steps=None)

    def reference_round(steps: int | None) -> tuple[int, float]:
        reference = ReferenceLoop(ids, len(corpus.vocab), config, device)
        done, started = 0, time.perf_counter()
        while (steps is None and time.perf_counter() - started < seconds) or (
            steps is not None and done < steps
        ):
            reference.step()
            done += 1
        return done, done * tokens_per_step / (time.perf_counter() - started)

    def our_round(steps: int) -> float:
        trainer = Trainer(base.replace(steps=steps), corpus=corpus)
        trainer.prepare()
        return trainer.run().tokens_per_s

    our_round(20)  # warm-up: first-call allocations and thread pools
    steps, _ = reference_round(None)
    ours, ref = [], []
    for _ in range(rounds):
        ours.append(our_round(steps))
        ref.append(reference_round(steps)[1])
    return {
        "config": f"rnn hidden {config.hidden}, batch {config.batch_size}, "
        f"num_steps {config.num_steps}, Adam, random batches",
        "ours_tokens_per_s": statistics.median(ours),
        "reference_tokens_per_s": statistics.median(ref),
        **ratio_summary(ours, ref),
        "rounds": rounds,
        "steps_per_round": steps,
    }


def store_overhead(
    corpus: Corpus, config: TrainConfig, steps: int, rounds: int, device: str
) -> dict[str, Any]:
    """Training tokens/s with the run store recording every step, against none, alternately.

    Both runs write the same output folder (checkpoints, metrics.jsonl); only the store differs.
    """
    import tempfile

    from rnn_tui.runner import RunSession
    from rnn_tui.store import RunStore

    base = config.replace(device=device, sample_length=0, epoch_steps=None, steps=steps)
    with tempfile.TemporaryDirectory() as tmp, RunStore(f"{tmp}/runs.sqlite3") as store:
        recorded, bare = [], []
        for index in range(rounds):
            with_store = RunSession(base, store=store, corpus=corpus)
            recorded.append(with_store.run().tokens_per_s)
            without = RunSession(base, out_dir=f"{tmp}/bare{index}", corpus=corpus)
            bare.append(without.run().tokens_per_s)
    ratios = [a / b for a, b in zip(recorded, bare, strict=True)]
    return {
        "with_store_tokens_per_s": statistics.median(recorded),
        "without_store_tokens_per_s": statistics.median(bare),
        "cost_percent": (1 - statistics.median(ratios)) * 100,
        "steps_per_round": steps,
        "rounds": rounds,
    }


def sampling_speed(vocab_size: int = 44, chars: int = 1000, repeats: int = 7) -> dict[str, Any]:
    """Milliseconds to sample `chars` characters from a 2x256 LSTM on the CPU."""
    from rnn_tui.corpus import Vocab

    vocab = Vocab(chr(ord(" ") + i) for i in range(vocab_size))
    torch.manual_seed(0)
    model = CharRNN(len(vocab), cell="lstm", hidden=256, layers=2, embedding=64)
    times = []
    for index in range(repeats + 1):
        started = time.perf_counter()
        text = "".join(
            generate(model, vocab, vocab.chars[0] * 3, chars, temperature=1.0, seed=index)
        )
        elapsed = time.perf_counter() - started
        assert len(text) == chars
        if index:  # the first is a warm-up
            times.append(elapsed * 1000)
    return {
        "model": "lstm 2x256",
        "chars": chars,
        "ms_median": statistics.median(times),
        "ms_min": min(times),
        "ms_max": max(times),
    }


def ui_figures(seconds: float, rounds: int) -> dict[str, Any]:
    """The TUI's own figures: its run process against `rnn-tui train` (alternately, in
    rounds), step-to-screen latency, first frame, chart repaint."""
    from rnn_tui.ui.benchmarks import chart_repaint_ms, startup_seconds, tui_against_headless

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


def bench_command(args: argparse.Namespace) -> int:
    from rich.console import Console

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
        overhead = store_overhead(corpus, seed, speed["steps_per_round"], args.rounds, args.device)
        result["store_overhead"] = overhead
        say(
            f"  run store: {overhead['with_store_tokens_per_s']:,.0f} tok/s recorded vs "
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
        from rnn_tui.quality import quality

        if args.quality_seeds < 1:
            raise RnnTuiError("--quality-seeds must be at least 1")

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
    if args.json:
        print(json.dumps(result, indent=2))
    return 0
