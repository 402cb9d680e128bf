"""Checkpoint files: written atomically, read without unpickling arbitrary objects, and
checked part by part (checkpoint_schema) before a model is built from them; what a resume
may change."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from rnn_tui.atomic import atomic_file

# Re-exported: callers (and the bad-input tables) import the resume rule from here.
from rnn_tui.checkpoints.resume_changes import RESUME_PATH_FIELDS as RESUME_PATH_FIELDS
from rnn_tui.checkpoints.resume_changes import resume_changes as resume_changes
from rnn_tui.checkpoints.resume_changes import resume_config as resume_config
from rnn_tui.checkpoints.schema import validate_payload
from rnn_tui.config import TrainConfig
from rnn_tui.data.corpus import Corpus, Vocab
from rnn_tui.errors import CheckpointError
from rnn_tui.model.charrnn import CharRNN
from rnn_tui.model.resources import check_memory, refuse_if_too_big

FORMAT = "rnn-tui-checkpoint"
VERSION = 1


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write to a temporary file beside `path`, then rename: a crash never leaves half a file."""
    path = Path(path)
    with atomic_file(path) as handle:
        torch.save({"format": FORMAT, "version": VERSION, **payload}, handle)
    return path


def load_checkpoint(path: str | Path, *, resumable: bool = False) -> dict[str, Any]:
    """A checkpoint's payload, every part checked (see checkpoint_schema); CheckpointError
    in one line otherwise. resumable=True also requires progress, optimizer and RNG state."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    # torch.load holds the whole file in memory: refuse one larger than what is free.
    refuse_if_too_big(path.stat().st_size, f"loading {path}")
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
    version = payload.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise CheckpointError(f"{path} was written by a newer rnn-tui (format {version}); upgrade")
    validate_payload(payload, path, resumable=resumable)
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
    check_memory(config, len(vocab), training=False, what=f"the model in {path}")
    model = CharRNN.from_config(config, len(vocab))
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise CheckpointError(f"{path}: weights do not match its config ({first})") from None
    return LoadedModel(model.to(device).eval(), vocab, config, payload)


def corpus_fingerprint(corpus: Corpus) -> dict[str, Any] | None:
    """What a checkpoint stores to recognise its text again: length and SHA-1 after
    preprocessing."""
    if corpus.sha1 is None:
        return None
    return {"chars": corpus.chars, "sha1": corpus.sha1}


def check_same_corpus(payload: dict[str, Any], corpus: Corpus, path: str | Path) -> None:
    """CheckpointError unless `corpus` is the text the checkpoint was trained on."""
    stored = payload.get("corpus")
    current = corpus_fingerprint(corpus)
    if stored is not None and current is not None and stored != current:
        raise CheckpointError(
            f"{corpus.source} is not the text {path} was trained on: "
            f"{current['chars']:,} characters with SHA-1 {current['sha1'][:12]} after "
            f"preprocessing, the checkpoint's had {stored['chars']:,} with "
            f"{stored['sha1'][:12]}; point the corpus at that text"
        )
    if payload["vocab"] != corpus.vocab.to_list():
        raise CheckpointError(f"{path} was trained on a different vocabulary")
