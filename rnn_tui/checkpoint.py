"""Checkpoint files: written atomically, read without unpickling arbitrary objects."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from rnn_tui.atomic import atomic_file
from rnn_tui.config import TrainConfig
from rnn_tui.corpus import Vocab
from rnn_tui.errors import CheckpointError
from rnn_tui.model import CharRNN

FORMAT = "rnn-tui-checkpoint"
VERSION = 1


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write to a temporary file beside `path`, then rename: a crash never leaves half a file."""
    path = Path(path)
    with atomic_file(path) as handle:
        torch.save({"format": FORMAT, "version": VERSION, **payload}, handle)
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "GLOBAL" not in str(exc):  # no refused global object: a broken file
            raise CheckpointError(
                f"{path} is not a readable rnn-tui checkpoint (corrupt, truncated or foreign)"
            ) from None
        raise CheckpointError(
            f"{path} holds Python objects other than tensors and plain data; "
            "refusing to unpickle it (it is not an rnn-tui checkpoint)"
        ) from None
    except Exception as exc:  # torch raises many types for truncated or foreign files
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"{path} is not a readable rnn-tui checkpoint (corrupt, truncated or foreign): "
            f"{reason[:120]}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an rnn-tui checkpoint")
    if payload.get("version", 0) > VERSION:
        raise CheckpointError(
            f"{path} was written by a newer rnn-tui (format {payload['version']}); upgrade"
        )
    missing = [key for key in ("config", "vocab", "model") if key not in payload]
    if missing:
        raise CheckpointError(f"{path} is missing {', '.join(missing)}")
    return payload


@dataclass
class LoadedModel:
    model: CharRNN
    vocab: Vocab
    config: TrainConfig
    payload: dict[str, Any]


def load_model(path: str | Path, device: str = "cpu") -> LoadedModel:
    """The model, vocabulary and config of a checkpoint, ready to sample from."""
    payload = load_checkpoint(path)
    config = TrainConfig.from_dict(payload["config"])
    vocab = Vocab.from_list(payload["vocab"])
    model = CharRNN.from_config(config, len(vocab))
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise CheckpointError(f"{path}: weights do not match its config ({first})") from None
    return LoadedModel(model.to(device).eval(), vocab, config, payload)
