"""Sampling: streaming, O(length), greedy and top-k, clear vocabulary errors."""

from __future__ import annotations

import pytest
import torch

from rnn_tui.data.corpus import Vocab
from rnn_tui.errors import VocabError
from rnn_tui.model.charrnn import CharRNN
from rnn_tui.sampling.generate import Picker, generate, sample_text, single_step

VOCAB = Vocab("abcdefgh ")


def full_forward_reference(model, prefix, length, temperature, top_k, seed):
    """The slow, obviously right way: the whole model once per character."""
    picker = Picker(len(VOCAB), temperature, top_k, torch.Generator().manual_seed(seed))
    out = []
    with torch.no_grad():
        logits, state = model(VOCAB.encode(prefix).view(-1, 1))
        last = logits[-1, 0]
        for _ in range(length):
            index = picker(last)
            out.append(VOCAB.chars[index])
            logits, state = model(torch.tensor([[index]]), state)
            last = logits[-1, 0]
    return "".join(out)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_single_step_matches_the_module(cell):
    torch.manual_seed(0)
    model = CharRNN(len(VOCAB), cell=cell, hidden=12, layers=3, embedding=5).eval()
    tokens = torch.tensor([[1], [4], [2], [7], [0]])
    with torch.no_grad():
        expected, _ = model(tokens)
        _, state = model(tokens[:1])
        step = single_step(model, state)
        for t in range(1, len(tokens)):
            assert torch.allclose(step(int(tokens[t])), expected[t, 0], atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("embedding", [None, 4])
def test_fast_path_equals_the_full_model(cell, embedding):
    torch.manual_seed(0)
    model = CharRNN(len(VOCAB), cell=cell, hidden=12, layers=2, embedding=embedding).eval()
    fast = "".join(generate(model, VOCAB, "abc", 60, temperature=1.0, top_k=4, seed=5))
    assert fast == full_forward_reference(model, "abc", 60, 1.0, 4, 5)


def test_relu_rnn_fast_path():
    torch.manual_seed(1)
    model = CharRNN(len(VOCAB), cell="rnn", nonlinearity="relu", hidden=10, layers=2)
    fast = "".join(generate(model, VOCAB, "ab", 30, temperature=0.7, seed=2))
    assert fast == full_forward_reference(model.eval(), "ab", 30, 0.7, None, 2)


def test_streams_and_runs_the_prefix_once():
    torch.manual_seed(0)
    model = CharRNN(len(VOCAB), cell="lstm", hidden=8)
    calls = []
    model.register_forward_hook(lambda module, args, output: calls.append(args[0].shape))
    stream = generate(model, VOCAB, "abcdefg", 50, temperature=1.0, seed=0)
    first = next(stream)
    assert first in VOCAB.chars and calls == [torch.Size([7, 1])]
    rest = list(stream)
    assert len(rest) == 49
    assert calls == [torch.Size([7, 1])]  # each new character costs one cell step, never the prefix


def test_greedy_is_deterministic_and_top_k_1_is_greedy():
    torch.manual_seed(0)
    model = CharRNN(len(VOCAB), cell="gru", hidden=8)
    greedy = sample_text(model, VOCAB, "ab", 20, temperature=0)
    assert greedy == sample_text(model, VOCAB, "ab", 20, temperature=0, seed=123)
    assert greedy == sample_text(model, VOCAB, "ab", 20, temperature=1.5, top_k=1, seed=9)
    assert len(greedy) == 22 and greedy.startswith("ab")


def test_seeded_sampling_repeats():
    torch.manual_seed(0)
    model = CharRNN(len(VOCAB), cell="rnn", hidden=8)
    a = sample_text(model, VOCAB, "a", 40, temperature=1.0, seed=7)
    assert a == sample_text(model, VOCAB, "a", 40, temperature=1.0, seed=7)
    assert a != sample_text(model, VOCAB, "a", 40, temperature=1.0, seed=8)


def test_top_k_only_picks_among_the_k_most_likely():
    logits = torch.tensor([0.0, 5.0, 4.0, -1.0, 3.0])
    picker = Picker(5, 2.0, 2, torch.Generator().manual_seed(0))
    assert {picker(logits) for _ in range(300)} == {1, 2}


def test_picks_follow_the_softmax():
    picker = Picker(2, 1.0, None, torch.Generator().manual_seed(0))
    logits = torch.tensor([0.0, float(torch.log(torch.tensor(3.0)))])  # p = 0.25, 0.75
    share = sum(picker(logits) for _ in range(4000)) / 4000
    assert share == pytest.approx(0.75, abs=0.03)
    cold = Picker(2, 0.25, None, torch.Generator().manual_seed(0))  # p = 1/82, 81/82
    assert sum(cold(logits) for _ in range(1000)) / 1000 > 0.97


def test_unknown_prefix_characters_are_named():
    model = CharRNN(len(VOCAB), hidden=4)
    with pytest.raises(VocabError, match="'Q', 'Z'"):
        next(generate(model, VOCAB, "aQbZ", 5))


def test_model_mode_is_restored():
    model = CharRNN(len(VOCAB), hidden=4).train()
    list(generate(model, VOCAB, "a", 3, seed=0))
    assert model.training


def test_sampling_runs_on_one_thread_and_gives_the_threads_back():
    model = CharRNN(len(VOCAB), hidden=4)
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # the suite runs on one thread: start from two to see the change
    try:
        seen = [torch.get_num_threads() for _ in generate(model, VOCAB, "a", 3, seed=0)]
        assert seen == [1, 1, 1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_loaded_checkpoint_prepares_its_prompt_and_samples_as_generate():
    """The rule both front ends sample by: the prompt as the run's preprocessing saw its
    text, unknown characters named, then `generate` with the checkpoint's model."""
    from rnn_tui.checkpoints.files import LoadedModel
    from rnn_tui.config import TrainConfig
    from rnn_tui.sampling.generate import generate_from, prepared_prompt

    model = CharRNN(len(VOCAB), hidden=4)
    loaded = LoadedModel(model, VOCAB, TrainConfig(preprocess="clean"), {})
    assert prepared_prompt(loaded, "ABC  d") == "abc d"
    with pytest.raises(VocabError, match="not in the model's vocabulary: 'q', 'z'"):
        prepared_prompt(loaded, "aQZ")
    drawn = "".join(generate_from(loaded, "abc", 12, temperature=0.7, top_k=3, seed=5))
    assert drawn == "".join(generate(model, VOCAB, "abc", 12, temperature=0.7, top_k=3, seed=5))


def test_the_epoch_sample_keeps_known_prefix_characters_and_its_own_seed():
    from rnn_tui.sampling.generate import EPOCH_SAMPLE_TEMPERATURE, epoch_sample

    model = CharRNN(len(VOCAB), hidden=4)
    sample = epoch_sample(model, VOCAB, "aXb", 10, first_char="h", seed=3)
    expected = sample_text(model, VOCAB, "ab", 10, temperature=EPOCH_SAMPLE_TEMPERATURE, seed=3)
    assert sample == expected and len(sample) == 12
    assert epoch_sample(model, VOCAB, "XY", 4, first_char="h", seed=3).startswith("h")
    assert epoch_sample(model, VOCAB, "ab", 0, first_char="h", seed=3) == ""
    before = torch.get_rng_state()
    epoch_sample(model, VOCAB, "ab", 20, first_char="h", seed=3)
    assert torch.equal(torch.get_rng_state(), before)  # the training stream is not shifted
