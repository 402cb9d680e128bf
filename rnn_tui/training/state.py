"""A trainer's state in a checkpoint and back: the checkpoint a resume reads (once), the payload
a trainer saves, the progress it restores on resume, and the config a resume may run with.

A Trainer calls `save_checkpoints(self, ...)` to save and `restore_progress(self, resume)` once
its model and optimizer exist; the counters a checkpoint keeps are the fields of `Progress`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from rnn_tui.checkpoints.files import (
    corpus_fingerprint,
    load_checkpoint,
    resume_changes,
    save_checkpoint,
)
from rnn_tui.config import TrainConfig
from rnn_tui.model.charrnn import State

if TYPE_CHECKING:
    from rnn_tui.training.trainer import Trainer

LAST_CHECKPOINT = "last.pt"
BEST_CHECKPOINT = "best.pt"


@dataclass
class Progress:
    """The trainer's counters: a fresh run starts from Progress(), a resumed one from its
    checkpoint's. A checkpoint's "progress" holds these fields and "wall_seconds"."""

    step: int = 0
    epoch: int = 1
    batch_in_epoch: int = 0
    epoch_loss_sum: float = 0.0
    tokens: int = 0
    train_seconds: float = 0.0
    best_val_ppl: float | None = None
    best_train_ppl: float | None = None
    last_train_ppl: float | None = None
    best_checkpoint: str | None = None

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.train_seconds if self.train_seconds > 0 else 0.0

    def note_step(self, loss: float, tokens: int) -> None:
        self.step += 1
        self.batch_in_epoch += 1
        self.epoch_loss_sum += loss
        self.tokens += tokens

    def note_epoch(self, train_ppl: float, val_ppl: float | None) -> bool:
        """Record an epoch's perplexities; True when it is the best so far: by validation
        perplexity, or by training perplexity when there is no validation text."""
        self.last_train_ppl = train_ppl
        if val_ppl is not None:
            is_best = self.note_evaluation(val_ppl)
        else:
            is_best = self.best_train_ppl is None or train_ppl < self.best_train_ppl
        if self.best_train_ppl is None or train_ppl < self.best_train_ppl:
            self.best_train_ppl = train_ppl
        return is_best

    def note_evaluation(self, val_ppl: float) -> bool:
        """True, and kept, when `val_ppl` is the best validation perplexity so far."""
        is_best = self.best_val_ppl is None or val_ppl < self.best_val_ppl
        if is_best:
            self.best_val_ppl = val_ppl
        return is_best

    def next_epoch(self) -> None:
        self.epoch += 1
        self.batch_in_epoch = 0
        self.epoch_loss_sum = 0.0


PROGRESS_FIELDS = tuple(field.name for field in dataclasses.fields(Progress))


@dataclass(frozen=True, eq=False)  # a payload of tensors has no plain equality
class Resume:
    """A checkpoint to resume from, read and checked once: the front end that plans the resume
    and the trainer that continues it share this payload."""

    path: Path
    payload: dict[str, Any]

    @classmethod
    def read(cls, path: str | Path) -> Resume:
        """CheckpointError in one line when the file cannot be resumed from."""
        return cls(Path(path), load_checkpoint(path, resumable=True))

    @property
    def saved_config(self) -> TrainConfig:
        return TrainConfig.from_dict(self.payload["config"])


def checkpoint_payload(trainer: Trainer) -> dict[str, Any]:
    state = trainer.state
    if isinstance(state, tuple):
        state = [s.detach().cpu() for s in state]
    elif state is not None:
        state = state.detach().cpu()
    progress = dataclasses.asdict(trainer.progress)
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


def save_checkpoints(trainer: Trainer, *, last: bool, best: bool) -> None:
    """Write last.pt and or best.pt into the trainer's out_dir (nothing without one); the
    progress in both names best.pt once it exists."""
    if trainer.out_dir is None:
        return
    if best:
        trainer.progress.best_checkpoint = str(trainer.out_dir / BEST_CHECKPOINT)
    payload = checkpoint_payload(trainer)
    if last:
        trainer.last_checkpoint = str(save_checkpoint(trainer.out_dir / LAST_CHECKPOINT, payload))
    if best:
        save_checkpoint(trainer.out_dir / BEST_CHECKPOINT, payload)


def restore_progress(trainer: Trainer, resume: Resume | None) -> None:
    """A fresh run's counters, or those of the checkpoint `resume` with its weights."""
    trainer.progress = Progress()
    trainer.wall_before = 0.0  # the wall seconds of the sessions before this one
    trainer.state = None
    trainer.last_checkpoint = None
    if resume is None:
        return
    payload = resume.payload
    # With weight averaging, "model" holds the average (what sampling loads) and
    # "train_model" the raw weights that training continues from.
    trainer.model.load_state_dict(payload.get("train_model", payload["model"]))
    if trainer.average is not None:
        trainer.average.load(payload["model"], payload.get("average_updates", 0))
    trainer.optimizer.load_state_dict(payload["optimizer"])
    saved = payload["progress"]
    trainer.progress = Progress(**{name: saved[name] for name in PROGRESS_FIELDS})
    trainer.wall_before = saved["wall_seconds"]
    state = payload.get("state")
    if state is not None:
        state = tuple(state) if isinstance(state, list) else state
        trainer.state = _to_device(state, trainer.device)
    torch.set_rng_state(payload["rng"]["torch"])
    if trainer.device.type == "cuda" and payload["rng"].get("cuda") is not None:
        torch.cuda.set_rng_state(payload["rng"]["cuda"])
    trainer.last_checkpoint = str(resume.path)


def resumable_config(resume: Resume, requested: TrainConfig) -> TrainConfig:
    """The saved config with the requested changes a resume allows; ConfigError naming any
    other requested change (see checkpoint.resume_changes). A requested config that already is
    that (the CLI plans a resume before it starts one) comes back as it is, checked once."""
    saved = resume.saved_config
    given = {
        name: value for name, value in requested.to_dict().items() if value != getattr(saved, name)
    }
    if given.get("precision") == "auto":  # the checkpoint holds what auto chose on this run
        del given["precision"]
    resumed = saved.replace(**resume_changes(saved, given))
    return requested if resumed == requested else resumed.checked()


def _to_device(state: State, device: torch.device) -> State:
    if isinstance(state, tuple):
        return tuple(s.to(device) for s in state)  # type: ignore[return-value]
    return state.to(device)
