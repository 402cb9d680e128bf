"""A search's run on the Runs screen: `u` shows its study on the Sweeps screen (the one view
of a study), whose `o` overlays the trials' curves in Runs; a comma-list sweep's `u` opens
the sweep summary (test_ui_runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.distributions import IntDistribution
from optuna.trial import TrialState, create_trial
from run_processes import async_wait_until
from test_ui_runs import T0, db_path, fake_run, open_runs

from rnn_tui.runs.space import parse_space
from rnn_tui.runs.study import HOST_ATTR, RUN_ATTR, StudySpec, create_study, storage_for
from rnn_tui.store import RunStore
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.sweeps import SweepsScreen


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RNN_TUI_DATA_DIR", str(tmp_path / "data"))


def study_of_three(tmp_path: Path) -> int:
    """Study `st`: three finished trials (hidden 16, 32, 64) whose runs are in the store."""
    with RunStore(db_path(tmp_path)) as store:
        sweep_id = store.create_sweep("st", [])
        space = parse_space({"hidden": "8..64"}, "tpe")
        study = create_study(
            "st", StudySpec(space.to_dict(), "tpe", "median", 3), storage_for(store), sweep_id
        )
        for number, (hidden, val) in enumerate(
            [(16, [14.0, 12.0]), (32, [11.0, 9.5]), (64, [13.0, 12.5])]
        ):
            run_id = fake_run(
                store, {"cell": "gru", "hidden": hidden}, f"st #{number}", steps=10, val=val,
                created=T0 + number, sweep=(sweep_id, number),
            )  # fmt: skip
            study.add_trial(
                create_trial(
                    state=TrialState.COMPLETE, value=val[-1] if number != 1 else 9.5,
                    params={"hidden": hidden}, distributions={"hidden": IntDistribution(8, 64)},
                    user_attrs={RUN_ATTR: run_id, HOST_ATTR: f"host{number}"},
                )
            )  # fmt: skip
    return sweep_id


async def test_o_overlays_the_trials_curves_in_the_runs_chart(tmp_path: Path) -> None:
    sweep_id = study_of_three(tmp_path)
    async with RnnTuiApp().run_test(size=(140, 40)) as pilot:
        runs = await open_runs(pilot)
        await pilot.press("u")  # a search's run: the Sweeps screen on its study
        await async_wait_until(
            lambda: isinstance(pilot.app.screen, SweepsScreen)
            and pilot.app.screen.snapshot is not None
            and pilot.app.screen.snapshot.view is not None,
            10, "the study on the Sweeps screen", pilot,
        )  # fmt: skip
        await pilot.press("o")
        assert pilot.app.screen is runs
        with RunStore(db_path(tmp_path)) as store:
            trial_ids = sorted(run.id for run in store.sweep_runs(sweep_id))
        assert sorted(runs.table.marked) == sorted(runs.chart_ids()) == trial_ids
        await async_wait_until(
            lambda: all(run_id in runs.curves for run_id in trial_ids), 10, "the curves", pilot
        )
