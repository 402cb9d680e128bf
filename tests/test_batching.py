"""Random and sequential partitioning."""

from __future__ import annotations

import torch

from rnn_tui.data.batching import Batching

DATA = torch.arange(1000, dtype=torch.int16)


def test_random_batches_are_consecutive_chunks_from_one_start():
    batching = Batching("random", batch_size=4, num_steps=10)
    batches = list(batching.epoch(DATA, seed=0, epoch=1))
    assert len(batches) == batching.steps_per_epoch(1000) == 24
    inputs, targets = batches[0]
    assert inputs.shape == (10, 4) and inputs.dtype == torch.long
    assert torch.equal(targets, inputs + 1)
    flat = inputs.t().reshape(-1)  # row b is chunk b: the notebook's consecutive chunks
    assert torch.equal(flat, torch.arange(int(flat[0]), int(flat[0]) + 40))


def test_sequential_streams_continue_across_batches():
    batching = Batching("sequential", batch_size=4, num_steps=10)
    batches = list(batching.epoch(DATA, seed=0, epoch=1))
    assert len(batches) == batching.steps_per_epoch(1000) == 24
    for (a, _), (b, _) in zip(batches, batches[1:], strict=False):
        assert torch.equal(b[0], a[-1] + 1)  # each stream picks up where it stopped
    first, _ = batches[0]
    stream_len = int(first[0, 1] - first[0, 0])
    assert stream_len == (1000 - 10) // 4


def test_epochs_differ_but_repeat_for_the_same_seed():
    batching = Batching("random", batch_size=2, num_steps=5)
    one = [x for x, _ in batching.epoch(DATA, seed=1, epoch=1)]
    again = [x for x, _ in batching.epoch(DATA, seed=1, epoch=1)]
    two = [x for x, _ in batching.epoch(DATA, seed=1, epoch=2)]
    assert all(torch.equal(a, b) for a, b in zip(one, again, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(one, two, strict=True))


def test_start_skips_to_the_same_batches():
    for mode in ("random", "sequential"):
        batching = Batching(mode, batch_size=3, num_steps=7)
        full = list(batching.epoch(DATA, seed=2, epoch=3))
        tail = list(batching.epoch(DATA, seed=2, epoch=3, start=5))
        assert len(tail) == len(full) - 5
        assert all(torch.equal(a[0], b[0]) for a, b in zip(full[5:], tail, strict=True))


def test_tiny_text_still_gives_one_batch():
    small = torch.arange(12)
    for mode in ("random", "sequential"):
        batching = Batching(mode, batch_size=2, num_steps=5)
        assert len(list(batching.epoch(small, seed=0, epoch=1))) == 1
