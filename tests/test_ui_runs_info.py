"""The Runs screen's queue line says whether this app started the run it shows or follows
one started elsewhere (the command line, a worker)."""

from __future__ import annotations

from types import SimpleNamespace

from rnn_tui.ui.screens.runs_info import queue_line


def controller(launch: object | None, total: int = 1, index: int = 0) -> SimpleNamespace:
    return SimpleNamespace(
        running=True,
        queue_total=total,
        queue_index=index,
        current=SimpleNamespace(run_id=7),
        launch=launch,
    )


def test_a_run_started_here_is_training_one_attached_to_is_following() -> None:
    assert queue_line(controller(launch=object())) == "training (#7)"  # type: ignore[arg-type]
    assert queue_line(controller(launch=None)) == "following (#7)"  # type: ignore[arg-type]


def test_a_sweep_started_here_counts_its_runs_and_nothing_running_says_nothing() -> None:
    line = queue_line(controller(launch=object(), total=3, index=1))  # type: ignore[arg-type]
    assert line == "sweep run 2/3 (#7)"
    idle = SimpleNamespace(running=False)
    assert queue_line(idle) == ""  # type: ignore[arg-type]
