"""Trainer: a TrainConfig in, typed events out.

The trainer checks a stop flag between steps, keeps the last and the best
checkpoint, and ends a diverging run with a message instead of a crash.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from rnn_tui.averaging import WeightAverage
from rnn_tui.batching import Batch, Batching
from rnn_tui.budget import TimeBudget
from rnn_tui.checkpoint import check_same_corpus, load_checkpoint, save_checkpoint
from rnn_tui.config import TrainConfig
from rnn_tui.corpus import Corpus, absolute_corpus_path, check_trainable, load_corpus
from rnn_tui.errors import RnnTuiError
from rnn_tui.evaluation import (
    evaluation_seconds,
    perplexity,
    validation_loss,
)
from rnn_tui.events import EndReason, EpochEnd, EvalEnd, Event, RunEnd, RunStart, StepEnd
from rnn_tui.hardware import resolve_device, resolve_precision
from rnn_tui.model import CharRNN, count_parameters, detach_state
from rnn_tui.optimizers import make_optimizer
from rnn_tui.plural import plural
from rnn_tui.resources import check_memory
from rnn_tui.sample import sample_text
from rnn_tui.schedule import lr_factor
from rnn_tui.train_state import checkpoint_payload, restore_progress, resumable_config

DIVERGENCE_FACTOR = 4.0  # a loss this many times a uniform guess's is exploding
LAST_CHECKPOINT = "last.pt"
BEST_CHECKPOINT = "best.pt"


class Trainer:
    """Runs one training run. `prepare()` raises RnnTuiError for bad input (corpus,
    checkpoint, device); `run()` never raises: it reports how the run ended in RunEnd."""

    def __init__(
        self,
        config: TrainConfig,
        *,
        on_event: Callable[[Event], None] | None = None,
        out_dir: str | Path | None = None,
        corpus: Corpus | None = None,
        resume: str | Path | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.config = config.checked()
        self._clock = clock  # seconds; tests pass a simulated one
        self.on_event = on_event if on_event is not None else (lambda event: None)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.corpus = corpus
        self.resume_path = Path(resume) if resume is not None else None
        self._stop = threading.Event()
        self._prepared = False

    # -- control -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the run to stop; it does so before its next step, saving a checkpoint."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # -- setup -------------------------------------------------------------------------------

    def prepare(self) -> None:
        if self._prepared:
            return
        config = self.config
        resumed = load_checkpoint(self.resume_path, resumable=True) if self.resume_path else None
        if resumed is not None:
            config = self.config = resumable_config(resumed["config"], config)
        if config.corpus is not None:  # recorded absolute: a resume from elsewhere finds it
            config = self.config = config.replace(corpus=absolute_corpus_path(config.corpus))
        self.device = resolve_device(config.device)
        precision = resolve_precision(config.precision, self.device)
        config = self.config = config.replace(precision=precision)
        if self.corpus is None:
            self.corpus = load_corpus(config.corpus, config.preprocess, config.val_fraction)
        check_trainable(self.corpus, config.batch_size, config.num_steps, config.val_fraction)
        self.vocab = self.corpus.vocab
        if resumed is not None:
            check_same_corpus(resumed, self.corpus, self.resume_path)
        self.batching = Batching(config.batching, config.batch_size, config.num_steps)
        pass_steps = self.batching.steps_per_epoch(len(self.corpus.train))
        self.steps_per_epoch = config.epoch_steps or pass_steps
        self.total_steps = config.steps or config.epochs * self.steps_per_epoch

        check_memory(config, len(self.vocab))
        torch.manual_seed(config.seed)
        self.model = CharRNN.from_config(config, len(self.vocab)).to(self.device)
        self.optimizer = make_optimizer(
            config.optimizer, self.model.parameters(), config.lr, config.weight_decay
        )
        self.params = count_parameters(self.model)
        self.average = WeightAverage(self.model, config.ema) if config.ema else None
        restore_progress(self, resumed)
        self._prepared = True

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> RunEnd:
        try:
            self.prepare()
        except RnnTuiError as exc:
            return self._emit_end("error", str(exc))
        self._start_wall = self._clock()
        self.start_step = self.step
        self._last_eval_wall = self.wall_seconds
        self.budget = TimeBudget(self.config.time_budget)
        if self.config.time_budget:
            self.budget.estimated_evaluation = evaluation_seconds(
                self.model, len(self.corpus.val), self.config, self.device, self._clock
            )
        self.on_event(
            RunStart(
                config=self.config.to_dict(),
                device=str(self.device),
                params_pytorch=self.params,
                vocab_size=len(self.vocab),
                train_tokens=len(self.corpus.train),
                val_tokens=len(self.corpus.val),
                steps_per_epoch=self.steps_per_epoch,
                total_steps=self.total_steps,
                start_step=self.step,
                out_dir=str(self.out_dir) if self.out_dir else None,
            )
        )
        try:
            reason, message = self._loop()
        except Exception as exc:  # a bug or an I/O failure: report it, keep what was saved
            return self._emit_end("error", f"{type(exc).__name__}: {exc}".splitlines()[0])
        return self._emit_end(reason, message)

    def _loop(self) -> tuple[EndReason, str]:
        config = self.config
        uniform_loss = math.log(len(self.vocab))
        divergence_loss = max(DIVERGENCE_FACTOR * uniform_loss, uniform_loss + 5.0)
        while self.step < self.total_steps:
            batches = self._epoch_batches(self.epoch, self.batch_in_epoch)
            # Training time runs from fetching a batch to the end of the step's listeners,
            # so tokens/s counts everything a step costs except evaluation and checkpoints.
            mark = self._clock()
            for inputs, targets in batches:
                if self._stop.is_set():
                    self._save(is_best=False)
                    return "stopped", f"stopped at step {self.step}"
                if self._out_of_time():
                    self._end_epoch()
                    return "finished", f"time budget of {config.time_budget:g} s reached"
                step_began = mark
                loss = self._train_step(inputs, targets)
                if not math.isfinite(loss) or loss > divergence_loss:
                    return "diverged", self._divergence_message(loss)
                self.step += 1
                self.batch_in_epoch += 1
                self.epoch_loss_sum += loss
                self.tokens += inputs.numel()
                now = self._clock()
                self.train_seconds += now - mark
                mark = now
                self.on_event(
                    StepEnd(
                        step=self.step,
                        epoch=self.epoch,
                        loss=loss,
                        ppl=perplexity(loss),
                        lr=self.optimizer.param_groups[0]["lr"],
                        tokens_per_s=self.tokens_per_s,
                        tokens=self.tokens,
                        elapsed=self.wall_seconds,
                    )
                )
                now = self._clock()
                self.train_seconds += now - mark  # the listeners' share
                self.budget.note_step(now - step_began)
                mark = now
                if self.batch_in_epoch >= self.steps_per_epoch or self.step >= self.total_steps:
                    break
                if self._evaluation_due():
                    self._interval_evaluation()
                    mark = self._clock()
            self._end_epoch()
        return "finished", f"finished {plural(self.step, 'step')}"

    def _epoch_batches(self, epoch: int, start: int) -> Iterator[Batch]:
        """The epoch's batches from index `start`; an epoch of epoch_steps may span passes."""
        sequential = self.config.batching == "sequential"
        pass_steps = self.batching.steps_per_epoch(len(self.corpus.train))
        first_pass, offset = divmod(start, pass_steps)
        for repeat in itertools.count(first_pass):
            resuming = repeat == first_pass and offset > 0
            if sequential and not resuming:
                self.state = None  # a new pass starts new streams
            yield from self.batching.epoch(
                self.corpus.train,
                self.config.seed + repeat * 7919,
                epoch,
                start=offset if repeat == first_pass else 0,
            )

    def _train_step(self, inputs: torch.Tensor, targets: torch.Tensor) -> float:
        config = self.config
        inputs = inputs.to(self.device, non_blocking=True)
        targets = targets.to(self.device, non_blocking=True)
        for group in self.optimizer.param_groups:
            group["lr"] = config.lr * lr_factor(
                config.schedule, self._progress(), config.warmup, config.lr_floor
            )
        self.model.train()
        state = detach_state(self.state) if config.batching == "sequential" else None
        with torch.autocast(
            self.device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16"
        ):
            logits, state = self.model(inputs, state)
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.clip)
        value = loss.item()
        if math.isfinite(value):
            self.optimizer.step()
            if self.average is not None:
                self.average.update(self.model)
        self.state = detach_state(state) if config.batching == "sequential" else None
        return value

    def _end_epoch(self) -> None:
        steps_done = self.batch_in_epoch
        if steps_done == 0:
            return
        began = self._clock()
        train_loss = self.epoch_loss_sum / steps_done
        self.last_train_ppl = perplexity(train_loss)
        val_loss = self.evaluate()
        val_ppl = perplexity(val_loss) if val_loss is not None else None
        if val_ppl is not None:
            is_best = self.best_val_ppl is None or val_ppl < self.best_val_ppl
            if is_best:
                self.best_val_ppl = val_ppl
        else:
            is_best = self.best_train_ppl is None or self.last_train_ppl < self.best_train_ppl
        if self.best_train_ppl is None or self.last_train_ppl < self.best_train_ppl:
            self.best_train_ppl = self.last_train_ppl
        sample = self._epoch_sample()
        finished_epoch = self.epoch
        if steps_done >= self.steps_per_epoch:
            self.epoch += 1
            self.batch_in_epoch = 0
            self.epoch_loss_sum = 0.0
        else:
            # The run ends inside this epoch (steps or time ran out): reported as an epoch,
            # but the checkpoint keeps its place in it, so extending the run reads the same
            # batches as a longer run would, and the resumed epoch's report replaces this one.
            self.ended_inside_epoch = True
        checkpoint = self._save(is_best=is_best)
        self.on_event(
            EpochEnd(
                epoch=finished_epoch,
                step=self.step,
                train_loss=train_loss,
                train_ppl=self.last_train_ppl,
                val_loss=val_loss,
                val_ppl=val_ppl,
                tokens_per_s=self.tokens_per_s,
                tokens=self.tokens,
                elapsed=self.wall_seconds,
                sample=sample,
                is_best=is_best,
                checkpoint=checkpoint,
            )
        )
        self.budget.note_finish(self._clock() - began)
        self._last_eval_wall = self.wall_seconds

    def _evaluation_due(self) -> bool:
        interval = self.config.eval_interval
        return interval is not None and self.wall_seconds - self._last_eval_wall >= interval

    def _interval_evaluation(self) -> None:
        """A validation pass within an epoch, so a budget that ends mid-epoch still finds
        its best weights; a new best is saved to best.pt."""
        began = self._clock()
        val_loss = self.evaluate()
        self._last_eval_wall = self.wall_seconds
        if val_loss is None:
            return
        val_ppl = perplexity(val_loss)
        is_best = self.best_val_ppl is None or val_ppl < self.best_val_ppl
        if is_best:
            self.best_val_ppl = val_ppl
            self._save_best()
        self.on_event(
            EvalEnd(
                step=self.step,
                epoch=self.epoch,
                val_loss=val_loss,
                val_ppl=val_ppl,
                is_best=is_best,
                checkpoint=self.best_checkpoint if is_best else None,
                elapsed=self.wall_seconds,
            )
        )
        self.budget.note_evaluation(self._clock() - began)

    def evaluate(self) -> float | None:
        """Mean loss per character over the whole validation text; None without one."""
        with self._averaged_weights():
            return validation_loss(
                self.model, self.corpus.val, self.config.num_steps, self.config.batch_size
            )

    def _epoch_sample(self) -> str:
        length = self.config.sample_length
        prefix = "".join(c for c in self.config.sample_prefix if c in self.vocab.stoi)
        if length == 0:
            return ""
        if not prefix:
            prefix = self.vocab.decode(self.corpus.train[:1].tolist())
        # Its own seeded generator: sampling never shifts the training random stream.
        with self._averaged_weights():
            return sample_text(
                self.model,
                self.vocab,
                prefix,
                length,
                temperature=0.6,
                seed=self.config.seed + self.epoch,
            )

    def _averaged_weights(self) -> contextlib.AbstractContextManager[None]:
        """The weight average in the model for evaluation and samples (with --ema)."""
        if self.average is None:
            return contextlib.nullcontext()
        return self.average.applied(self.model)

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint_payload(self) -> dict[str, Any]:
        return checkpoint_payload(self)

    def _save_best(self) -> None:
        if self.out_dir is not None:
            self.best_checkpoint = str(self.out_dir / BEST_CHECKPOINT)
            save_checkpoint(self.out_dir / BEST_CHECKPOINT, self.checkpoint_payload())

    def _save(self, is_best: bool) -> str | None:
        if self.out_dir is None:
            return None
        if is_best:
            self.best_checkpoint = str(self.out_dir / BEST_CHECKPOINT)
        payload = self.checkpoint_payload()
        last = save_checkpoint(self.out_dir / LAST_CHECKPOINT, payload)
        self.last_checkpoint = str(last)
        if is_best:
            save_checkpoint(self.out_dir / BEST_CHECKPOINT, payload)
        return self.last_checkpoint

    # -- bookkeeping -------------------------------------------------------------------------

    @property
    def wall_seconds(self) -> float:
        return self.wall_before + self._clock() - self._start_wall

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.train_seconds if self.train_seconds > 0 else 0.0

    def _progress(self) -> float:
        progress = self.step / self.total_steps
        training_seconds = self.budget.training_seconds()
        if training_seconds is not None:
            progress = max(progress, self.wall_seconds / training_seconds)
        return progress

    def _out_of_time(self) -> bool:
        """A session always trains one step, so a budget too short for the final
        evaluation still yields a model."""
        first = self.step == self.start_step and self.wall_before < (self.budget.seconds or 0)
        return not first and self.budget.spent(self.wall_seconds)

    def _divergence_message(self, loss: float) -> str:
        what = (
            "became NaN"
            if loss != loss
            else ("became infinite" if math.isinf(loss) else f"exploded to {loss:.3g}")
        )
        advice = f"lower the learning rate (now {self.config.lr:g})"
        if self.config.clip == 0:
            advice += " or turn on gradient clipping (--clip 1)"
        kept = (
            f"; the last good checkpoint is {self.last_checkpoint}" if self.last_checkpoint else ""
        )
        return f"loss {what} at step {self.step + 1}: {advice}{kept}"

    def _emit_end(self, reason: EndReason, message: str) -> RunEnd:
        end = RunEnd(
            reason=reason,
            message=message,
            step=getattr(self, "step", 0),
            epoch=max(getattr(self, "epoch", 1) - 1 + getattr(self, "ended_inside_epoch", 0), 0),
            best_val_ppl=getattr(self, "best_val_ppl", None),
            final_train_ppl=getattr(self, "last_train_ppl", None),
            tokens_per_s=self.tokens_per_s if self._prepared else 0.0,
            elapsed=self.wall_seconds if hasattr(self, "_start_wall") else 0.0,
            checkpoint=getattr(self, "last_checkpoint", None),
            best_checkpoint=getattr(self, "best_checkpoint", None),
        )
        self.on_event(end)
        return end
