"""Trainer: seeded losses, events, exact resume, stop, divergence, time budget."""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import pytest
import torch

from rnn_tui.checkpoints.files import load_checkpoint, load_model
from rnn_tui.config import TrainConfig
from rnn_tui.model.charrnn import CharRNN
from rnn_tui.training.averaging import WeightAverage
from rnn_tui.training.events import EpochEnd, EvalEnd, RunEnd, RunStart, StepEnd
from rnn_tui.training.hardware import bf16_supported
from rnn_tui.training.optimizers import make_optimizer
from rnn_tui.training.state import Resume, TrainState
from rnn_tui.training.trainer import Trainer, lr_factor, perplexity


def tiny_config(corpus: Path, **changes) -> TrainConfig:
    base = TrainConfig(
        corpus=str(corpus),
        cell="gru",
        hidden=16,
        layers=1,
        batch_size=8,
        num_steps=16,
        epochs=2,
        lr=1e-2,
        sample_length=10,
        seed=3,
    )
    return base.replace(**changes)


class Collector(list):
    def __call__(self, event):
        self.append(event)

    def of(self, kind):
        return [e for e in self if isinstance(e, kind)]


def run(config: TrainConfig, out_dir: Path | None = None, **kwargs) -> Collector:
    events = Collector()
    Trainer(config, on_event=events, out_dir=out_dir, **kwargs).run()
    return events


def test_seeded_losses_start_near_uniform_and_fall(tiny_corpus):
    events = run(tiny_config(tiny_corpus, cell="rnn", batching="random", epochs=1))
    losses = [e.loss for e in events.of(StepEnd)]
    assert len(losses) == 14
    # Uniform guessing over the 28-character vocabulary costs ln 28 = 3.33 nats; an
    # untrained model's first loss is near it, and training brings the loss well below.
    assert abs(losses[0] - math.log(28)) < 0.2
    assert sum(losses[-3:]) / 3 < losses[0] - 0.3


def test_same_seed_same_losses_other_seed_different(tiny_corpus):
    first = [e.loss for e in run(tiny_config(tiny_corpus)).of(StepEnd)]
    again = [e.loss for e in run(tiny_config(tiny_corpus)).of(StepEnd)]
    other = [e.loss for e in run(tiny_config(tiny_corpus, seed=4)).of(StepEnd)]
    assert first == again
    assert first != other


def test_event_sequence_and_fields(tiny_corpus, tmp_path):
    events = run(tiny_config(tiny_corpus), out_dir=tmp_path / "out")
    start, *_ = events.of(RunStart)
    steps, epochs, (end,) = events.of(StepEnd), events.of(EpochEnd), events.of(RunEnd)
    assert isinstance(events[0], RunStart) and events[-1] is end
    assert start.vocab_size == 28 and start.steps_per_epoch == 14 and start.total_steps == 28
    assert (start.train_tokens, start.val_tokens) == (1894, 211)
    assert [s.step for s in steps] == list(range(1, 29))
    assert [e.epoch for e in epochs] == [1, 2]
    assert end.reason == "finished" and end.step == 28 and end.epoch == 2
    for event in steps:
        assert event.ppl == pytest.approx(math.exp(event.loss))
        assert event.tokens == event.step * 128
        assert event.tokens_per_s > 0
    epoch = epochs[0]
    assert epoch.train_loss == pytest.approx(sum(s.loss for s in steps[:14]) / 14)
    assert epoch.val_ppl is not None and epoch.val_ppl == pytest.approx(math.exp(epoch.val_loss))
    assert epoch.sample.startswith("the time traveller") and len(epoch.sample) == 18 + 10
    assert end.best_val_ppl == min(e.val_ppl for e in epochs)
    assert Path(end.checkpoint).name == "last.pt" and Path(end.best_checkpoint).is_file()


def test_no_validation_when_fraction_is_zero(tiny_corpus):
    events = run(tiny_config(tiny_corpus, val_fraction=0.0, epochs=1))
    (epoch,) = events.of(EpochEnd)
    assert epoch.val_ppl is None and epoch.val_loss is None
    assert epoch.is_best


@pytest.mark.parametrize("batching", ["sequential", "random"])
@pytest.mark.parametrize("stop_at", [7, 14, 20])
def test_resume_continues_exactly(tiny_corpus, tmp_path, batching, stop_at):
    config = tiny_config(tiny_corpus, batching=batching, dropout=0.2, layers=2, cell="lstm")
    full = [e.loss for e in run(config).of(StepEnd)]

    out = tmp_path / f"run-{batching}-{stop_at}"
    first = Collector()
    trainer = Trainer(config, on_event=first, out_dir=out)

    def stop_after(event):
        first(event)
        if isinstance(event, StepEnd) and event.step == stop_at:
            trainer.stop()

    trainer.on_event = stop_after
    end = trainer.run()
    assert end.reason == "stopped" and end.step == stop_at
    resumed = run(config, out_dir=out, resume=out / "last.pt")
    losses = [e.loss for e in first.of(StepEnd)] + [e.loss for e in resumed.of(StepEnd)]
    assert losses == full
    assert resumed.of(RunStart)[0].start_step == stop_at
    assert resumed.of(RunEnd)[0].step == 28


def test_stop_saves_a_checkpoint_with_progress(tiny_corpus, tmp_path):
    trainer = Trainer(tiny_config(tiny_corpus), out_dir=tmp_path)
    trainer.on_event = lambda e: trainer.stop() if isinstance(e, StepEnd) and e.step == 3 else None
    end = trainer.run()
    assert end.reason == "stopped" and end.message == "stopped at step 3"
    payload = load_checkpoint(end.checkpoint)
    assert payload["progress"]["step"] == 3 and payload["progress"]["batch_in_epoch"] == 3


def test_divergence_stops_with_advice_and_finite_events(tiny_corpus, tmp_path):
    config = tiny_config(tiny_corpus, optimizer="sgd", lr=90.0, clip=0.0, epochs=5)
    events = run(config, out_dir=tmp_path)
    (end,) = events.of(RunEnd)
    assert end.reason == "diverged"
    assert "lower the learning rate (now 90)" in end.message
    assert "turn on gradient clipping (--clip 1)" in end.message
    for event in events.of(StepEnd):
        assert math.isfinite(event.loss) and math.isfinite(event.ppl)


def test_perplexity_is_capped_not_infinite():
    assert perplexity(1e6) == math.exp(700)
    assert perplexity(0.0) == 1.0


def test_time_budget_ends_the_run_as_finished(tiny_corpus):
    # On the simulated clock (defined below) the budget is spent after the same steps on any
    # machine; the real clock's part is test_time_budget_holds_on_real_time_too.
    events = run(
        tiny_config(tiny_corpus, epochs=100_000, time_budget=1.0), clock=SimulatedClock(0.005)
    )
    (end,) = events.of(RunEnd)
    assert end.reason == "finished" and "time budget of 1 s reached" in end.message
    # 100,000 epochs would take hours: the budget ended it, within it on this clock.
    assert end.epoch < 100_000 and end.elapsed <= 1.0 * 1.05
    assert events.of(EpochEnd)[-1].val_ppl is not None  # the last, partial epoch is evaluated


class SimulatedClock:
    """Seconds that advance by `tick` at every reading, plus whatever a test adds:
    the trainer's timing decisions become exact and independent of the machine's load."""

    def __init__(self, tick: float):
        self.now = 0.0
        self.tick = tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def test_time_budget_counts_the_final_evaluation_in(tiny_corpus, monkeypatch):
    """An evaluation that costs 0.5 s is reserved for: the run, its final evaluation and
    checkpoint included, ends within the budget plus 5%, not a whole evaluation later."""
    clock = SimulatedClock(tick=0.005)
    original = Trainer.evaluate

    def slow_evaluate(self):
        clock.now += 0.5
        return original(self)

    monkeypatch.setattr(Trainer, "evaluate", slow_evaluate)
    budget = 4.0
    config = tiny_config(
        tiny_corpus, epochs=1, epoch_steps=10**7, time_budget=budget, eval_interval=1.0
    )
    trainer = Trainer(config, on_event=(events := Collector()), clock=clock)
    end = trainer.run()
    assert end.reason == "finished"
    assert events.of(EvalEnd), "the interval evaluation measures what an evaluation costs"
    assert budget * 0.75 <= end.elapsed <= budget * 1.05, f"{end.elapsed:.2f} s"
    assert end.elapsed == pytest.approx(trainer.wall_seconds, abs=0.01)


def test_time_budget_holds_on_real_time_too(tiny_corpus):
    budget = 2.0
    trainer = Trainer(tiny_config(tiny_corpus, epochs=100_000, time_budget=budget))
    trainer.prepare()
    began = time.perf_counter()
    trainer.run()
    assert time.perf_counter() - began <= budget + 10.0  # a loaded machine's slow last step


def test_time_schedule_warms_up_and_reaches_its_floor_when_the_budget_ends(tiny_corpus):
    config = tiny_config(
        tiny_corpus,
        epochs=100_000,
        time_budget=2.0,
        schedule="cosine",
        warmup=0.2,
        lr_floor=0.05,
        val_fraction=0.0,
    )
    events = Collector()
    Trainer(config, on_event=events, clock=SimulatedClock(tick=0.002)).run()
    lrs = [e.lr for e in events.of(StepEnd)]
    peak = lrs.index(max(lrs))
    assert lrs[0] < 0.1 * 1e-2 and max(lrs) > 0.99 * 1e-2
    assert lrs[:peak] == sorted(lrs[:peak]) and lrs[peak:] == sorted(lrs[peak:], reverse=True)
    assert 1e-2 * 0.05 <= lrs[-1] <= 1e-2 * (0.05 + 0.01), "the last step runs at the floor"


def test_epoch_steps_make_the_notebooks_one_batch_epochs(tiny_corpus):
    events = run(tiny_config(tiny_corpus, epochs=5, epoch_steps=1, batching="random"))
    assert [e.step for e in events.of(EpochEnd)] == [1, 2, 3, 4, 5]


def test_epoch_steps_longer_than_a_pass(tiny_corpus):
    events = run(tiny_config(tiny_corpus, epochs=1, epoch_steps=25))
    assert len(events.of(StepEnd)) == 25


def test_steps_override_epochs(tiny_corpus):
    events = run(tiny_config(tiny_corpus, epochs=50, steps=17))
    assert events.of(RunEnd)[0].step == 17
    assert [e.step for e in events.of(EpochEnd)] == [14, 17]


def test_bad_corpus_is_an_error_end_not_a_crash(tmp_path):
    events = run(tiny_config(tmp_path / "missing.txt"))
    (end,) = events.of(RunEnd)
    assert end.reason == "error" and end.message == f"corpus not found: {tmp_path / 'missing.txt'}"


def test_too_short_corpus_message(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("abc " * 20)
    end = run(tiny_config(path, batch_size=32, num_steps=35)).of(RunEnd)[0]
    assert end.reason == "error"
    assert "corpus too short: 79 characters after preprocessing" in end.message
    assert "needs at least 1,246" in end.message and end.message.endswith("(short.txt)") is False


def test_cuda_requested_without_cuda(tiny_corpus, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # also on a CUDA machine
    end = run(tiny_config(tiny_corpus, device="cuda")).of(RunEnd)[0]
    assert end.reason == "error" and "CUDA is not available" in end.message


@pytest.mark.parametrize(
    ("schedule", "progress", "factor"),
    [
        ("constant", 0.7, 1.0),
        ("cosine", 0.0, 1.0),
        ("cosine", 0.5, 0.5),
        ("cosine", 1.0, 0.0),
        ("step", 0.1, 1.0),
        ("step", 0.3, 0.5),
        ("step", 0.99, 0.125),
    ],
)
def test_schedules(schedule, progress, factor):
    assert lr_factor(schedule, progress) == pytest.approx(factor, abs=1e-12)


def test_cosine_schedule_reaches_the_optimizer(tiny_corpus):
    events = run(tiny_config(tiny_corpus, schedule="cosine", epochs=1))
    lrs = [e.lr for e in events.of(StepEnd)]
    assert lrs[0] == pytest.approx(1e-2) and lrs == sorted(lrs, reverse=True)
    assert lrs[-1] == pytest.approx(1e-2 * lr_factor("cosine", 13 / 14))


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_bf16_training_learns_and_reports_fp32_validation(tiny_corpus, cell):
    """Where the CPU has bf16 instructions bf16 trains; elsewhere asking for it is one
    clear error, not a oneDNN failure midway (both branches assert)."""
    events = run(tiny_config(tiny_corpus, cell=cell, precision="bf16"))
    (end,) = events.of(RunEnd)
    if not bf16_supported(torch.device("cpu")):
        assert end.reason == "error" and end.step == 0
        assert end.message == (
            "precision: bf16 is not supported here (this CPU has no bf16 instructions); "
            "use fp32 or auto"
        )
        return
    epochs = events.of(EpochEnd)
    assert end.reason == "finished"
    assert epochs[-1].train_loss < epochs[0].train_loss < math.log(28) + 0.1


@pytest.mark.parametrize("has_bf16", [True, False])
def test_auto_precision_follows_the_hardware(tiny_corpus, monkeypatch, has_bf16):
    monkeypatch.setattr("rnn_tui.training.hardware.cpu_has_bf16", lambda: has_bf16)
    trainer = Trainer(tiny_config(tiny_corpus, precision="auto", device="cpu"))
    trainer.prepare()
    assert trainer.config.precision == ("bf16" if has_bf16 else "fp32")


def test_weight_decay_reaches_the_optimizer(tiny_corpus):
    def decay(**changes):
        trainer = Trainer(tiny_config(tiny_corpus, **changes))
        trainer.prepare()
        return trainer.optimizer.param_groups[0]["weight_decay"]

    assert decay(optimizer="adamw") == 0.01
    assert decay(optimizer="adamw", weight_decay=0.05) == 0.05
    assert decay(optimizer="adam") == 0.0
    assert decay(optimizer="sgd", weight_decay=1e-4) == 1e-4


@pytest.mark.parametrize(
    "changes",
    [
        dict(input_dropout=0.2, dropout_mask="locked"),
        dict(weight_dropout=0.3),
        dict(weight_dropout=0.3, dropout=0.2, dropout_mask="locked", input_dropout=0.1),
    ],
)
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_recurrent_regularizers_train_and_resume_exactly(tiny_corpus, tmp_path, cell, changes):
    config = tiny_config(tiny_corpus, cell=cell, layers=2, epochs=1, **changes)
    full = [e.loss for e in run(config).of(StepEnd)]
    assert full == [e.loss for e in run(config).of(StepEnd)]
    plain = [
        e.loss for e in run(tiny_config(tiny_corpus, cell=cell, layers=2, epochs=1)).of(StepEnd)
    ]
    assert full != plain  # the regularizer is really applied
    trainer = Trainer(config, out_dir=tmp_path, on_event=(first := Collector()))
    trainer.on_event = lambda e: (
        (first(e), e.step == 5 and trainer.stop()) if isinstance(e, StepEnd) else None
    )
    trainer.run()
    resumed = run(config, out_dir=tmp_path, resume=tmp_path / "last.pt")
    assert [e.loss for e in first.of(StepEnd)] + [e.loss for e in resumed.of(StepEnd)] == full


def test_weight_average_evaluates_and_saves_the_average_and_resumes_exactly(tiny_corpus, tmp_path):
    config = tiny_config(tiny_corpus, ema=0.9, epochs=2)
    straight = run(config, out_dir=tmp_path / "straight")
    raw = run(config.replace(ema=0.0))
    straight_losses = [e.loss for e in straight.of(StepEnd)]
    assert straight_losses == [e.loss for e in raw.of(StepEnd)]  # training is untouched
    assert straight.of(EpochEnd)[-1].val_loss != raw.of(EpochEnd)[-1].val_loss  # eval is not

    payload = load_checkpoint(tmp_path / "straight" / "last.pt")
    assert payload["average_updates"] == 28
    averaged, trained = payload["model"], payload["train_model"]
    assert averaged.keys() == trained.keys()
    assert any(not torch.equal(averaged[k], trained[k]) for k in averaged)
    loaded = load_model(tmp_path / "straight" / "last.pt").model  # sampling loads the average
    assert torch.equal(loaded.head.weight, averaged["head.weight"])

    out = tmp_path / "stopped"
    trainer = Trainer(config, out_dir=out, on_event=(first := Collector()))
    trainer.on_event = lambda e: (
        (first(e), e.step == 9 and trainer.stop()) if isinstance(e, StepEnd) else None
    )
    trainer.run()
    resumed = run(config, out_dir=out, resume=out / "last.pt")
    losses = [e.loss for e in first.of(StepEnd)] + [e.loss for e in resumed.of(StepEnd)]
    assert losses == straight_losses
    assert [e.val_loss for e in resumed.of(EpochEnd)] == [e.val_loss for e in straight.of(EpochEnd)]


def test_interval_evaluation_finds_a_best_checkpoint_within_an_epoch(tiny_corpus, tmp_path):
    """The interval is read on the trainer's clock: a simulated one makes the 400 steps take
    seconds on any machine (a fast one trains them in well under the 1 s interval)."""
    config = tiny_config(tiny_corpus, epochs=1, epoch_steps=100_000, steps=400, eval_interval=1.0)
    events = run(config, out_dir=tmp_path, clock=SimulatedClock(tick=0.005))
    evals, (epoch,), (end,) = events.of(EvalEnd), events.of(EpochEnd), events.of(RunEnd)
    assert len(evals) >= 2, "evaluations within the one long epoch"
    assert all(0 < e.step < 400 and e.epoch == 1 for e in evals)
    gaps = [b.elapsed - a.elapsed for a, b in itertools.pairwise(evals)]
    assert min(gaps) >= config.eval_interval, f"one evaluation per interval: {gaps}"
    best = min([e.val_ppl for e in evals] + [epoch.val_ppl])
    assert end.best_val_ppl == best
    saved = load_checkpoint(tmp_path / "best.pt")
    first_best = next(e for e in evals if e.is_best)
    assert first_best.checkpoint == str(tmp_path / "best.pt")
    assert saved["progress"]["best_val_ppl"] == best


def same(a, b) -> bool:
    """Equal, tensors by value, through dicts, lists and tuples."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    return a == b


def test_train_state_round_trips_through_its_payload(tiny_corpus):
    """The trainer's whole mutable state is its TrainState: restored from its payload into a
    fresh model and optimizer, it gives the same payload back (weights, average, optimizer,
    counters, recurrent state, RNG)."""
    config = tiny_config(tiny_corpus, cell="lstm", ema=0.9, batching="sequential")
    trainer = Trainer(config)
    trainer.on_event = lambda e: trainer.stop() if isinstance(e, StepEnd) and e.step == 5 else None
    trainer.run()
    payload = trainer.state.to_payload(wall_seconds=12.5)
    assert payload["progress"]["step"] == 5 and payload["average_updates"] == 5
    assert isinstance(payload["state"], list)  # the LSTM's (h, c), carried to the next batch

    model = CharRNN.from_config(trainer.config, len(trainer.vocab))
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, 0.0)
    fresh = TrainState(model, optimizer, torch.device("cpu"), WeightAverage(model, config.ema))
    assert not same(fresh.to_payload(12.5)["model"], payload["model"])
    fresh.restore(Resume(Path("last.pt"), payload))
    assert same(fresh.to_payload(wall_seconds=12.5), payload)
    assert fresh.wall_before == 12.5 and fresh.last_checkpoint == "last.pt"
