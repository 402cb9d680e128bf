"""A trainer's state in a checkpoint and back: the payload it saves, the progress it restores
on resume, and the config a resume may run with.

A Trainer calls `checkpoint_payload(self)` to save and `restore_progress(self, payload)` once
its model and optimizer exist; the progress fields are listed once, in PROGRESS_FIELDS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from rnn_tui.checkpoint import corpus_fingerprint, resume_config
from rnn_tui.config import TrainConfig
from rnn_tui.model import State

if TYPE_CHECKING:
    from rnn_tui.train import Trainer

# The trainer's counters a checkpoint keeps, saved and restored by name ("wall_seconds" is
# saved too: it is restored as the wall time before this session).
PROGRESS_FIELDS = (
    "step", "epoch", "batch_in_epoch", "epoch_loss_sum", "tokens", "train_seconds",
    "best_val_ppl", "best_train_ppl", "last_train_ppl", "best_checkpoint",
)  # fmt: skip


def checkpoint_payload(trainer: Trainer) -> dict[str, Any]:
    state = trainer.state
    if isinstance(state, tuple):
        state = [s.detach().cpu() for s in state]
    elif state is not None:
        state = state.detach().cpu()
    progress = {name: getattr(trainer, name) for name in PROGRESS_FIELDS}
    progress["wall_seconds"] = trainer.wall_seconds
    payload = {
        "config": trainer.config.to_dict(),
        "vocab": trainer.vocab.to_list(),
        "model": {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()},
        "optimizer": trainer.optimizer.state_dict(),
        "state": state,
        "rng": {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state() if trainer.device.type == "cuda" else None,
        },
        "progress": progress,
        "params": trainer.params,
        "corpus": corpus_fingerprint(trainer.corpus),
        "torch_version": str(torch.__version__),
    }
    if trainer.average is not None:
        payload["train_model"] = payload["model"]
        payload["model"] = trainer.average.state_dict()
        payload["average_updates"] = trainer.average.updates
    return payload


def restore_progress(trainer: Trainer, payload: dict[str, Any] | None) -> None:
    """A fresh run's counters, or those of the checkpoint `payload` with its weights."""
    trainer.step = 0
    trainer.epoch = 1
    trainer.batch_in_epoch = 0
    trainer.epoch_loss_sum = 0.0
    trainer.tokens = 0
    trainer.train_seconds = 0.0
    trainer.wall_before = 0.0
    trainer.best_val_ppl = None
    trainer.best_train_ppl = None
    trainer.last_train_ppl = None
    trainer.state = None
    trainer.last_checkpoint = None
    trainer.best_checkpoint = None
    trainer.ended_inside_epoch = False
    if payload is None:
        return
    # With weight averaging, "model" holds the average (what sampling loads) and
    # "train_model" the raw weights that training continues from.
    trainer.model.load_state_dict(payload.get("train_model", payload["model"]))
    if trainer.average is not None:
        trainer.average.load(payload["model"], payload.get("average_updates", 0))
    trainer.optimizer.load_state_dict(payload["optimizer"])
    progress = payload["progress"]
    for name in PROGRESS_FIELDS:
        setattr(trainer, name, progress[name])
    trainer.wall_before = progress["wall_seconds"]
    state = payload.get("state")
    if state is not None:
        state = tuple(state) if isinstance(state, list) else state
        trainer.state = _to_device(state, trainer.device)
    torch.set_rng_state(payload["rng"]["torch"])
    if trainer.device.type == "cuda" and payload["rng"].get("cuda") is not None:
        torch.cuda.set_rng_state(payload["rng"]["cuda"])
    trainer.last_checkpoint = str(trainer.resume_path)


def resumable_config(saved: dict[str, Any], requested: TrainConfig) -> TrainConfig:
    """The saved config with the requested changes a resume allows; ConfigError naming any
    other requested change (see checkpoint.resume_config)."""
    config = TrainConfig.from_dict(saved)
    given = {
        name: value for name, value in requested.to_dict().items() if value != getattr(config, name)
    }
    if given.get("precision") == "auto":  # the checkpoint holds what auto chose on this run
        del given["precision"]
    return resume_config(config, given)


def _to_device(state: State, device: torch.device) -> State:
    if isinstance(state, tuple):
        return tuple(s.to(device) for s in state)  # type: ignore[return-value]
    return state.to(device)
