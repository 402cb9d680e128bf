"""Trainer: a TrainConfig in, typed events out.

The trainer checks a stop flag between steps, keeps the last and the best
checkpoint, and ends a diverging run with a message instead of a crash.
"""

from __future__ import annotations

import contextlib
import errno
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch

from rnn_tui.checkpoints.files import check_same_corpus
from rnn_tui.config import TrainConfig
from rnn_tui.data.batching import Batching
from rnn_tui.data.corpus import Corpus, absolute_corpus_path, check_trainable, load_corpus
from rnn_tui.errors import RnnTuiError
from rnn_tui.model.charrnn import CharRNN, count_parameters, detach_state
from rnn_tui.model.resources import check_memory
from rnn_tui.plural import plural
from rnn_tui.sampling.generate import epoch_sample
from rnn_tui.training.averaging import WeightAverage
from rnn_tui.training.budget import TimeBudget
from rnn_tui.training.divergence import diverged, divergence_limit, divergence_message
from rnn_tui.training.evaluation import evaluation_seconds, perplexity, validation_loss
from rnn_tui.training.events import EndReason, EpochEnd, EvalEnd, Event, RunEnd, RunStart, StepEnd
from rnn_tui.training.hardware import resolve_device, resolve_precision
from rnn_tui.training.optimizers import make_optimizer
from rnn_tui.training.schedule import lr_factor
from rnn_tui.training.state import Progress, Resume, TrainState, resumable_config, run_facts
from rnn_tui.training.step import train_step


class Trainer:
    """Runs one training run. `prepare()` raises RnnTuiError for bad input (corpus,
    checkpoint, device); `run()` never raises: it reports how the run ended in RunEnd.

    `resume` is a checkpoint path, or a `Resume` a front end read already (it is read once).
    What the run changes as it trains is `state` (a TrainState, built by prepare()).
    """

    def __init__(
        self,
        config: TrainConfig,
        *,
        on_event: Callable[[Event], None] | None = None,
        out_dir: str | Path | None = None,
        corpus: Corpus | None = None,
        resume: str | Path | Resume | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.config = config.checked()
        self._clock = clock  # seconds; tests pass a simulated one
        self.on_event = on_event if on_event is not None else (lambda event: None)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.corpus = corpus
        self.resume = resume
        self._stop = threading.Event()
        self.state: TrainState | None = None
        self._prepared = False
        self.ended_inside_epoch = False

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
        resumed = self.resume
        if resumed is not None and not isinstance(resumed, Resume):
            resumed = self.resume = Resume.read(resumed)
        if resumed is not None:
            config = self.config = resumable_config(resumed, config)
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
            check_same_corpus(resumed.payload, self.corpus, resumed.path)
        self.batching = Batching(config.batching, config.batch_size, config.num_steps)
        pass_steps = self.batching.steps_per_epoch(len(self.corpus.train))
        self.steps_per_epoch = config.epoch_steps or pass_steps
        self.total_steps = config.steps or config.epochs * self.steps_per_epoch

        check_memory(config, len(self.vocab))
        torch.manual_seed(config.seed)
        model = CharRNN.from_config(config, len(self.vocab)).to(self.device)
        optimizer = make_optimizer(
            config.optimizer, model.parameters(), config.lr, config.weight_decay
        )
        self.params = count_parameters(model)
        average = WeightAverage(model, config.ema) if config.ema else None
        self.state = TrainState(model, optimizer, self.device, average)
        if resumed is not None:
            self.state.restore(resumed)
        self._facts = run_facts(config, self.vocab, self.params, self.corpus)
        self._prepared = True

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> RunEnd:
        try:
            self.prepare()
        except RnnTuiError as exc:
            return self._emit_end("error", str(exc))
        self._start_wall = self._clock()
        self.start_step = self.progress.step
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
                start_step=self.progress.step,
                out_dir=str(self.out_dir) if self.out_dir else None,
            )
        )
        try:
            reason, message = self._loop()
        except Exception as exc:  # a bug or an I/O failure: report it, keep what was saved
            return self._emit_end("error", failure_line(exc))
        return self._emit_end(reason, message)

    def _loop(self) -> tuple[EndReason, str]:
        config, progress = self.config, self.progress
        loss_limit = divergence_limit(len(self.vocab))
        while progress.step < self.total_steps:
            batches = self.batching.reported_epoch(
                self.corpus.train,
                config.seed,
                progress.epoch,
                progress.batch_in_epoch,
                self._new_pass,
            )
            # Training time runs from fetching a batch to the end of the step's listeners,
            # so tokens/s counts everything a step costs except evaluation and checkpoints.
            mark = self._clock()
            for inputs, targets in batches:
                if self._stop.is_set():
                    self._save(last=True, best=False)
                    return "stopped", f"stopped at step {progress.step}"
                if self._out_of_time():
                    self._end_epoch()
                    return "finished", f"time budget of {config.time_budget:g} s reached"
                step_began = mark
                loss = self._train_step(inputs, targets)
                if diverged(loss, loss_limit):
                    return "diverged", divergence_message(
                        loss, progress.step + 1, config.lr, config.clip, self.state.last_checkpoint
                    )
                progress.note_step(loss, inputs.numel())
                now = self._clock()
                progress.train_seconds += now - mark
                mark = now
                self.on_event(
                    StepEnd(
                        step=progress.step,
                        epoch=progress.epoch,
                        loss=loss,
                        ppl=perplexity(loss),
                        lr=self.optimizer.param_groups[0]["lr"],
                        tokens_per_s=self.tokens_per_s,
                        tokens=progress.tokens,
                        elapsed=self.wall_seconds,
                    )
                )
                now = self._clock()
                progress.train_seconds += now - mark  # the listeners' share
                self.budget.note_step(now - step_began)
                mark = now
                if (
                    progress.batch_in_epoch >= self.steps_per_epoch
                    or progress.step >= self.total_steps
                ):
                    break
                if self._evaluation_due():
                    self._interval_evaluation()
                    mark = self._clock()
            self._end_epoch()
        return "finished", f"finished {plural(progress.step, 'step')}"

    def _new_pass(self) -> None:
        if self.config.batching == "sequential":
            self.state.recurrent = None  # a new pass over the text starts new streams

    def _train_step(self, inputs: torch.Tensor, targets: torch.Tensor) -> float:
        config = self.config
        factor = lr_factor(config.schedule, self._progress(), config.warmup, config.lr_floor)
        for group in self.optimizer.param_groups:
            group["lr"] = config.lr * factor
        batch = (
            inputs.to(self.device, non_blocking=True),
            targets.to(self.device, non_blocking=True),
        )
        sequential, state = config.batching == "sequential", self.state
        loss, recurrent = train_step(
            self.model,
            self.optimizer,
            batch,
            detach_state(state.recurrent) if sequential else None,
            clip=config.clip,
            bf16=config.precision == "bf16",
            average=state.average,
        )
        state.recurrent = detach_state(recurrent) if sequential else None
        return loss

    def _end_epoch(self) -> None:
        progress = self.progress
        steps_done = progress.batch_in_epoch
        if steps_done == 0:
            return
        began = self._clock()
        train_loss = progress.epoch_loss_sum / steps_done
        train_ppl = perplexity(train_loss)
        val_loss = self.evaluate()
        val_ppl = perplexity(val_loss) if val_loss is not None else None
        is_best = progress.note_epoch(train_ppl, val_ppl)
        sample = self._epoch_sample()
        finished_epoch = progress.epoch
        if steps_done >= self.steps_per_epoch:
            progress.next_epoch()
        else:
            # The run ends inside this epoch (steps or time ran out): reported as an epoch,
            # but the checkpoint keeps its place in it, so extending the run reads the same
            # batches as a longer run would, and the resumed epoch's report replaces this one.
            self.ended_inside_epoch = True
        self._save(last=True, best=is_best)
        self.on_event(
            EpochEnd(
                epoch=finished_epoch,
                step=progress.step,
                train_loss=train_loss,
                train_ppl=train_ppl,
                val_loss=val_loss,
                val_ppl=val_ppl,
                tokens_per_s=self.tokens_per_s,
                tokens=progress.tokens,
                elapsed=self.wall_seconds,
                sample=sample,
                is_best=is_best,
                checkpoint=self.state.last_checkpoint if self.out_dir is not None else None,
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
        progress = self.progress
        is_best = progress.note_evaluation(val_ppl)
        if is_best:
            self._save(last=False, best=True)
        self.on_event(
            EvalEnd(
                step=progress.step,
                epoch=progress.epoch,
                val_loss=val_loss,
                val_ppl=val_ppl,
                is_best=is_best,
                checkpoint=progress.best_checkpoint if is_best else None,
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
        config = self.config
        first_char = self.vocab.decode(self.corpus.train[:1].tolist())
        with self._averaged_weights():
            return epoch_sample(
                self.model,
                self.vocab,
                config.sample_prefix,
                config.sample_length,
                first_char=first_char,
                seed=config.seed + self.progress.epoch,
            )

    def _averaged_weights(self) -> contextlib.AbstractContextManager[None]:
        """The weight average in the model for evaluation and samples (with --ema)."""
        if self.state.average is None:
            return contextlib.nullcontext()
        return self.state.average.applied(self.model)

    # -- bookkeeping -------------------------------------------------------------------------

    @property
    def model(self) -> CharRNN:
        return self.state.model

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self.state.optimizer

    @property
    def progress(self) -> Progress:
        """The counters a checkpoint keeps (a fresh run's before prepare())."""
        return self.state.progress if self.state is not None else Progress()

    @property
    def wall_seconds(self) -> float:
        return self.state.wall_before + self._clock() - self._start_wall

    def _save(self, *, last: bool, best: bool) -> None:
        """last.pt and or best.pt into out_dir (nothing without one)."""
        if self.out_dir is not None:
            self.state.save(self.out_dir, self._facts, self.wall_seconds, last=last, best=best)

    @property
    def tokens_per_s(self) -> float:
        return self.progress.tokens_per_s

    def _progress(self) -> float:
        progress = self.progress.step / self.total_steps
        training_seconds = self.budget.training_seconds()
        if training_seconds is not None:
            progress = max(progress, self.wall_seconds / training_seconds)
        return progress

    def _out_of_time(self) -> bool:
        """A session always trains one step, so a budget too short for the final
        evaluation still yields a model."""
        first = self.progress.step == self.start_step and self.state.wall_before < (
            self.budget.seconds or 0
        )
        return not first and self.budget.spent(self.wall_seconds)

    def _emit_end(self, reason: EndReason, message: str) -> RunEnd:
        progress = self.progress  # prepare() may have failed
        end = RunEnd(
            reason=reason,
            message=message,
            step=progress.step,
            epoch=max(progress.epoch - 1 + self.ended_inside_epoch, 0),
            best_val_ppl=progress.best_val_ppl,
            final_train_ppl=progress.last_train_ppl,
            tokens_per_s=self.tokens_per_s if self._prepared else 0.0,
            elapsed=self.wall_seconds if hasattr(self, "_start_wall") else 0.0,
            checkpoint=self.state.last_checkpoint if self.state is not None else None,
            best_checkpoint=progress.best_checkpoint,
        )
        self.on_event(end)
        return end


def failure_line(exc: BaseException) -> str:
    """The one line a run's error end shows: a full disk in words, anything else by type."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" (writing {exc.filename})" if exc.filename else ""
        return f"disk full: {exc.strerror or 'no space left on device'}{where}"
    return f"{type(exc).__name__}: {exc}".splitlines()[0]
