"""One training run end to end: trainer, run store, output folder, summary, plot.

The CLI and the TUI both start runs through `RunSession`, so a run from either
is recorded the same way and can be compared, resumed and watched live.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from rnn_tui import strict_json
from rnn_tui.atomic import atomic_file
from rnn_tui.config import TrainConfig
from rnn_tui.errors import RnnTuiError
from rnn_tui.reports.curves import Curves
from rnn_tui.reports.lines import model_label
from rnn_tui.reports.plot import has_matplotlib, save_png
from rnn_tui.store.owned import refuse_owned_folder
from rnn_tui.training.events import EpochEnd, Event, RunEnd, StepEnd, event_to_dict
from rnn_tui.training.state import Resume
from rnn_tui.training.trainer import Trainer


def write_json(path: Path, data: Any) -> None:
    with atomic_file(path) as handle:
        handle.write((strict_json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def check_out_dir(path: Path, db_path: Path | str | None = None) -> None:
    """Refuse an output folder that is a file, one of the run store's own (store.owned), or
    cannot be written, in one line, before anything is written."""
    refuse_owned_folder(path, db_path=db_path)
    if path.exists() and not path.is_dir():
        raise RnnTuiError(f"output folder {path} is a file; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise RnnTuiError(f"cannot write to output folder {path}: {exc.strerror or exc}") from None


class MetricsLog:
    """metrics.jsonl: one JSON object per step or epoch, flushed at every epoch end.

    A write that fails (a full disk) cuts the file back to its last complete flush, so it
    holds whole lines only, and raises once: the trainer ends the run as an error. After
    that, and at the run's end, nothing more is written or raised.
    """

    def __init__(self, path: Path, append: bool = False):
        self.path = path
        self._handle: Any = path.open("a" if append else "w", encoding="utf-8")
        self._kept = self._handle.tell()  # the bytes known to be whole lines on disk
        self.error: str | None = None

    def __call__(self, event: Event) -> None:
        if self._handle is None:
            return
        try:
            if isinstance(event, StepEnd | EpochEnd):
                self._handle.write(strict_json.dumps(event_to_dict(event)) + "\n")
            if isinstance(event, EpochEnd | RunEnd):
                self._handle.flush()
                self._kept = self._handle.tell()
            if isinstance(event, RunEnd):
                self._handle.close()
                self._handle = None
        except OSError as exc:
            self._give_up(exc)
            if not isinstance(event, RunEnd):  # the run ends here, with this reason
                raise

    def _give_up(self, exc: OSError) -> None:
        self.error = f"cannot write {self.path}: {exc.strerror or exc}"
        handle, self._handle = self._handle, None
        with contextlib.suppress(OSError, ValueError):
            os.truncate(handle.fileno(), self._kept)  # needs no space: whole lines only
        with contextlib.suppress(OSError, ValueError):
            handle.close()  # its unwritten buffer is dropped with the error
        if not handle.closed:
            with contextlib.suppress(Exception):
                handle.buffer.raw.close()


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
        self.output_error: str | None = None  # summary or plot not written (see _write_outputs)
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
            db_path = self.store.path if self.store is not None else None
            check_out_dir(self.requested_out, db_path)  # before the run is recorded
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
        # A resumed run is claimed (back to running) only when training begins (the recorder
        # does it at RunStart): a resume refused before then leaves the run as it was.
        if self.requested_out is not None:
            self.out_dir = self.requested_out
        elif self.store is not None:
            self.out_dir = self.store.run_dir(self.run_id)
        if self.out_dir is not None:
            try:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                write_json(self.out_dir / "config.json", self.config.to_dict())
            except OSError as exc:  # a full disk: one line, and no run left behind
                self._forget_new_run()
                raise RnnTuiError(
                    f"cannot write to {self.out_dir}: {exc.strerror or exc}"
                ) from None
        trainer.out_dir = self.out_dir
        self._prepared = True

    def _forget_new_run(self) -> None:
        """Delete the run this session has just recorded (nothing was trained in it)."""
        if self.store is None or self.run_id is None or self.resume_run_id is not None:
            return
        with contextlib.suppress(RnnTuiError):
            self.store.delete_run(self.run_id)
            self.run_id = None

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
        """summary.json and the plot; a failure to write them (a full disk) is kept in
        `output_error`, never raised: the run has ended and its data is recorded."""
        if self.out_dir is None or self.end is None:
            return
        try:
            write_json(self.out_dir / "summary.json", self.summary())
            if has_matplotlib() and self.curves.epochs:
                save_png(
                    self.curves.series(),
                    self.out_dir / "perplexity.png",
                    title=f"Perplexity: {model_label(self.config)}",
                )
        except OSError as exc:
            self.output_error = f"cannot write to {self.out_dir}: {exc.strerror or exc}"

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
