"""Sample screen (F3): streamed generation equal to the engine's, and every error state."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static, TextArea
from ui_helpers import make_app, wait_until

from rnn_tui.config import TrainConfig
from rnn_tui.ui.screens.sample import NO_CHECKPOINT, SampleScreen

PROMPT = "the time traveller"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained with the engine on a lowercase corpus (about a second)."""
    from rnn_tui.training.trainer import Trainer

    root = tmp_path_factory.mktemp("sample")
    corpus = root / "tiny.txt"
    corpus.write_text("the time traveller told us of the quick brown fox. " * 20)
    config = TrainConfig(
        corpus=str(corpus), hidden=16, batch_size=4, num_steps=8, steps=5, sample_length=0
    )
    end = Trainer(config, out_dir=root / "run").run()
    assert end.checkpoint, end.message
    return Path(end.checkpoint)


def text_of(screen: SampleScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_sample(pilot) -> SampleScreen:
    await pilot.press("f3")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SampleScreen)
    return screen


def fill(screen: SampleScreen, **values: str) -> None:
    for field, value in values.items():
        screen.query_one(f"#{field}", Input).value = value


async def test_generates_what_the_engine_generates_and_copies_it(
    checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rnn_tui.checkpoints.files import load_model
    from rnn_tui.sampling.generate import sample_text

    app = make_app()
    app.latest_checkpoint = str(checkpoint)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_sample(pilot)
        assert screen.query_one("#checkpoint", Input).value == str(checkpoint)
        info = text_of(screen, "#model-info")
        assert "RNN 1×16" in info and "vocab" in info and "val ppl" in info
        fill(screen, prompt=PROMPT, length="40", temperature="0", seed="1")
        await pilot.pause()
        await pilot.press("g")  # the output has focus, so letter keys act
        await app.workers.wait_for_complete()
        await pilot.pause()
        loaded = load_model(checkpoint)
        expected = sample_text(loaded.model, loaded.vocab, PROMPT, 40, temperature=0.0, seed=1)
        output = screen.query_one("#output", TextArea).text
        assert output == expected
        assert "40 characters" in text_of(screen, "#sample-status")
        assert "seed 1" in text_of(screen, "#sample-status")

        await pilot.press("c")
        assert copied == [expected]

        # Generate again (the button) with sampling: same seed, same text.
        fill(screen, temperature="1.0", top_k="3", seed="7", length="25")
        await pilot.pause()
        await pilot.click("#generate")
        await app.workers.wait_for_complete()
        await pilot.pause()
        again = sample_text(
            loaded.model, loaded.vocab, PROMPT, 25, temperature=1.0, top_k=3, seed=7
        )
        assert screen.query_one("#output", TextArea).text == again

        # Characters the model does not know even lowercased (its corpus was): named beside
        # the prompt, Generate disabled. 'Q' is 'q', which the corpus has.
        fill(screen, prompt="QZ€ the")
        await pilot.pause()
        errors = text_of(screen, "#sample-errors")
        assert "'z'" in errors and "'€'" in errors and "'q'" not in errors.lower()
        assert screen.query_one("#generate", Button).disabled
        await pilot.press("g")
        await app.workers.wait_for_complete()
        assert screen.query_one("#output", TextArea).text == again  # nothing ran


async def test_no_checkpoint_corrupt_checkpoint_and_bad_numbers(tmp_path: Path) -> None:
    from rnn_tui.checkpoints.files import load_model
    from rnn_tui.errors import CheckpointError

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sample(pilot)
        assert text_of(screen, "#model-info") == NO_CHECKPOINT
        await pilot.press("g")
        await pilot.pause()
        assert text_of(screen, "#sample-status") == NO_CHECKPOINT

        corrupt = tmp_path / "corrupt.pt"
        corrupt.write_bytes(random.Random(0).randbytes(512))
        with pytest.raises(CheckpointError) as raised:
            load_model(corrupt)
        screen.query_one("#checkpoint", Input).value = str(corrupt)
        await pilot.press("g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert text_of(screen, "#sample-status") == str(raised.value)
        assert text_of(screen, "#model-info") == str(raised.value)

        screen.query_one("#checkpoint", Input).value = str(tmp_path / "missing.pt")
        await pilot.press("g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "checkpoint not found" in text_of(screen, "#sample-status")

        for field, bad, message in (
            ("length", "0", "length must be at least 1"),
            ("length", "200000", "length must be at most 100,000"),
            ("temperature", "-1", "temperature must be 0 or more"),
            ("temperature", "hot", "temperature must be a number"),
            ("top_k", "0", "top-k must be"),
            ("seed", "1.5", "seed must be a whole number"),
        ):
            good = screen.query_one(f"#{field}", Input).value
            fill(screen, **{field: bad})
            await pilot.pause()
            assert message in text_of(screen, "#sample-errors")
            assert screen.query_one("#generate", Button).disabled
            fill(screen, **{field: good})
            await pilot.pause()
            assert not screen.query_one("#generate", Button).disabled


async def test_unknown_prompt_before_the_model_loaded_then_follow_latest(
    checkpoint: Path,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sample(pilot)
        field = screen.query_one("#checkpoint", Input)
        assert field.value == ""
        # Generate before the model is known: the worker checks the prompt's characters.
        fill(screen, prompt="QZ€", length="5")
        field.value = str(checkpoint)
        screen.action_generate()
        await wait_until(  # lowercased first
            pilot, lambda: "'z', '€'" in text_of(screen, "#sample-status"), "the prompt's check"
        )
        await wait_until(
            pilot, lambda: "'z', '€'" in text_of(screen, "#sample-errors"), "the field's error"
        )

        # A run ends while another screen is shown: F3 follows its checkpoint.
        field.value = ""
        await pilot.press("f4")
        app.latest_checkpoint = str(checkpoint)
        await open_sample(pilot)
        assert field.value == str(checkpoint)
        await wait_until(
            pilot, lambda: "RNN 1×16" in text_of(screen, "#model-info"), "the model info shows"
        )


async def test_open_checkpoint_shows_it_and_stops_following_latest(
    checkpoint: Path, tmp_path: Path
) -> None:
    app = make_app("params")
    async with app.run_test(size=(80, 24)) as pilot:
        app.latest_checkpoint = str(tmp_path / "latest.pt")  # another run's, newer
        await app.open_in_sample(str(checkpoint))  # what the Runs screen's p/enter does
        screen = app.screen
        assert isinstance(screen, SampleScreen)
        field = screen.query_one("#checkpoint", Input)
        assert field.value == str(checkpoint)
        await wait_until(  # loaded at once, without waiting for a keystroke pause
            pilot, lambda: "RNN 1×16" in text_of(screen, "#model-info"), "the model info shows"
        )
        assert app.latest_checkpoint == str(tmp_path / "latest.pt")  # left alone

        await pilot.press("f4")
        await open_sample(pilot)  # coming back keeps the chosen checkpoint
        assert field.value == str(checkpoint)
        await pilot.press("l")  # until the latest is asked for
        assert field.value == str(tmp_path / "latest.pt")
