"""Runs outlive the app: real child processes, started, attached to, stopped and killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from run_processes import (
    TINY_VALUES,
    Children,
    async_wait_until,
    first_run_of,
    pid_gone,
    status_of,
    steps_of,
    tracked_children,
    wait_until,
)
from textual.widgets import RichLog, Static

from rnn_tui.cli import build_parser, configs_from_args
from rnn_tui.config import PRESETS
from rnn_tui.runs.follow import RunFollower
from rnn_tui.runs.processes import log_tail, run_is_alive, run_log_path, stop_run, train_argv
from rnn_tui.store import RunStore
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.dialogs import ConfirmModal
from rnn_tui.ui.screens.train import TrainScreen
from rnn_tui.ui.widgets.config_form import build_configs, format_value


@pytest.fixture
def children() -> Iterator[Children]:
    yield from tracked_children()


# Runs that must still go when the test acts on them: the most epochs a config allows, hours
# on any machine (2,000 tiny epochs take seconds on a fast one). Each test stops or kills it.
LONG = "100000"


def log_text(app: RnnTuiApp) -> str:
    return "\n".join(strip.text for strip in app.screen.query_one("#log", RichLog).lines)


def status_line(app: RnnTuiApp) -> str:
    return str(app.screen.query_one("#status", Static).render())


def cli(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rnn_tui", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


# --------------------------------------------------------------------------- the command line


def test_the_child_gets_the_forms_configs() -> None:
    """The flags the TUI gives its child stand for exactly the runs the form shows."""
    from rnn_tui.config import FIELDS, TrainConfig, preset

    parser = build_parser()
    for name in PRESETS:
        values = {field: format_value(getattr(preset(name), field)) for field in FIELDS}
        values["hidden"] = "16,32"
        values["time_budget"] = ""  # an emptied optional field: no budget in both
        argv = train_argv(values, store_path="/tmp/x.sqlite3")
        assert argv[:4] == [sys.executable, "-m", "rnn_tui", "train"]
        args, extra = parser.parse_known_args(argv[3:])
        assert not extra and args.store == "/tmp/x.sqlite3" and args.log_to_run
        assert configs_from_args(args) == build_configs(values), name
        assert len(build_configs(values)) == 2
    assert TrainConfig().time_budget is None


# --------------------------------------------------------------------------- the TUI


async def test_leaving_the_app_leaves_the_run_going(
    isolated_dirs: Path, tiny_corpus: Path, children: Children
) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.form.set_values({**TINY_VALUES, "corpus": str(tiny_corpus), "epochs": LONG})
        await pilot.pause()
        await app.run_action("start_training")
        child = app.controller.launch
        assert child is not None
        children.add(child.pid)
        controller = app.controller
        await async_wait_until(
            lambda: controller.current is not None and controller.current.metrics.step,
            60,
            "the first step on screen",
            pilot,
        )
        run_id = controller.current.run_id
        await app.run_action("quit")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")  # the default answer: leave it running
    assert app.return_value == (
        f"run {run_id} goes on in the background; follow it with: rnn-tui runs watch {run_id}"
    )
    # The child was not stopped by the app's end: it trains on, and records what it does
    # until it is stopped from elsewhere. (A run short enough to end by itself ends before
    # the app has quit on a fast machine: what would end it is a condition, not a length.)
    assert not pid_gone(child.pid) and status_of(run_id) == "running"

    def epochs_recorded() -> int:
        with RunStore() as store:
            return len(store.epoch_metrics(run_id))

    at_exit = steps_of(run_id), epochs_recorded()
    wait_until(lambda: epochs_recorded() > at_exit[1], 60, "an epoch recorded after the app ended")
    with RunStore() as store:
        assert stop_run(store, run_id) == "stopping"
    wait_until(lambda: pid_gone(child.pid), 120, "the child to stop")
    with RunStore() as store:
        run = store.get_run(run_id)
        assert run.status == "stopped", run.message
        assert run.steps > at_exit[0] and Path(run.checkpoint).is_file()
        assert run.epochs == len(store.epoch_metrics(run_id)) > at_exit[1]
        assert (store.run_dir_path(run_id) / "train.log").is_file()


async def test_a_second_app_attaches_shows_the_whole_curve_and_stops_it(
    isolated_dirs: Path, tiny_corpus: Path, children: Children
) -> None:
    first = RnnTuiApp()
    async with first.run_test(size=(120, 40)) as pilot:
        first.screen.form.set_values({**TINY_VALUES, "corpus": str(tiny_corpus), "epochs": LONG})
        await pilot.pause()
        await first.run_action("start_training")
        children.add(first.controller.launch.pid)
        controller = first.controller
        await async_wait_until(
            lambda: controller.current is not None and controller.current.metrics.epochs,
            60,
            "the first epoch on screen",
            pilot,
        )
        run_id = controller.current.run_id
        await first.run_action("quit")
        await pilot.pause()
        await pilot.press("l")  # leave it running
    assert run_is_alive(RunStore(), run_id)

    second = RnnTuiApp()  # opens on the newest live run
    async with second.run_test(size=(120, 40)) as pilot:
        controller = second.controller
        await async_wait_until(
            lambda: controller.current is not None and controller.current.metrics.epochs,
            60,
            "the second app to attach",
            pilot,
        )
        assert controller.current.run_id == run_id and controller.running
        recorded = steps_of(run_id)
        screen = second.screen
        assert isinstance(screen, TrainScreen)
        attached_line = f"attached to run {run_id} (started "
        await async_wait_until(  # painted when the watcher posts
            lambda: (
                screen.chart.point_counts().get("train", 0) >= recorded > 0
                and status_line(second).startswith(attached_line)
                and "Epoch 1, Loss " in log_text(second)
            ),
            60,
            "the whole curve, from step 1, the status line and the log on screen",
            pilot,
        )
        assert controller.current.metrics.step[:3] == [1, 2, 3]
        assert status_line(second).startswith(attached_line)
        assert "Epoch 1, Loss " in log_text(second)

        await second.run_action("stop_training(True)")  # confirmed: it may be >10 s old
        await async_wait_until(
            lambda: controller.current.ended, 60, "the run to stop after x", pilot
        )
        run = controller.current.run
        assert run.status == "stopped"
        assert run.checkpoint and Path(run.checkpoint).is_file()
        # The screen paints what the watcher read within its repaint interval.
        await async_wait_until(
            lambda: "stopped at step" in log_text(second), 2, "the end in the log", pilot
        )


async def test_a_killed_child_shows_interrupted_with_its_log(
    isolated_dirs: Path, tiny_corpus: Path, children: Children
) -> None:
    child = children.start(tiny_corpus, epochs=LONG)
    run_id = first_run_of(child.pid)
    wait_until(lambda: steps_of(run_id) > 0, 60, "the first step in the store")
    app = RnnTuiApp(attach=run_id)
    async with app.run_test(size=(120, 40)) as pilot:
        controller = app.controller
        await async_wait_until(lambda: controller.current is not None, 60, "attach", pilot)
        os.kill(child.pid, signal.SIGKILL)
        await async_wait_until(
            lambda: controller.current.ended, 60, "interrupted on screen after SIGKILL", pilot
        )
        assert controller.current.status == "interrupted"
        await async_wait_until(
            lambda: "interrupted: process died" in log_text(app), 60, "the end in the log", pilot
        )
        with RunStore() as store:  # the last lines of its log file, under the end line
            tail = log_tail(run_log_path(store, run_id), 5)
        assert tail and tail[-1].startswith(("Epoch ", "run: rnn 1x16"))
        shown = [line.text for line in controller.log if line.text.startswith("  log: ")]
        assert shown == [f"  log: {line}" for line in tail]
        assert not controller.running
    assert status_of(run_id) == "interrupted"


async def test_a_child_that_cannot_start_says_why_beside_the_form(
    isolated_dirs: Path, tmp_path: Path, children: Children
) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.form.set_values(
            {**TINY_VALUES, "epochs": "1", "corpus": str(tmp_path / "missing.txt")}
        )
        await pilot.pause()
        await app.run_action("start_training")
        await async_wait_until(
            lambda: app.controller.error is not None, 60, "the start error", pilot
        )
        error = app.controller.error
        await async_wait_until(
            lambda: status_line(app) == error and error in log_text(app).replace("\n", ""),
            60,
            "the error in the status line and the log",
            pilot,
        )
        assert error.startswith("rnn-tui: error: corpus not found")  # as the CLI prints it
        assert status_line(app) == error
        assert error in log_text(app).replace("\n", "")  # the log wraps it
        assert app.controller.launch is None  # the check runs before any process starts
    with RunStore() as store:
        assert store.list_runs() == []  # no orphan run row


# --------------------------------------------------------------------------- the CLI side


def test_resume_is_refused_while_the_run_lives_and_runs_stop_stops_it(
    isolated_dirs: Path, tiny_corpus: Path, children: Children
) -> None:
    child = children.start(tiny_corpus, epochs=LONG)
    run_id = first_run_of(child.pid)
    wait_until(lambda: steps_of(run_id) > 0, 60, "the first step in the store")

    refused = cli("train", "--resume", str(run_id), "--epochs", "3000")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"rnn-tui: error: run {run_id} is still running (pid {child.pid}); stop it first "
        f"(rnn-tui runs stop {run_id}) or follow it (rnn-tui runs watch {run_id})"
    ]
    assert run_is_alive(RunStore(), run_id)

    stopped = cli("runs", "stop", str(run_id))
    assert stopped.returncode == 0, stopped.stderr
    assert f"run {run_id} is stopping" in stopped.stdout
    assert child.process.wait(timeout=60) == 1  # `rnn-tui train`'s code for stopped
    with RunStore() as store:
        run = store.get_run(run_id)
        assert run.status == "stopped" and Path(run.checkpoint).is_file()
        again = cli("runs", "stop", str(run_id))
        assert again.returncode == 2
        assert again.stderr.strip() == f"rnn-tui: error: run {run_id} is not running (it stopped)"


def test_stopping_a_run_whose_process_is_gone_marks_it_interrupted(
    isolated_dirs: Path, tiny_corpus: Path, children: Children
) -> None:
    child = children.start(tiny_corpus, epochs=LONG)
    run_id = first_run_of(child.pid)
    os.kill(child.pid, signal.SIGKILL)
    child.process.wait(timeout=30)
    with RunStore() as store:
        # Opening a store already marks a dead writer's run; make it look live again.
        store.update_run(run_id, status="running")
        assert stop_run(store, run_id) == "interrupted"
        assert store.get_run(run_id).status == "interrupted"


def test_runs_watch_follows_a_run_to_its_end(
    isolated_dirs: Path, tiny_corpus: Path, children: Children
) -> None:
    child = children.start(tiny_corpus, epochs="3")
    run_id = first_run_of(child.pid)
    watched = cli("runs", "watch", str(run_id))
    assert watched.returncode == 0, watched.stderr
    lines = watched.stdout.splitlines()
    assert lines[0].startswith(f"run {run_id} rnn-1x16-{run_id}: rnn 1x16, ")
    epochs = [line for line in lines if line.startswith("Epoch ")]
    assert [line.split(",")[0] for line in epochs] == ["Epoch 1", "Epoch 2", "Epoch 3"]
    assert lines[-3].startswith("finished ")
    assert lines[-2:] == [
        f"best checkpoint: {isolated_dirs / 'data/runs' / str(run_id) / 'best.pt'}",
        f"last checkpoint: {isolated_dirs / 'data/runs' / str(run_id) / 'last.pt'}",
    ]
    assert child.process.wait(timeout=60) == 0
    with RunStore() as store:
        follower = RunFollower(store, run_id)
        update = follower.poll()
        assert update.ended and len(update.epochs) == 3
        assert len(update.steps) == store.get_run(run_id).steps
        assert follower.poll().steps == []  # only what is new since the last poll


def test_runs_watch_of_an_unknown_run_is_one_line(isolated_dirs: Path) -> None:
    result = cli("runs", "watch", "99")
    assert result.returncode == 2
    assert result.stderr.strip() == "rnn-tui: error: no run with id 99"


def test_attach_to_an_unknown_run_is_one_line(isolated_dirs: Path) -> None:
    result = cli("--attach", "99")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "rnn-tui: error: no run with id 99\n"


def test_the_app_never_imports_torch_to_train() -> None:
    code = (
        "import sys; import rnn_tui.ui.app, rnn_tui.ui.training, rnn_tui.runs.processes, "
        "rnn_tui.runs.follow, rnn_tui.cli.watch; print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


async def test_the_runs_screen_stops_a_run_started_elsewhere(
    isolated_dirs: Path, tiny_corpus: Path, children: Children
) -> None:
    from rnn_tui.ui.screens.runs import RunsScreen

    child = children.start(tiny_corpus, epochs=LONG)
    run_id = first_run_of(child.pid)
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await async_wait_until(
            lambda: isinstance(app.screen, RunsScreen) and app.screen.table.highlighted_id,
            30,
            "the run in the table",
            pilot,
        )
        assert app.screen.table.highlighted_id == run_id
        await pilot.press("k")
        assert child.process.wait(timeout=60) == 1  # stopped cleanly
    with RunStore() as store:
        run = store.get_run(run_id)
        assert run.status == "stopped" and Path(run.checkpoint).is_file()
