"""Checkpoints: atomic writes, safe loading, clear errors for bad files."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from rnn_tui.checkpoints.files import load_checkpoint, load_model, save_checkpoint
from rnn_tui.config import TrainConfig
from rnn_tui.errors import CheckpointError
from rnn_tui.training.trainer import Trainer


@pytest.fixture
def trained(tiny_corpus, tmp_path):
    config = TrainConfig(
        corpus=str(tiny_corpus), hidden=8, batch_size=8, num_steps=16, epochs=1, sample_length=0
    )
    end = Trainer(config, out_dir=tmp_path / "run").run()
    return end.checkpoint


def test_checkpoint_holds_everything_needed_to_resume(trained):
    payload = load_checkpoint(trained)
    assert {"config", "vocab", "model", "optimizer", "state", "rng", "progress"} <= set(payload)
    assert payload["progress"]["step"] == 14 and payload["progress"]["epoch"] == 2
    assert payload["config"]["hidden"] == 8
    assert isinstance(payload["rng"]["torch"], torch.Tensor)


def test_the_progress_a_checkpoint_keeps_is_the_progress_its_schema_checks(trained):
    from rnn_tui.checkpoints.schema import _PROGRESS
    from rnn_tui.training.state import PROGRESS_FIELDS, Resume

    resume = Resume.read(trained)
    assert set(resume.payload["progress"]) == {*PROGRESS_FIELDS, "wall_seconds"} == set(_PROGRESS)
    assert resume.path.name == "last.pt" and resume.saved_config.hidden == 8


def test_load_model_restores_the_weights(trained):
    loaded = load_model(trained)
    payload = load_checkpoint(trained)
    for name, tensor in loaded.model.state_dict().items():
        assert torch.equal(tensor, payload["model"][name])
    assert len(loaded.vocab) == 28 and not loaded.model.training


def test_truncated_file_gets_a_clear_error(trained, tmp_path):
    data = open(trained, "rb").read()
    broken = tmp_path / "broken.pt"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="is not a readable rnn-tui checkpoint"):
        load_checkpoint(broken)


def test_random_bytes_and_missing_file(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(os.urandom(2048))
    with pytest.raises(CheckpointError, match="corrupt, truncated or foreign"):
        load_checkpoint(junk)
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "nope.pt")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_never_unpickles_arbitrary_objects(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "rnn-tui-checkpoint", "payload": Evil()}, path)
    with pytest.raises(CheckpointError, match="refusing to unpickle"):
        load_checkpoint(path)
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps(Evil(), protocol=2))
    with pytest.raises(CheckpointError):
        load_checkpoint(plain)


def test_foreign_torch_file(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save({"weight": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match="is not an rnn-tui checkpoint"):
        load_checkpoint(path)


def test_newer_format_is_refused(tmp_path):
    path = save_checkpoint(tmp_path / "new.pt", {"config": {}, "vocab": [], "model": {}})
    payload = torch.load(path, weights_only=True)
    payload["version"] = 99
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="newer rnn-tui"):
        load_checkpoint(path)


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    target = save_checkpoint(tmp_path / "last.pt", {"config": {}, "vocab": [], "model": {}})
    before = target.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", fail)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(target, {"config": {"x": 1}, "vocab": [], "model": {}})
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temporary file left
