"""Which checkpoint of a stored run to sample from: one rule for `rnn-tui sample` and the TUI."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnn_tui.checkpoints.choice import sample_checkpoint
from rnn_tui.errors import RnnTuiError
from rnn_tui.store import RunRow


def _run(best: str | None, last: str | None) -> RunRow:
    return RunRow(
        id=7, name="r", status="finished", config={}, created=0.0, ended=None, device="cpu",
        torch_version="", params=0, tags=[], best_val_ppl=None, final_train_ppl=None,
        final_val_ppl=None, tokens_per_s=None, steps=0, epochs=0, seconds=None,
        checkpoint=last, best_checkpoint=best, message="", sweep_id=None, sweep_index=None,
        pid=None,
    )  # fmt: skip


def test_best_first_by_default_and_last_first_on_request(tmp_path: Path) -> None:
    best, last = tmp_path / "best.pt", tmp_path / "last.pt"
    best.write_bytes(b"b")
    last.write_bytes(b"l")
    run = _run(str(best), str(last))
    assert sample_checkpoint(run) == str(best)
    assert sample_checkpoint(run, prefer="last") == str(last)
    last.unlink()  # a file gone from disk: the other one
    assert sample_checkpoint(run, prefer="last") == str(best)


def test_a_run_without_checkpoints_is_one_line() -> None:
    with pytest.raises(RnnTuiError, match="run 7 has no checkpoint yet"):
        sample_checkpoint(_run(None, None), prefer="last")
