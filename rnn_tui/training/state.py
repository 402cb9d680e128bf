"""A trainer's state in a checkpoint and back: the checkpoint a resume reads (once), the state a
run changes as it trains (`TrainState`: to a payload, restored from one), and the config a
resume may run with. Nothing here knows the Trainer; the Trainer holds one `TrainState`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from rnn_tui.checkpoints.files import (
    corpus_fingerprint,
    load_checkpoint,
    resume_changes,
    save_checkpoint,
)
from rnn_tui.config import TrainConfig
from rnn_tui.data.corpus import Corpus
from rnn_tui.data.vocab import Vocab
from rnn_tui.model.charrnn import CharRNN, State
from rnn_tui.training.averaging import WeightAverage

LAST_CHECKPOINT = "last.pt"
BEST_CHECKPOINT = "best.pt"


@dataclass
class Progress:
    """The trainer's counters (part of its TrainState): a fresh run starts from Progress(), a
    resumed one from its checkpoint's. A checkpoint's "progress" holds these fields and
    "wall_seconds"."""

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


def run_facts(config: TrainConfig, vocab: Vocab, params: int, corpus: Corpus) -> dict[str, Any]:
    """What a run's checkpoints hold besides its state, fixed once the run is prepared."""
    return {
        "config": config.to_dict(),
        "vocab": vocab.to_list(),
        "params": params,
        "corpus": corpus_fingerprint(corpus),
        "torch_version": str(torch.__version__),
    }


@dataclass(eq=False)  # tensors and optimizers have no plain equality
class TrainState:
    """What a run changes as it trains, all in one place: the weights (and their average),
    the optimizer, the counters, the recurrent state carried between sequential batches,
    the wall seconds of the sessions before this one and the last checkpoint written.

    A fresh run starts from its defaults; `restore()` puts a checkpoint's back and
    `to_payload()` is what a checkpoint keeps (with the global RNG state)."""

    model: CharRNN
    optimizer: torch.optim.Optimizer
    device: torch.device
    average: WeightAverage | None = None
    progress: Progress = dataclasses.field(default_factory=Progress)
    wall_before: float = 0.0
    recurrent: State | None = None
    last_checkpoint: str | None = None

    def to_payload(self, wall_seconds: float) -> dict[str, Any]:
        """The state's part of a checkpoint, `wall_seconds` of training so far included."""
        recurrent = self.recurrent
        if isinstance(recurrent, tuple):
            recurrent = [s.detach().cpu() for s in recurrent]
        elif recurrent is not None:
            recurrent = recurrent.detach().cpu()
        progress = dataclasses.asdict(self.progress)
        progress["wall_seconds"] = wall_seconds
        payload = {
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "state": recurrent,
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state() if self.device.type == "cuda" else None,
            },
            "progress": progress,
        }
        if self.average is not None:
            payload["train_model"] = payload["model"]
            payload["model"] = self.average.state_dict()
            payload["average_updates"] = self.average.updates
        return payload

    def restore(self, resume: Resume) -> None:
        """The checkpoint's weights, optimizer, counters, recurrent and RNG state (call once
        the model and optimizer are built, so their RNG draws are replaced)."""
        payload = resume.payload
        # With weight averaging, "model" holds the average (what sampling loads) and
        # "train_model" the raw weights that training continues from.
        self.model.load_state_dict(payload.get("train_model", payload["model"]))
        if self.average is not None:
            self.average.load(payload["model"], payload.get("average_updates", 0))
        self.optimizer.load_state_dict(payload["optimizer"])
        saved = payload["progress"]
        self.progress = Progress(**{name: saved[name] for name in PROGRESS_FIELDS})
        self.wall_before = saved["wall_seconds"]
        recurrent = payload.get("state")
        if recurrent is not None:
            recurrent = tuple(recurrent) if isinstance(recurrent, list) else recurrent
            self.recurrent = _to_device(recurrent, self.device)
        torch.set_rng_state(payload["rng"]["torch"])
        if self.device.type == "cuda" and payload["rng"].get("cuda") is not None:
            torch.cuda.set_rng_state(payload["rng"]["cuda"])
        self.last_checkpoint = str(resume.path)

    def save(
        self, out_dir: Path, facts: dict[str, Any], wall_seconds: float, *, last: bool, best: bool
    ) -> None:
        """Write last.pt and or best.pt into `out_dir` (with the run's `facts`); the progress
        in both names best.pt once it exists."""
        if best:
            self.progress.best_checkpoint = str(out_dir / BEST_CHECKPOINT)
        payload = {**facts, **self.to_payload(wall_seconds)}
        if last:
            self.last_checkpoint = str(save_checkpoint(out_dir / LAST_CHECKPOINT, payload))
        if best:
            save_checkpoint(out_dir / BEST_CHECKPOINT, payload)


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
