"""What a search's worker reports to a trial: every epoch's validation and every evaluation
within an epoch (--eval-interval), with Optuna steps that only grow."""

from __future__ import annotations

import math
from types import SimpleNamespace

from cli_calls import call_cli
from test_search import leftovers, tiny, trials_of  # noqa: F401 - leftovers is a fixture

from rnn_tui.config import TrainConfig
from rnn_tui.runs.study import STEPS_PER_EPOCH
from rnn_tui.runs.worker import Reports
from rnn_tui.store import RunStore
from rnn_tui.training.events import EpochEnd, EvalEnd


def update(epochs_done: int, final: float | None, rows=(), ended: bool = False):
    run = SimpleNamespace(epochs=epochs_done, final_val_ppl=final)
    epochs = [{"epoch": e, "val_ppl": v} for e, v in rows]
    return SimpleNamespace(run=run, epochs=epochs, ended=ended)


def test_epochs_and_evaluations_within_them_report_at_growing_steps():
    reports = Reports()
    seen = [
        reports.new(update(0, None)),  # nothing evaluated yet
        reports.new(update(0, 9.0)),  # an evaluation within epoch 1
        reports.new(update(0, 9.0)),  # the same one, read again
        reports.new(update(0, 8.0)),  # the next one
        reports.new(update(1, 7.5, [(1, 7.5)])),  # epoch 1 ends: its row and the run's row
        reports.new(update(1, 7.0)),  # an evaluation within epoch 2
        # The run's row was read before epoch 2 ended; its value was an evaluation of epoch 2
        # that the rows read after it already passed: not reported behind epoch 2's end.
        reports.new(update(1, 6.9, [(2, 6.5)])),
        reports.new(update(2, 6.5)),
    ]
    flat = [item for found in seen for item in found]
    assert flat == [
        (1, 9.0, "in epoch 1"),
        (2, 8.0, "in epoch 1"),
        (STEPS_PER_EPOCH, 7.5, "at epoch 1"),
        (STEPS_PER_EPOCH + 1, 7.0, "in epoch 2"),
        (2 * STEPS_PER_EPOCH, 6.5, "at epoch 2"),
    ]
    steps = [step for step, _, _ in flat]
    assert steps == sorted(set(steps))  # Optuna's steps only grow


def test_a_run_without_validation_reports_nothing():
    reports = Reports()
    assert reports.new(update(1, None, [(1, None)])) == []
    assert reports.new(update(1, math.inf, [])) == []


def test_an_evaluation_within_an_epoch_shows_in_the_runs_row(tmp_path):
    with RunStore(tmp_path / "runs.sqlite3") as store:
        run_id = store.create_run(TrainConfig().to_dict())
        recorder = store.recorder(run_id, heartbeat=False)
        recorder(EvalEnd(step=40, epoch=1, val_loss=2.3, val_ppl=9.9, is_best=True,
                         checkpoint=None, elapsed=1.0))  # fmt: skip
        first = store.get_run(run_id)
        recorder(EvalEnd(step=80, epoch=1, val_loss=2.4, val_ppl=11.0, is_best=False,
                         checkpoint=None, elapsed=2.0))  # fmt: skip
        second = store.get_run(run_id)
        recorder(EpochEnd(1, 100, 2.0, 7.4, 2.2, 9.0, 1000.0, 3200, 3.0, "", True, None))
        recorder.flush()
        third = store.get_run(run_id)
    assert (first.final_val_ppl, first.best_val_ppl) == (9.9, 9.9)
    assert (second.final_val_ppl, second.best_val_ppl) == (11.0, 9.9)  # the last; the best
    assert (third.final_val_ppl, third.best_val_ppl, third.epochs) == (9.0, 9.0, 1)


def test_a_trial_is_told_its_evaluations_within_an_epoch(tmp_path, tiny_corpus, leftovers):  # noqa: F811
    # One epoch far longer than the run: 5 s of training, evaluated every second.
    args = [*tiny(tiny_corpus), "--epoch-steps", "10000000", "--time-budget", "5"]
    args += ["--eval-interval", "1", "--hidden", "8..16", "--trials", "1", "--sweep", "e"]
    done = call_cli([*args, "--sampler", "random"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (trial,) = trials_of("e")
    with RunStore() as store:
        (run,) = store.list_runs()
        (epoch,) = store.epoch_metrics(run.id)
    steps = sorted(trial.intermediate_values)
    within = [s for s in steps if s < STEPS_PER_EPOCH]
    assert within == list(range(1, len(within) + 1)), steps
    assert len(within) >= 2, f"evaluations within the epoch reported: {steps}"
    assert steps[-1] == STEPS_PER_EPOCH  # the epoch's end, last
    assert trial.intermediate_values[STEPS_PER_EPOCH] == epoch["val_ppl"]
    assert trial.value == run.best_val_ppl == min(trial.intermediate_values.values())
