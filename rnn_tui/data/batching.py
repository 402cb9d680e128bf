"""Random and sequential partitioning of a token stream into (time, batch) minibatches.

Each epoch's batches are a pure function of (seed, epoch), so a stopped run can
resume mid-epoch by regenerating the epoch and skipping what it already did.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

Batch = tuple[torch.Tensor, torch.Tensor]  # inputs and targets, each (num_steps, batch_size) long


@dataclass(frozen=True)
class Batching:
    mode: str  # "random" | "sequential"
    batch_size: int
    num_steps: int

    def steps_per_epoch(self, n_tokens: int) -> int:
        """One epoch is one pass over the training text."""
        if self.mode == "random":
            return max(1, (n_tokens - 1) // (self.batch_size * self.num_steps))
        return max(1, self._stream_len(n_tokens) // self.num_steps)

    def _stream_len(self, n_tokens: int) -> int:
        # Leave room for a random offset below num_steps, unless the text is too short for it.
        with_offset = (n_tokens - self.num_steps) // self.batch_size
        return with_offset if with_offset >= self.num_steps else (n_tokens - 1) // self.batch_size

    def epoch(self, data: torch.Tensor, seed: int, epoch: int, start: int = 0) -> Iterator[Batch]:
        """The batches of 1-based `epoch`, beginning at batch index `start`."""
        generator = torch.Generator().manual_seed(_epoch_seed(seed, epoch))
        if self.mode == "random":
            return self._random(data, generator, start)
        return self._sequential(data, generator, start)

    def reported_epoch(
        self,
        data: torch.Tensor,
        seed: int,
        epoch: int,
        start: int,
        new_pass: Callable[[], None],
    ) -> Iterator[Batch]:
        """The batches of a reported epoch from index `start`: with --epoch-steps an epoch
        may span several passes over the text, each with its own seed. `new_pass()` is called
        as each pass starts from its beginning (not a pass resumed in its middle)."""
        pass_steps = self.steps_per_epoch(len(data))
        first_pass, offset = divmod(start, pass_steps)
        for repeat in itertools.count(first_pass):
            resumed = repeat == first_pass and offset > 0
            if not resumed:
                new_pass()
            yield from self.epoch(data, seed + repeat * 7919, epoch, offset if resumed else 0)

    def _random(
        self, data: torch.Tensor, generator: torch.Generator, start: int
    ) -> Iterator[Batch]:
        # The notebook's scheme: a random start, then batch_size consecutive chunks of num_steps.
        span = self.batch_size * self.num_steps
        count = self.steps_per_epoch(len(data))
        starts = torch.randint(0, len(data) - span, (count,), generator=generator).tolist()
        for offset in starts[start:]:
            window = data[offset : offset + span + 1].long()
            inputs = window[:-1].view(self.batch_size, self.num_steps)
            targets = window[1:].view(self.batch_size, self.num_steps)
            yield inputs.t(), targets.t()

    def _sequential(
        self, data: torch.Tensor, generator: torch.Generator, start: int
    ) -> Iterator[Batch]:
        # batch_size parallel streams; batch k+1 continues where batch k stopped in each stream,
        # so the trainer carries the hidden state across batches.
        stream_len = self._stream_len(len(data))
        room = len(data) - 1 - self.batch_size * stream_len
        offset = int(torch.randint(0, min(room, self.num_steps - 1) + 1, (1,), generator=generator))
        total = self.batch_size * stream_len
        streams_in = data[offset : offset + total].view(self.batch_size, stream_len)
        streams_out = data[offset + 1 : offset + 1 + total].view(self.batch_size, stream_len)
        for index in range(start, stream_len // self.num_steps):
            cols = slice(index * self.num_steps, (index + 1) * self.num_steps)
            yield streams_in[:, cols].t().long(), streams_out[:, cols].t().long()


def _epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch) % (2**63 - 1)
