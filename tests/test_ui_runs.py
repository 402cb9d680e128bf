"""Runs screen (F5): table, filter, sort, overlaid curves, actions, live runs, sweeps, errors.

Runs are written through RunStore.create_run and its recorder with fake events, so no
torch is needed except for the resume test, which trains a tiny model on a tiny text.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.widgets import DataTable, Input, RichLog
from ui_helpers import wait_until

from rnn_tui.config import TrainConfig
from rnn_tui.store import RunStore
from rnn_tui.training.events import EpochEnd, RunEnd, StepEnd
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.live_messages import LiveSnapshot, QueueUpdated
from rnn_tui.ui.screens import runs as runs_module
from rnn_tui.ui.screens.dialogs import ConfirmModal, TextPrompt
from rnn_tui.ui.screens.runs import RunsScreen
from rnn_tui.ui.screens.sweep_summary import BEST_MARK, SweepSummaryScreen, show_sweep_summary

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RNN_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RNN_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(runs_module, "REFRESH_S", 0.2)
    yield
    monkeypatch.undo()
    time.tzset()


def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "runs.sqlite3"


def fake_run(
    store: RunStore,
    config: dict[str, Any],
    name: str,
    *,
    steps: int,
    val: list[float],
    status: str = "finished",
    created: float = T0,
    tags: list[str] | None = None,
    sweep: tuple[int, int] | None = None,
) -> int:
    """A run with `steps` steps and one epoch (with these val ppls) every steps/len(val)."""
    sweep_id, sweep_index = sweep or (None, None)
    run_id = store.create_run(config, name=name, sweep_id=sweep_id, sweep_index=sweep_index)
    rec = store.recorder(run_id)
    per_epoch = steps // len(val)
    for step in range(1, steps + 1):
        epoch = (step - 1) // per_epoch + 1
        rec(StepEnd(step, epoch, 3.0, 40.0 - step, 0.1, 1000.0, step * 64, step * 0.5))
        if step % per_epoch == 0:
            v = val[epoch - 1]
            rec(
                EpochEnd(
                    epoch,
                    step,
                    3.0,
                    v + 2,
                    3.0,
                    v,
                    1000.0,
                    step * 64,
                    step * 0.5,
                    "",
                    v == min(val[:epoch]),
                    None,
                )
            )
    rec(
        RunEnd(
            status, "done", steps, len(val), min(val), val[-1] + 2, 1000.0, steps * 0.5, None, None
        )
    )
    with store._write() as conn:  # fixed start times: the dates in the table never change
        conn.execute("UPDATE runs SET created = ? WHERE id = ?", (created, run_id))
    if tags:
        store.set_tags(run_id, tags)
    return run_id


def three_runs(tmp_path: Path) -> tuple[int, int, int]:
    with RunStore(db_path(tmp_path)) as store:
        a = fake_run(
            store,
            {"cell": "rnn", "layers": 1, "hidden": 32, "batch_size": 32, "lr": 1.0},
            "alpha",
            steps=20,
            val=[20.0, 15.0],
            created=T0,
        )
        b = fake_run(
            store,
            {"cell": "gru", "layers": 2, "hidden": 64, "batch_size": 16, "lr": 0.5},
            "beta",
            steps=30,
            val=[12.0, 10.0, 11.0],
            status="stopped",
            created=T0 + 3600,
        )
        c = fake_run(
            store,
            {"cell": "lstm", "layers": 1, "hidden": 128, "batch_size": 64, "lr": 2.0},
            "gamma",
            steps=10,
            val=[30.0],
            created=T0 + 7200,
            tags=["baseline"],
        )
    return a, b, c


async def fresh(pilot, screen: RunsScreen) -> None:
    """Wait until a read of the store started now has been applied (after every write the
    screen's workers were doing)."""
    await pilot.app.workers.wait_for_complete()
    await wait_until(pilot, lambda: not screen._loading, "the read in progress ends")
    before = screen.loads
    screen.request_load()
    await wait_until(
        pilot, lambda: screen.loads > before and not screen._loading, "a new read is applied"
    )


async def open_runs(pilot) -> RunsScreen:
    await pilot.press("f5")
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    await fresh(pilot, screen)
    return screen


def row_texts(screen: RunsScreen) -> list[dict[str, str]]:
    table = screen.table
    out = []
    for row_key in table.rows:
        cells = table.get_row(row_key)
        keys = [column.key.value for column in table.ordered_columns]
        out.append({k: str(v).strip() for k, v in zip(keys, cells, strict=True)})
    return out


def names(screen: RunsScreen) -> list[str]:
    return [row["name"] for row in row_texts(screen)]


# --------------------------------------------------------------------------- table


async def test_table_lists_runs_filters_and_sorts(tmp_path: Path) -> None:
    three_runs(tmp_path)
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        screen = await open_runs(pilot)
        rows = row_texts(screen)
        assert [r["name"] for r in rows] == ["gamma", "beta", "alpha"]  # newest first
        assert rows[1] == {
            "mark": "",
            "id": "2",
            "name": "beta",
            "status": "stopped",
            "cell": "gru",
            "layers": "2",
            "hidden": "64",
            "batch": "16",
            "lr": "0.5",
            "best": "10.00",
            "steps": "30",
            "tok_s": "1,000",
            "date": "11-14 23:13",
        }
        assert rows[0]["best"] == "30.00" and rows[2]["best"] == "15.00"
        assert rows[2]["date"] == "11-14 22:13"

        # Filter: `/` focuses it; words match name, tags, status, cell, corpus.
        await pilot.press("slash")
        assert isinstance(screen.focused, Input)
        await pilot.press(*"gru")
        await fresh(pilot, screen)
        assert names(screen) == ["beta"]
        filt = screen.query_one("#runs-filter", Input)
        filt.value = "baseline"
        await fresh(pilot, screen)
        assert names(screen) == ["gamma"]
        filt.value = ""
        await pilot.press("escape")
        assert isinstance(screen.focused, DataTable)
        await fresh(pilot, screen)
        assert len(names(screen)) == 3

        # `o` then a column's key sorts by it (best val: `v`), ascending; `O` reverses.
        await pilot.press("o", "v")
        await pilot.pause()
        assert screen.table.sort_column == "best"
        assert names(screen) == ["beta", "alpha", "gamma"]
        await pilot.press("O")
        assert names(screen) == ["gamma", "alpha", "beta"]
        assert "best val ▼" in str(screen.query_one("#runs-info").render())
        # The order holds across refreshes, and so does the cursor's run.
        await pilot.press("down")
        assert screen.table.highlighted_run.name == "alpha"
        await fresh(pilot, screen)
        assert names(screen) == ["gamma", "alpha", "beta"]
        assert screen.table.highlighted_run.name == "alpha"

        # Clicking a header sorts by it; clicking it again reverses.
        table = screen.table
        x = sum(
            table.columns[key].get_render_width(table)
            for key in table.columns
            if list(table.columns).index(key) < list(table.columns).index("hidden")
        )
        await pilot.click("#runs-table", offset=(x + 2, 0))
        assert table.sort_column == "hidden"
        assert names(screen) == ["alpha", "beta", "gamma"]
        await pilot.click("#runs-table", offset=(x + 2, 0))
        assert names(screen) == ["gamma", "beta", "alpha"]


# --------------------------------------------------------------------------- chart


async def test_marked_runs_overlay_in_the_chart(tmp_path: Path) -> None:
    three_runs(tmp_path)
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        screen = await open_runs(pilot)
        chart = screen.chart
        # Nothing marked: the highlighted run.
        assert chart.point_counts() == {"#3 gamma": 1}
        await pilot.press("down")  # beta
        await fresh(pilot, screen)
        assert chart.point_counts() == {"#2 beta": 3}

        await pilot.press("space", "down", "space")  # beta and alpha
        await fresh(pilot, screen)
        assert row_texts(screen)[1]["mark"] == "●" and row_texts(screen)[2]["mark"] == "●"
        assert chart.point_counts() == {"#1 alpha": 2, "#2 beta": 3}
        assert [label for label, _, _ in chart.series] == ["#1 alpha", "#2 beta"]
        series = {label: (list(xs), list(ys)) for label, xs, ys in chart.series}
        assert series["#2 beta"] == ([10, 20, 30], [12.0, 10.0, 11.0])
        # Each run keeps one colour for both its curves.
        assert chart.colour_for("#1 alpha") != chart.colour_for("#2 beta")
        colours = {label: chart.colour_for(label) for label in chart.point_counts()}

        await pilot.press("a")  # epoch
        assert chart.x_label == "epoch"
        assert list(chart.series[1][1]) == [1, 2, 3]
        await pilot.press("a")  # tokens
        assert chart.x_label == "training tokens"
        assert list(chart.series[1][1]) == [640, 1280, 1920]
        await pilot.press("a")  # time
        assert list(chart.series[1][1]) == [5.0, 10.0, 15.0]
        await pilot.press("a")
        assert chart.x_label == "step"

        await pilot.press("t")  # training perplexity of every step
        assert chart.point_counts() == {
            "#1 alpha": 2,
            "#1 alpha train": 20,
            "#2 beta": 3,
            "#2 beta train": 30,
        }
        assert chart.colour_for("#2 beta train") == colours["#2 beta"]
        await pilot.press("a")  # epoch: steps sit at fractions of their epoch
        xs = list(dict((label, xs) for label, xs, _ in chart.series)["#2 beta train"])
        assert xs[0] == pytest.approx(0.1) and xs[9] == pytest.approx(1.0)
        assert xs[14] == pytest.approx(1.5) and xs[-1] == pytest.approx(3.0)

        await pilot.press("M")  # clear the marks: back to the highlighted run
        assert set(chart.point_counts()) == {"#1 alpha", "#1 alpha train"}


# --------------------------------------------------------------------------- actions


async def test_clone_into_the_form_and_refusals(tmp_path: Path) -> None:
    config = TrainConfig(cell="gru", hidden=24, lr=0.007, batch_size=8, epochs=3)
    with RunStore(db_path(tmp_path)) as store:
        fake_run(store, {"cell": "rnn"}, "stopped-early", steps=4, val=[9.0], status="stopped")
        fake_run(store, config.to_dict(), "to-clone", steps=4, val=[9.0], created=T0 + 1)
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        await open_runs(pilot)
        await pilot.press("r")  # finished
        await pilot.press("p")  # no checkpoint
        await pilot.press("down", "r", "up")  # stopped, but no checkpoint
        messages = [n.message for n in pilot.app._notifications]
        assert any("finished; clone it" in m for m in messages)
        assert any("has no checkpoint yet" in m for m in messages)
        assert any("has no checkpoint to resume from" in m for m in messages)
        assert isinstance(pilot.app.screen, RunsScreen)
        assert not pilot.app.controller.running

        await pilot.press("c")
        await pilot.pause()
        from rnn_tui.ui.screens.train import TrainScreen

        screen = pilot.app.screen
        assert isinstance(screen, TrainScreen)
        values = screen.form.values()
        assert (values["hidden"], values["lr"], values["cell"]) == ("24", "0.007", "gru")
        assert values["batch_size"] == "8" and values["epochs"] == "3"
        assert screen.form.configs[0].hidden == 24


async def test_rename_tag_and_delete(tmp_path: Path) -> None:
    a, b, c = three_runs(tmp_path)
    with RunStore(db_path(tmp_path)) as store:
        folder = store.run_dir(c)
        (folder / "best.pt").write_bytes(b"fake checkpoint")
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        screen = await open_runs(pilot)
        await pilot.press("n")
        prompt = pilot.app.screen
        assert isinstance(prompt, TextPrompt)
        prompt.query_one(Input).value = "gamma prime"
        await pilot.press("enter")
        await fresh(pilot, screen)
        assert names(screen)[0] == "gamma prime"
        await pilot.press("g")
        pilot.app.screen.query_one(Input).value = "best, lstm ,best"
        await pilot.press("enter")
        await fresh(pilot, screen)
        with RunStore(db_path(tmp_path)) as store:
            assert store.get_run(3).tags == ["best", "lstm"]
        assert "tags: best, lstm" in str(screen.query_one("#runs-detail").render())
        await pilot.press("n", "escape")  # cancel: unchanged
        assert names(screen)[0] == "gamma prime"

        # Delete asks first; then the row and the run's folder (checkpoints) go.
        await pilot.press("d")
        assert isinstance(pilot.app.screen, ConfirmModal)
        await pilot.press("n")  # keep it
        await fresh(pilot, screen)
        assert names(screen) == ["gamma prime", "beta", "alpha"] and folder.exists()
        await pilot.press("space", "d")
        await pilot.press("y")
        await fresh(pilot, screen)
        assert names(screen) == ["beta", "alpha"]
        assert not folder.exists()
        assert screen.table.marked == set() and c not in screen.curves
        assert screen.table.highlighted_run.name == "beta"


async def test_resume_continues_a_stopped_run_and_sample_opens_it(
    tmp_path: Path, tiny_corpus: Path
) -> None:
    from rnn_tui.runs.session import RunSession

    config = TrainConfig(
        corpus=str(tiny_corpus),
        hidden=8,
        batch_size=2,
        num_steps=8,
        epochs=3,
        epoch_steps=3,
        device="cpu",
        sample_length=5,
    )
    with RunStore(db_path(tmp_path)) as store:
        session = RunSession(config, store=store)

        def stop_after_first_epoch(event: object) -> None:
            if isinstance(event, EpochEnd):
                session.stop()

        session.on_event = stop_after_first_epoch
        end = session.run()
        assert end.reason == "stopped"
        run_id = session.run_id
        assert store.get_run(run_id).status == "stopped"
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        screen = await open_runs(pilot)
        await pilot.press("r")
        from rnn_tui.ui.screens.train import TrainScreen

        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, TrainScreen), "the Train screen shows"
        )
        controller = pilot.app.controller
        await wait_until(pilot, lambda: not controller.running, "the resumed run ends", 120)
        # Resuming starts like the Start key: a clean log with the resumed run in it.
        train = pilot.app.screen
        train.repaint_live()
        log = "\n".join(strip.text for strip in train.query_one("#log", RichLog).lines)
        assert "Each epoch logs" not in log  # the idle intro was cleared
        assert f"run {run_id} " in log and "resumed at step" in log
        with RunStore(db_path(tmp_path)) as store:
            run = store.get_run(run_id)
            assert len(store.list_runs()) == 1  # the same run, not a new one
            assert [e["epoch"] for e in store.epoch_metrics(run_id)] == [1, 2, 3]
        assert (run.status, run.epochs) == ("finished", 3)

        await pilot.press("f5")
        await fresh(pilot, screen)
        assert row_texts(screen)[0]["status"] == "finished"
        # The chart holds the run's whole history, from before the resume too.
        curves = screen.curves[run_id]
        assert [e["epoch"] for e in curves.epochs] == [1, 2, 3] and curves.step[0] == 1
        assert [len(xs) for _, xs, _ in screen.chart.series] == [3]
        await pilot.press("enter")  # open it in Sample: its best checkpoint
        from rnn_tui.ui.screens.sample import SampleScreen

        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, SampleScreen), "the Sample screen shows"
        )
        assert pilot.app.latest_checkpoint == run.best_checkpoint
        assert pilot.app.screen.query_one("#checkpoint", Input).value == run.best_checkpoint


# --------------------------------------------------------------------------- live


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from rnn_tui.training.events import EpochEnd, RunEnd, StepEnd
    from rnn_tui.store import RunStore

    parent = os.getppid()  # the test: a child it leaves behind ends with it, not on a timer
    store = RunStore(sys.argv[1])
    run_id = store.create_run({"cell": "lstm", "layers": 1, "hidden": 8}, name="cli-live")
    rec = store.recorder(run_id, flush_every=1)
    step = 0
    while not os.path.exists(sys.argv[2]) and os.getppid() == parent:
        step += 1
        epoch = (step - 1) // 5 + 1
        rec(StepEnd(step, epoch, 2.0, 7.0, 0.01, 500.0, step * 16, step * 0.05))
        if step % 5 == 0:
            rec(EpochEnd(epoch, step, 2.0, 7.0, 2.1, 8.0 - epoch * 0.1, 500.0, step * 16,
                         step * 0.05, "", True, None))
        time.sleep(0.05)
    rec(RunEnd("finished", "done", step, epoch, 7.0, 7.0, 500.0, step * 0.05, None, None))
    """
)


async def test_a_cli_run_in_another_process_shows_live(tmp_path: Path) -> None:
    db = db_path(tmp_path)
    RunStore(db).close()
    stop_file = tmp_path / "stop"
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(stop_file)], env=env)
    try:
        async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
            screen = await open_runs(pilot)
            await wait_until(pilot, lambda: len(screen.table.runs) == 1, "the run is listed")
            await pilot.press("t")  # the training perplexity of every step

            def train_points() -> int:
                return screen.chart.point_counts().get("#1 cli-live train", 0)

            await wait_until(pilot, lambda: train_points() > 0, "the first steps are charted")
            assert row_texts(screen)[0]["status"] == "running"
            first = train_points()
            await wait_until(pilot, lambda: train_points() > first, "more steps are charted")
            assert row_texts(screen)[0]["status"] == "running"
            stop_file.touch()
            assert child.wait(timeout=60) == 0
            await wait_until(
                pilot, lambda: row_texts(screen)[0]["status"] == "finished", "the run finishes"
            )
            with RunStore(db) as store:
                steps = store.get_run(1).steps
                epochs = len(store.epoch_metrics(1))
            await wait_until(pilot, lambda: train_points() == steps, "every step is charted")
            assert screen.chart.point_counts()["#1 cli-live"] == epochs
            assert row_texts(screen)[0]["steps"] == f"{steps:,}"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


# --------------------------------------------------------------------------- sweeps


def sweep_of_three(tmp_path: Path) -> int:
    with RunStore(db_path(tmp_path)) as store:
        sweep_id = store.create_sweep("hidden sweep", [])
        for index, (hidden, val) in enumerate(
            [(16, [14.0, 12.0]), (32, [11.0, 9.5]), (64, [13.0, 12.5])]
        ):
            fake_run(
                store,
                {"cell": "gru", "hidden": hidden, "lr": 0.01},
                f"sweep [b]h{hidden}",  # a name is never read as markup
                steps=10,
                val=val,
                created=T0 + index,
                sweep=(sweep_id, index),
            )
    return sweep_id


async def test_sweep_summary_marks_the_best_configuration(tmp_path: Path) -> None:
    sweep_id = sweep_of_three(tmp_path)
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        show_sweep_summary(pilot.app, sweep_id)  # read in a thread worker, then shown
        await wait_until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, SweepSummaryScreen)
                and pilot.app.screen.query_one(DataTable).row_count == 3
            ),
            "the summary's three rows",
        )
        screen = pilot.app.screen
        assert isinstance(screen, SweepSummaryScreen)
        table = screen.query_one(DataTable)
        keys = [column.key.value for column in table.ordered_columns]
        assert keys == [
            "best",
            "id",
            "config.hidden",
            "best_val_ppl",
            "final_val_ppl",
            "final_train_ppl",
            "seconds",
            "tokens_per_s",
            "params",
            "status",
        ]
        rows = [[str(c) for c in table.get_row(key)] for key in table.rows]
        assert [r[2] for r in rows] == ["16", "32", "64"]
        assert [r[0] for r in rows] == ["", BEST_MARK, ""]
        assert rows[1][3:6] == ["9.50", "9.50", "11.50"]
        assert table.cursor_row == 1
        assert "best #2 sweep [b]h32" in str(screen.query_one("#summary-title").render())
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, SweepSummaryScreen)


async def test_u_opens_the_sweep_and_the_queue_shows_in_the_info_line(tmp_path: Path) -> None:
    sweep_id = sweep_of_three(tmp_path)
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        screen = await open_runs(pilot)
        await pilot.press("u")
        assert isinstance(pilot.app.screen, SweepSummaryScreen)
        await pilot.press("escape")

        # The app's own queue: progress in the status line while it runs. (Its summary at
        # the end is the controller's: tests/test_ui_train.py checks it with a real sweep.)
        fake = SimpleNamespace(
            running=True,
            queue_total=3,
            queue_index=1,
            sweep_id=sweep_id,
            current=SimpleNamespace(run_id=2),
        )
        pilot.app.controller = fake
        # What the app posts to the screen on top once it has applied a watcher's snapshot.
        screen.post_message(QueueUpdated(LiveSnapshot(generation=0)))
        await wait_until(
            pilot,
            lambda: "sweep run 2/3 (#2)" in str(screen.query_one("#runs-info").render()),
            "the info line shows the queue",
        )
        loads = screen.loads
        fake.running = False
        screen.post_message(QueueUpdated(LiveSnapshot(generation=0, queue_done=True)))
        await wait_until(
            pilot,
            lambda: "sweep run" not in str(screen.query_one("#runs-info").render()),
            "the queue leaves the info line",
        )
        await wait_until(pilot, lambda: screen.loads > loads, "the store is read again")
        assert pilot.app.screen is screen


# --------------------------------------------------------------------------- errors


async def test_an_unreadable_database_shows_the_error(tmp_path: Path) -> None:
    db = db_path(tmp_path)
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database, not at all" * 100)
    async with RnnTuiApp().run_test(size=(80, 24)) as pilot:
        screen = await open_runs(pilot)
        error = str(screen.query_one("#runs-error").render())
        assert "not a readable rnn-tui database" in error
        assert screen.query_one("#runs-error").display
        await pilot.press("c", "r", "d", "space", "a", "t")  # nothing to act on: no crash
        db.unlink()  # fixed: the next read works
        await fresh(pilot, screen)
        assert not screen.query_one("#runs-error").display


async def test_small_and_resized_terminals(tmp_path: Path) -> None:
    three_runs(tmp_path)
    async with RnnTuiApp().run_test(size=(80, 24)) as pilot:
        screen = await open_runs(pilot)
        await pilot.press("space", "down", "space", "t")
        for size in [(40, 12), (20, 6), (200, 60), (80, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
        await fresh(pilot, screen)
        assert screen.chart.size.height >= 5
        assert len(screen.table.runs) == 3
