"""Streaming text generation with a carried hidden state: O(prefix + length)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import torch
from torch.nn import functional as F

from rnn_tui.data.corpus import Vocab, prepare_prompt
from rnn_tui.errors import VocabError
from rnn_tui.model.charrnn import CharRNN, State

if TYPE_CHECKING:
    from rnn_tui.checkpoints.files import LoadedModel

NOISE_CHUNK = 256  # characters of sampling noise drawn per call to the generator
EPOCH_SAMPLE_TEMPERATURE = 0.6


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
    threads = torch.get_num_threads()
    # One character at a time, each op is too small to split: a second thread only adds a
    # hand-off per op (on 2 cores 1 thread sampled faster, and far faster under load).
    torch.set_num_threads(1)
    model.eval()
    try:
        # One pass over the whole prefix, then one character at a time with the carried state.
        logits, state = model(ids.to(device).view(-1, 1))
        last = logits[-1, 0]
        step = single_step(model, state)
        picker = Picker(len(vocab), temperature, top_k, generator)
        for _ in range(length):
            next_id = picker(last)
            yield vocab.chars[next_id]
            last = step(next_id)
    finally:
        torch.set_num_threads(threads)
        model.train(was_training)


class Picker:
    """Draws the next character: argmax at temperature 0, else the Gumbel-max trick.

    argmax(logits / T + Gumbel noise) is an exact sample from softmax(logits / T); the noise
    is drawn in chunks, so each character costs two small tensor ops instead of a softmax
    and a multinomial draw.
    """

    def __init__(
        self, vocab_size: int, temperature: float, top_k: int | None, generator: torch.Generator
    ):
        self.vocab_size = vocab_size
        self.temperature = temperature
        self.top_k = top_k if top_k is not None and 0 < top_k < vocab_size else None
        self.generator = generator
        self.noise = torch.empty(0)
        self.used = 0

    def __call__(self, logits: torch.Tensor) -> int:
        if self.temperature == 0:
            return int(logits.argmax())
        if self.used == len(self.noise):
            uniform = torch.rand(
                NOISE_CHUNK, self.vocab_size, generator=self.generator, device=self.generator.device
            )
            self.noise = -torch.log(-torch.log(uniform.clamp_(min=1e-12, max=1 - 1e-7)))
            self.used = 0
        noise = self.noise[self.used]
        if self.top_k is None:
            scores = torch.add(noise, logits, alpha=1 / self.temperature)
        else:
            scores = logits.float() / self.temperature
            kth = torch.topk(scores, self.top_k).values[-1]
            scores = scores.masked_fill(scores < kth, float("-inf")) + noise
        choice = int(scores.argmax())
        self.used += 1
        return choice


def single_step(model: CharRNN, state: State) -> Callable[[int], torch.Tensor]:
    """A function feeding one character through the stack, carrying `state`; returns logits.

    nn.LSTM's CPU path goes through oneDNN, whose per-call set-up costs far more than the
    arithmetic of one character (about 10x on a 2x256 LSTM), so this uses plain kernels.
    """
    rnn = model.rnn
    layers = range(rnn.num_layers)
    params = [
        [getattr(rnn, f"{kind}_l{k}") for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        for k in layers
    ]
    if model.cell == "lstm":
        return _lstm_step(model, state, params)
    token = torch.zeros(1, dtype=torch.long, device=model.head.weight.device)
    head_weight, head_bias = model.head.weight, model.head.bias
    hidden = [state[k] for k in layers]
    if model.cell == "gru":
        cell = torch.gru_cell
    elif getattr(rnn, "nonlinearity", "tanh") == "relu":
        cell = torch.rnn_relu_cell
    else:
        cell = torch.rnn_tanh_cell

    def cell_step(next_id: int) -> torch.Tensor:
        token[0] = next_id
        x = model.encode_input(token)
        for k in layers:
            hidden[k] = x = cell(x, hidden[k], *params[k])
        return F.linear(x, head_weight, head_bias)[0]

    return cell_step


def _lstm_step(model: CharRNN, state: State, params: list) -> Callable[[int], torch.Tensor]:
    hidden_size = model.hidden
    layers = range(len(params))
    hs = [state[0][k] for k in layers]
    cs = [state[1][k] for k in layers]
    # Gate rows reordered from PyTorch's (i, f, g, o) to (i, f, o, g): one sigmoid covers three.
    order = torch.cat(
        [
            torch.arange(0, 2 * hidden_size),
            torch.arange(3 * hidden_size, 4 * hidden_size),
            torch.arange(2 * hidden_size, 3 * hidden_size),
        ]
    )
    # The first layer's input projection of every character, computed once: a table lookup.
    w_ih0, w_hh0, b_ih0, b_hh0 = params[0]
    every_char = torch.arange(model.vocab_size, device=w_ih0.device)
    first_table = (F.linear(model.encode_input(every_char), w_ih0, b_ih0) + b_hh0)[:, order]
    first_hh = w_hh0[order].t().contiguous()
    stacked = [torch.cat([w_ih, w_hh], 1)[order].t().contiguous() for w_ih, w_hh, _, _ in params]
    biases = [(b_ih + b_hh)[order] for _, _, b_ih, b_hh in params]
    head_weight, head_bias = model.head.weight, model.head.bias
    three = 3 * hidden_size

    def step(next_id: int) -> torch.Tensor:
        x = None
        for k in layers:
            if k == 0:
                gates = torch.addmm(first_table[next_id], hs[0], first_hh)
            else:
                gates = torch.addmm(biases[k], torch.cat([x, hs[k]], 1), stacked[k])
            sig = torch.sigmoid(gates[:, :three])
            cs[k] = torch.addcmul(
                sig[:, hidden_size : 2 * hidden_size] * cs[k],
                sig[:, :hidden_size],
                torch.tanh(gates[:, three:]),
            )
            hs[k] = x = sig[:, 2 * hidden_size : three] * torch.tanh(cs[k])
        return F.linear(x, head_weight, head_bias)[0]

    return step


def sample_text(model: CharRNN, vocab: Vocab, prefix: str, length: int, **options) -> str:
    return prefix + "".join(generate(model, vocab, prefix, length, **options))


def prepared_prompt(loaded: LoadedModel, text: str) -> str:
    """`text` as the checkpoint's run saw its corpus (its preprocessing); VocabError naming
    the characters the model does not know."""
    prompt = prepare_prompt(text, loaded.config.preprocess)
    missing = loaded.vocab.missing(prompt)
    if missing:
        raise VocabError(
            "prefix has characters not in the model's vocabulary: "
            + ", ".join(repr(c) for c in missing)
        )
    return prompt


def generate_from(loaded: LoadedModel, prompt: str, length: int, **options: Any) -> Iterator[str]:
    """`generate` (temperature, top_k, seed) from a loaded checkpoint's model and vocabulary,
    after a prompt from `prepared_prompt`."""
    return generate(loaded.model, loaded.vocab, prompt, length, **options)


def epoch_sample(
    model: CharRNN, vocab: Vocab, prefix: str, length: int, *, first_char: str, seed: int
) -> str:
    """The text shown at an epoch's end: `prefix` less the characters the model does not
    know (`first_char`, the text's first, when none is left), then `length` characters.

    Its own seeded generator: sampling never shifts the training random stream.
    """
    if length == 0:
        return ""
    prefix = "".join(c for c in prefix if c in vocab.stoi) or first_char
    return sample_text(
        model, vocab, prefix, length, temperature=EPOCH_SAMPLE_TEMPERATURE, seed=seed
    )
