"""Streaming text generation with a carried hidden state: O(prefix + length)."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from rnn_tui.corpus import Vocab
from rnn_tui.model import CharRNN


@torch.no_grad()
def generate(
    model: CharRNN,
    vocab: Vocab,
    prefix: str,
    length: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int | None = None,
) -> Iterator[str]:
    """Yield `length` new characters, one at a time, after warming the state up on `prefix`.

    temperature 0 picks the most likely character (d2l's `predict`); top_k keeps only the
    k most likely. Raises VocabError naming characters of `prefix` the model does not know.
    """
    if temperature < 0:
        raise ValueError("temperature must be 0 or more")
    if not prefix:
        raise ValueError("the prefix needs at least one character")
    ids = vocab.encode(prefix)
    device = model.head.weight.device
    generator = torch.Generator(device=device)
    generator.manual_seed(seed if seed is not None else torch.seed())
    was_training = model.training
    model.eval()
    try:
        # One pass over the whole prefix, then one character at a time with the carried state.
        logits, state = model(ids.to(device).view(-1, 1))
        last = logits[-1, 0]
        for _ in range(length):
            next_id = _pick(last, temperature, top_k, generator)
            yield vocab.chars[next_id]
            logits, state = model(torch.tensor([[next_id]], device=device), state)
            last = logits[-1, 0]
    finally:
        model.train(was_training)


def _pick(
    logits: torch.Tensor, temperature: float, top_k: int | None, generator: torch.Generator
) -> int:
    if temperature == 0:
        return int(logits.argmax())
    logits = logits.float() / temperature
    if top_k is not None and 0 < top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


def sample_text(model: CharRNN, vocab: Vocab, prefix: str, length: int, **options) -> str:
    return prefix + "".join(generate(model, vocab, prefix, length, **options))
