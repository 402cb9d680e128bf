"""One training run end to end: trainer, run store, output folder, summary, plot.

The CLI and the TUI both start runs through `RunSession`, so a run from either
is recorded the same way and can be compared, resumed and watched live.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from rnn_tui.atomic import atomic_file
from rnn_tui.config import TrainConfig
from rnn_tui.errors import RnnTuiError
from rnn_tui.reports.curves import Curves
from rnn_tui.reports.lines import model_label
from rnn_tui.reports.plot import has_matplotlib, save_png
from rnn_tui.training.events import EpochEnd, Event, RunEnd, StepEnd, event_to_dict
from rnn_tui.training.state import Resume
from rnn_tui.training.trainer import Trainer


def write_json(path: Path, data: Any) -> None:
    with atomic_file(path) as handle:
        handle.write((json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def check_out_dir(path: Path) -> None:
    """Refuse an output folder that is a file or cannot be written, in one line."""
    if path.exists() and not path.is_dir():
        raise RnnTuiError(f"output folder {path} is a file; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise RnnTuiError(f"cannot write to output folder {path}: {exc.strerror or exc}") from None


class MetricsLog:
    """metrics.jsonl: one JSON object per step or epoch, flushed at every epoch end."""

    def __init__(self, path: Path, append: bool = False):
        self.path = path
        self._handle = path.open("a" if append else "w", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepEnd | EpochEnd):
            self._handle.write(json.dumps(event_to_dict(event)) + "\n")
        if isinstance(event, EpochEnd | RunEnd):
            self._handle.flush()
        if isinstance(event, RunEnd):
            self._handle.close()


class RunSession:
    """Prepare, record and run one training run.

    `prepare()` raises RnnTuiError for bad input before anything is recorded; `run()`
    blocks until the run ends and returns its RunEnd; `stop()` may be called from any thread.
    """

    def __init__(
        self,
        config: TrainConfig,
        *,
        store: Any | None = None,  # rnn_tui.store.RunStore
        out_dir: str | Path | None = None,
        name: str | None = None,
        resume: str | Path | Resume | None = None,  # a checkpoint, or one read already
        resume_run_id: int | None = None,
        sweep: tuple[int, int] | None = None,  # (sweep id, index in the sweep)
        on_event: Callable[[Event], None] | None = None,
        corpus: Any | None = None,
    ):
        self.store = store
        self.requested_out = Path(out_dir) if out_dir is not None else None
        self.name = name
        self.resume_run_id = resume_run_id
        self.sweep = sweep
        self.on_event = on_event
        self.trainer = Trainer(config, resume=resume, corpus=corpus)
        self.run_id: int | None = resume_run_id
        self.out_dir: Path | None = None
        self.curves = Curves([], [], [])
        self.end: RunEnd | None = None
        self.recorder: Any | None = None  # rnn_tui.store.RunRecorder, while recording
        self._stop_early = threading.Event()
        self._prepared = False

    @property
    def config(self) -> TrainConfig:
        """The run's config as the trainer resolved it (resume, corpus path, precision)."""
        return self.trainer.config

    def prepare(self) -> None:
        """Once: check the inputs, build the model, record the run. Raises RnnTuiError for
        bad input before anything is recorded."""
        if self._prepared:
            return
        if self.requested_out is not None:
            check_out_dir(self.requested_out)  # before the run is recorded
        trainer = self.trainer
        trainer.prepare()
        if self.store is not None and self.run_id is None:
            sweep_id, sweep_index = self.sweep or (None, None)
            self.run_id = self.store.create_run(
                self.config.to_dict(),
                name=self.name,
                device=str(trainer.device),
                torch_version=torch.__version__,
                params=trainer.params,
                sweep_id=sweep_id,
                sweep_index=sweep_index,
            )
        elif self.store is not None:
            self.store.set_status(self.run_id, "running")
            # The row shows the budget this session trains to (a resume may extend it).
            self.store.update_run(self.run_id, config=self.config.to_dict())
        if self.requested_out is not None:
            self.out_dir = self.requested_out
        elif self.store is not None:
            self.out_dir = self.store.run_dir(self.run_id)
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            write_json(self.out_dir / "config.json", self.config.to_dict())
        trainer.out_dir = self.out_dir
        self._prepared = True

    @property
    def store_error(self) -> str | None:
        """Why the store could not record this run (it stopped, nothing lost), or None."""
        return None if self.recorder is None else self.recorder.error

    def stop(self) -> None:
        self._stop_early.set()
        self.trainer.stop()

    def run(self) -> RunEnd:
        self.prepare()
        listeners: list[Callable[[Event], None]] = [self.curves]
        if self.store is not None:
            # A store that stays unavailable stops the run (checkpoint saved) instead of failing it.
            self.recorder = self.store.recorder(self.run_id, on_give_up=lambda _: self.stop())
            listeners.append(self.recorder)
        if self.out_dir is not None:
            resumed = self.trainer.progress.step > 0
            metrics = self.out_dir / "metrics.jsonl"
            if resumed:  # the plot shows the whole run, not only this session's epochs
                self.curves.load(metrics, before_epoch=self.trainer.progress.epoch)
            listeners.append(MetricsLog(metrics, append=resumed))
        if self.on_event is not None:
            listeners.append(self.on_event)

        def fan_out(event: Event) -> None:
            for listener in listeners:
                listener(event)

        self.trainer.on_event = fan_out
        if self._stop_early.is_set():
            self.trainer.stop()
        self.end = self.trainer.run()
        self._write_outputs()
        return self.end

    def _write_outputs(self) -> None:
        if self.out_dir is None or self.end is None:
            return
        write_json(self.out_dir / "summary.json", self.summary())
        if has_matplotlib() and self.curves.epochs:
            save_png(
                self.curves.series(),
                self.out_dir / "perplexity.png",
                title=f"Perplexity: {model_label(self.config)}",
            )

    def summary(self) -> dict[str, Any]:
        end = self.end
        assert end is not None
        val = [v for v in self.curves.val if v is not None]
        return {
            "reason": end.reason,
            "message": end.message,
            "best_val_ppl": end.best_val_ppl,
            "final_val_ppl": val[-1] if val else None,
            "final_train_ppl": end.final_train_ppl,
            "tokens_per_s": end.tokens_per_s,
            "steps": end.step,
            "epochs": end.epoch,
            "seconds": end.elapsed,
            "params_pytorch": self.trainer.params if self.trainer._prepared else None,
            "checkpoint": end.checkpoint,
            "best_checkpoint": end.best_checkpoint,
            "run_id": self.run_id,
        }
