"""Streaming text generation with a carried hidden state: O(prefix + length)."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.nn import functional as F

from rnn_tui.corpus import Vocab
from rnn_tui.model import CharRNN, State


@torch.inference_mode()
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
        step = _single_step(model, state)
        for _ in range(length):
            next_id = _pick(last, temperature, top_k, generator)
            yield vocab.chars[next_id]
            last = step(next_id)
    finally:
        model.train(was_training)


def _single_step(model: CharRNN, state: State):
    """One character through the stack with aten's cell kernels.

    nn.LSTM's CPU path goes through oneDNN, whose per-call set-up costs far more than
    the arithmetic of a single character (about 10x on a 2x256 LSTM).
    """
    rnn = model.rnn
    weights = [
        tuple(
            getattr(rnn, f"{kind}_l{k}")
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )
        for k in range(rnn.num_layers)
    ]
    if model.cell == "lstm":
        hs, cs = state
        layers = [(hs[k], cs[k]) for k in range(rnn.num_layers)]
    else:
        layers = [state[k] for k in range(rnn.num_layers)]
    cell = {
        "lstm": torch.lstm_cell,
        "gru": torch.gru_cell,
        "rnn": torch.rnn_relu_cell
        if getattr(rnn, "nonlinearity", "tanh") == "relu"
        else torch.rnn_tanh_cell,
    }[model.cell]
    token = torch.zeros(1, dtype=torch.long, device=model.head.weight.device)

    def step(next_id: int) -> torch.Tensor:
        token[0] = next_id
        x = model.encode_input(token)
        for k, (w_ih, w_hh, b_ih, b_hh) in enumerate(weights):
            layers[k] = cell(x, layers[k], w_ih, w_hh, b_ih, b_hh)
            x = layers[k][0] if model.cell == "lstm" else layers[k]
        return F.linear(x, model.head.weight, model.head.bias)[0]

    return step


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
