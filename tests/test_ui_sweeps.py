"""The Sweeps screen (F6, the palette's "Sweeps", `u` in Runs) on a study with finished,
pruned and failed trials and their stored runs (tests/fake_study.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from cli_calls import REPO
from fake_study import TRIALS, fake_study
from ui_helpers import make_app, wait_until

from rnn_tui.runs.leaderboard import leaderboard
from rnn_tui.runs.study import load_study, open_storage
from rnn_tui.store import RunStore, default_db_path
from rnn_tui.ui.screens.help import HelpScreen
from rnn_tui.ui.screens.sweeps import SweepsScreen


def board_rows(screen: SweepsScreen) -> list[list[str]]:
    table = screen.board
    return [[str(cell).strip() for cell in table.get_row(key)] for key in table.rows]


async def shown(pilot, name: str = "demo") -> SweepsScreen:
    """Wait until the Sweeps screen shows study `name` with its rows."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SweepsScreen), "the screen")
    screen = pilot.app.screen
    assert isinstance(screen, SweepsScreen)
    await wait_until(
        pilot,
        lambda: (
            screen.snapshot is not None
            and screen.snapshot.view is not None
            and screen.snapshot.view.name == name
            and screen.board.row_count > 0
        ),
        f"study {name} on the screen",
        timeout=30,
    )
    return screen


async def test_the_leaderboard_curves_and_importances_of_a_study() -> None:
    run_ids = fake_study(default_db_path())
    async with make_app("sample").run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        screen = await shown(pilot)
        rows = board_rows(screen)
        # The rows and their order are the leaderboard's (as `rnn-tui sweep show`).
        with RunStore(default_db_path()) as store:
            study, _ = load_study("demo", open_storage(default_db_path()), wait_s=0)
            expected = leaderboard(study, store)
        assert [int(r[0].lstrip("★ ")) for r in rows] == [t.number for t in expected]
        assert [r[1] for r in rows] == [t.status for t in expected]
        assert sorted(r[1] for r in rows) == sorted(
            {"finished": "finished", "pruned": "pruned", "failed": "failed"}[t[0]] for t in TRIALS
        )
        assert rows[0][0].startswith("★") and rows[0][2] == "4.90"
        pruned = next(r for r in rows if r[1] == "pruned")
        assert pruned[2:5] == ["14.00", "64", "0.0002"] and pruned[5] == "lab-1"
        assert pruned[6] == "12s"
        importance = screen.query_one("#sweeps-importance")
        names = [str(importance.get_row(key)[0]) for key in importance.rows]
        assert sorted(names) == ["hidden", "lr"]
        # Every trial with a curve is overlaid: all but the failed one (no epoch recorded).
        await wait_until(pilot, lambda: len(screen.chart._series) == 4, "four curves on the chart")
        labels = {series[0] for series in screen.chart._series}
        assert labels == {f"#{n}" for n in (0, 1, 2, 4)}  # trial numbers
        assert {k for k, c in screen.curves.items() if c.epochs} == {
            run_ids[n] for n in (0, 1, 2, 4)
        }  # the curves are the trials' stored runs
        assert "best 4.90 · 5/5 done · tpe · pruner median" in str(
            screen.query_one("#sweeps-info").render()
        )
        # A trial another process adds shows up at the next read, the cursor where it was.
        screen.board.move_cursor(row=1)
        study.enqueue_trial({"hidden": 200, "lr": 0.001})
        await wait_until(pilot, lambda: screen.board.row_count == 6, "the new trial", 15)
        assert board_rows(screen)[-1][1] == "waiting"
        assert screen.board.highlighted_trial.number == expected[1].number


async def test_u_on_a_trials_run_the_palette_and_the_study_choice() -> None:
    demo = fake_study(default_db_path())
    other = fake_study(default_db_path(), "other")
    async with make_app("sample").run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        runs = pilot.app.screen
        total = len(demo) + len(other)
        await wait_until(pilot, lambda: runs.table.row_count == total, "the runs")
        assert runs.table.highlighted_id == other[-1]  # the newest run first
        await pilot.press("u")  # its sweep's study, not the other one
        screen = await shown(pilot, "other")
        await pilot.press("f3")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"sweeps")
        await pilot.pause(0.3)
        await pilot.press("enter")
        assert await shown(pilot, "other") is screen
        # The study chooser (s) lists both; choosing one shows it.
        select = screen.query_one("#sweeps-study")
        assert [name for name, _ in screen._options] == ["demo", "other"]
        select.value = "demo"
        await shown(pilot, "demo")
        assert {k for k, c in screen.curves.items() if c.epochs} <= set(demo)


async def test_help_lists_the_sweeps_keys() -> None:
    fake_study(default_db_path())
    async with make_app("sample").run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await shown(pilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "help")
        lines = "\n".join(pilot.app.screen.key_lines())
        for line in ("s  Study", "n  New search", "o  Overlay in Runs", "a  X axis", "f6  Sweeps"):
            assert line in lines, lines


async def test_no_study_yet_says_how_to_start_one_and_writes_nothing() -> None:
    async with make_app("sample").run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        screen = pilot.app.screen
        assert isinstance(screen, SweepsScreen)
        await wait_until(pilot, lambda: screen.loads > 0, "a read")
        assert "no searches yet" in str(screen.query_one("#sweeps-info").render())
    journals = list(default_db_path().parent.glob("*.journal"))
    assert journals == []


def test_the_apps_start_up_leaves_optuna_out(tmp_path) -> None:
    """Optuna is imported when a sweep view opens, never when the TUI starts."""
    code = """
import asyncio, sys
from rnn_tui.ui.app import RnnTuiApp

async def main():
    async with RnnTuiApp().run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        print("start-up", "optuna" in sys.modules)
        await pilot.press("f6")
        for _ in range(200):
            await pilot.pause(0.05)
            if pilot.app.screen.loads:
                break
        print("sweeps", "optuna" in sys.modules)

asyncio.run(main())
"""
    fake_study(default_db_path())  # the data folder the child inherits
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "start-up False" in done.stdout, done.stdout
    assert "sweeps True" in done.stdout, done.stdout
