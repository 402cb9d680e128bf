"""rnn_tui.reports.lines: the CLI, `runs watch` and the TUI log print the same words."""

from __future__ import annotations

from dataclasses import asdict

from rnn_tui.reports.lines import end_headline, epoch_lines, model_label, start_details
from rnn_tui.training.events import EpochEnd, RunStart


def _epoch(**changes: object) -> EpochEnd:
    values: dict[str, object] = dict(
        epoch=3, step=42, train_loss=1.5, train_ppl=4.4817, val_loss=1.6, val_ppl=4.953,
        tokens_per_s=12345.6, tokens=1000, elapsed=2.0, sample="the time", is_best=True,
        checkpoint=None,
    )  # fmt: skip
    values.update(changes)
    return EpochEnd(**values)  # type: ignore[arg-type]


def test_an_epoch_reads_the_same_from_an_event_and_from_a_store_row() -> None:
    event = _epoch()
    row = {k: v for k, v in asdict(event).items() if k != "checkpoint"}
    assert epoch_lines(event) == epoch_lines(row)
    line, sample = epoch_lines(event)
    assert line.text == "Epoch 3, Loss 1.5000, Perplexity 4.4817 | val ppl 4.953 * | 12,346 tok/s"
    assert (sample.text, sample.style) == ("  'the time'", "dim")


def test_an_epoch_without_validation_or_sample_is_one_line_without_them() -> None:
    (line,) = epoch_lines(_epoch(val_ppl=None, sample="", is_best=False))
    assert "val ppl" not in line.text and line.text.endswith("| 12,346 tok/s")


def test_the_end_line_never_repeats_the_status() -> None:
    assert end_headline("finished", "finished 572 steps") == "finished 572 steps"
    assert end_headline("stopped", "stopped at step 9") == "stopped at step 9"
    assert end_headline("error", "out of memory") == "error: out of memory"
    assert end_headline("interrupted") == "interrupted"
    full = end_headline("finished", "x", best_val_ppl=4.2, tokens_per_s=9000.4, seconds=12.04)
    assert full == "finished: x | best val ppl 4.200 | 9,000 tok/s | 12.0 s"


def test_the_train_start_names_the_model_and_a_resume() -> None:
    config = {"cell": "lstm", "layers": 2, "hidden": 256}
    start = RunStart(
        config=config, device="cpu", params_pytorch=1234, vocab_size=28, train_tokens=5000,
        val_tokens=500, steps_per_epoch=1, total_steps=10, start_step=4, out_dir=None,
    )  # fmt: skip
    text = start_details(start)
    assert text.startswith(f"{model_label(config)}, 1,234 parameters, vocab 28, ")
    assert "1 step per epoch" in text and text.endswith("device cpu, resumed at step 4")
    assert model_label(config) == "lstm 2x256"
