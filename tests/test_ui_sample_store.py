"""Sample from a cold start: the store's latest run, and the run's own prompt preprocessing."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static
from ui_helpers import make_app, wait_until

from rnn_tui.checkpoints.choice import latest_sample_checkpoint, sample_checkpoint
from rnn_tui.config import TrainConfig
from rnn_tui.data.corpus import prepare_prompt
from rnn_tui.runs.session import RunSession
from rnn_tui.store import RunStore
from rnn_tui.ui.screens.sample import SampleScreen


def train_stored(corpus: Path, name: str) -> int:
    """A tiny real run recorded in the (test's) store; its id."""
    config = TrainConfig(
        corpus=str(corpus), hidden=8, batch_size=4, num_steps=8, steps=3, sample_length=0
    )
    with RunStore() as store:
        session = RunSession(config, store=store, name=name)
        session.prepare()
        end = session.run()
    assert end.checkpoint, end.message
    assert session.run_id is not None
    return session.run_id


@pytest.fixture
def two_runs(tiny_corpus: Path) -> tuple[int, int]:
    return train_stored(tiny_corpus, "older"), train_stored(tiny_corpus, "newer")


def test_prepare_prompt_follows_each_mode() -> None:
    assert prepare_prompt("The Time  Traveller", "clean") == "the time traveller"
    assert prepare_prompt("The Time\nMachine ", "seed") == "the timemachine "
    assert prepare_prompt("The Time, Machine!", "d2l") == "the time machine "
    assert prepare_prompt("The Time", "raw") == "The Time"


def test_the_checkpoint_rule(two_runs: tuple[int, int]) -> None:
    older, newer = two_runs
    with RunStore() as store:
        runs = store.list_runs()
        run, path = latest_sample_checkpoint(runs) or (None, "")
        assert run is not None and run.id == newer
        assert path == sample_checkpoint(run) == run.best_checkpoint
        Path(run.best_checkpoint).unlink()
        assert sample_checkpoint(run) == run.checkpoint  # the last one when the best is gone
        Path(run.checkpoint).unlink()
        run, _ = latest_sample_checkpoint(store.list_runs()) or (None, "")
        assert run is not None and run.id == older


async def test_sample_opens_on_the_latest_stored_run(two_runs: tuple[int, int]) -> None:
    _, newer = two_runs
    with RunStore() as store:
        expected = sample_checkpoint(store.get_run(newer))
    app = make_app("sample")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, SampleScreen)
        await wait_until(
            pilot, lambda: screen.model_info is not None, "the latest checkpoint loads"
        )
        assert screen.query_one("#checkpoint", Input).value == expected
        info = str(screen.query_one("#model-info", Static).render())
        assert f"run #{newer} newer" in info

        # An uppercase prompt on a lowercased ('clean') model: lowercased, with a note.
        screen.query_one("#prompt", Input).value = "The Time"
        screen.query_one("#length", Input).value = "20"
        screen.query_one("#seed", Input).value = "1"
        await pilot.pause()
        note = str(screen.query_one("#prompt-note", Static).render())
        assert "lowercased" in note and "clean" in note
        assert not screen._errors
        await pilot.press("g")
        await wait_until(pilot, lambda: not screen.generating, "the sample is generated")
        out = screen._output_text()
        assert out.startswith("the time") and len(out) == len("the time") + 20, out
        screen.query_one("#prompt", Input).value = "the time #"
        await pilot.pause()
        assert "'#'" in screen._errors.get("prompt", ""), "a character it never saw is named"
