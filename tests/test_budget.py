"""TimeBudget: what is kept back for the final evaluation, and when training stops."""

from __future__ import annotations

import pytest

from rnn_tui.training.budget import FINISH_MARGIN, UNMEASURED_MARGIN, TimeBudget


def test_reserve_uses_the_estimate_until_an_epoch_end_is_measured():
    budget = TimeBudget(10.0, estimated_evaluation=1.0)
    assert budget.reserve() == pytest.approx(FINISH_MARGIN * UNMEASURED_MARGIN)
    budget.note_step(0.5)
    assert budget.reserve() == pytest.approx(FINISH_MARGIN * UNMEASURED_MARGIN + 0.5)
    budget.note_finish(2.0)
    assert budget.reserve() == pytest.approx(FINISH_MARGIN * 2.0 + 0.5)
    assert budget.training_seconds() == pytest.approx(10.0 - budget.reserve())
    assert not budget.spent(10.0 - budget.reserve() - 0.01)
    assert budget.spent(10.0 - budget.reserve())


def test_step_time_is_a_moving_average_that_forgets_the_first_step():
    budget = TimeBudget(10.0)
    for seconds in (5.0, 0.2, 0.2, 0.2):
        budget.note_step(seconds)
    assert budget.step_seconds == pytest.approx(0.2)
    budget.note_step(1.2)
    assert budget.step_seconds == pytest.approx(0.3)


def test_an_interval_evaluation_raises_the_expected_finish():
    budget = TimeBudget(10.0)
    budget.note_evaluation(1.0)
    assert budget.finish_seconds == pytest.approx(1.5)
    budget.note_evaluation(0.5)
    assert budget.finish_seconds == pytest.approx(1.5)


def test_no_budget_is_never_spent():
    budget = TimeBudget(None)
    assert not budget.spent(1e9) and budget.training_seconds() is None
