"""The benchmarks behind `rnn-tui bench`: our trainer against the notebook's loop, sampling
speed, the run store's cost.

Ratios come from the two loops run alternately in one process, so a noisy shared
machine slows both alike; absolute figures are printed for context only.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import time
from typing import Any

import torch
from torch import nn

from rnn_tui.config import TrainConfig
from rnn_tui.data.corpus import Corpus
from rnn_tui.model.charrnn import CharRNN
from rnn_tui.sampling.generate import generate
from rnn_tui.training.trainer import Trainer


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
    corpus: Corpus,
    config: TrainConfig,
    steps: int,
    rounds: int,
    device: str,
    store_url: str | None = None,
) -> dict[str, Any]:
    """Training tokens/s with the run store recording every step, against none, alternately.

    Both runs write the same output folder (checkpoints, metrics.jsonl); only the store differs.
    The store is a new SQLite file, or the PostgreSQL (or other) store at `store_url`.
    """
    import tempfile

    from rnn_tui.runs.session import RunSession
    from rnn_tui.store import RunStore

    base = config.replace(device=device, sample_length=0, epoch_steps=None, steps=steps)
    with (
        tempfile.TemporaryDirectory() as tmp,
        RunStore(store_url or f"{tmp}/runs.sqlite3") as store,
    ):
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
        "store": store.location,
    }


def sampling_speed(vocab_size: int = 44, chars: int = 1000, repeats: int = 7) -> dict[str, Any]:
    """Milliseconds to sample `chars` characters from a 2x256 LSTM on the CPU."""
    from rnn_tui.data.corpus import Vocab

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
