"""The TUI on a PostgreSQL store (`rnn-tui --store URL` puts the URL in $RNN_TUI_STORE): the
live trials of two workers that see each other only through the database, and a study's
leaderboard, curves and importances on the Sweeps screen."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from cli_calls import REPO, call_cli
from fake_study import TRIALS, fake_study
from pg_server import PASSWORD
from test_search import tiny
from test_ui_sweeps import board_rows, shown
from textual.widgets import Static
from ui_helpers import make_app, wait_until

from rnn_tui.runs.leaderboard import leaderboard
from rnn_tui.runs.study import load_study, storage_for
from rnn_tui.store import RunStore
from rnn_tui.ui.screens.runs import RunsScreen


def start_worker(name: str, host: str, folder: Path) -> subprocess.Popen:
    """`rnn-tui sweep work NAME` as host `host`, with a data folder of its own: it shares
    nothing with the other worker but the database ($RNN_TUI_STORE, inherited)."""
    folder.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "RNN_TUI_HOSTNAME": host}
    env["RNN_TUI_DATA_DIR"] = str(folder / "data")
    return subprocess.Popen(
        [sys.executable, "-m", "rnn_tui", "sweep", "work", name],
        cwd=folder, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def end_processes(workers: list[subprocess.Popen], url: str) -> None:
    """Kill the workers and their trials' run processes (each leads its own session)."""
    for worker in workers:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    with RunStore(url) as store:
        for run in store.list_runs():
            if run.pid:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(run.pid, signal.SIGKILL)


async def test_the_tui_on_postgresql_shows_two_workers_live_trials(
    tmp_path, tiny_corpus, pg_url, monkeypatch
):
    monkeypatch.setenv("RNN_TUI_STORE", pg_url)
    # Trials of 90 s (one epoch far longer than that): both still run while the TUI looks.
    args = [*tiny(tiny_corpus), "--epoch-steps", "10000000", "--time-budget", "90"]
    args += ["--hidden", "8..16", "--sampler", "random", "--trials", "2", "--sweep", "live"]
    made = call_cli([*args, "--workers", "0"], cwd=tmp_path)
    assert made.returncode == 0 and "rnn-tui sweep work live" in made.stdout, made.stderr
    workers = []
    try:
        workers = [start_worker("live", h, tmp_path / h) for h in ("host-a", "host-b")]
        async with make_app("sample").run_test(size=(120, 40)) as pilot:
            assert PASSWORD not in str(pilot.app.sub_title) + str(pilot.app.title)
            await pilot.press("f5")
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, RunsScreen), "Runs")
            runs = pilot.app.screen
            assert isinstance(runs, RunsScreen)

            def live_runs() -> list:
                return [r for r in runs.table.runs if r.status == "running" and r.steps > 0]

            await wait_until(
                pilot,
                lambda: len(live_runs()) == 2 or any(w.poll() is not None for w in workers),
                "two running trials on the Runs screen",
                timeout=120,
            )
            assert [w.poll() for w in workers] == [None, None], workers[0].stderr.read()
            assert {r.hostname for r in live_runs()} == {"host-a", "host-b"}
            assert sorted(r.name for r in live_runs()) == ["live #0", "live #1"]
            detail = runs.query_one("#runs-detail", Static)
            await wait_until(
                pilot,
                lambda: "running on host-" in str(detail.render()),
                f"the highlighted trial's host in its detail line: {detail.render()}",
                timeout=10,
            )
            text = str(detail.render())  # "#7 live #1 · running on host-b · … · sweep 1 #1 (u)"
            trial = text.split(" · ")[0].rsplit("#", 1)[1]
            assert text.endswith(f" #{trial} (u)"), text  # the trial's number as its name has it
            await pilot.press("f6")
            sweeps = await shown(pilot, "live")
            await wait_until(
                pilot,
                lambda: [r[1] for r in board_rows(sweeps)] == ["running", "running"],
                "two running trials on the leaderboard",
                timeout=30,
            )
            hosts = sorted(row[-2] for row in board_rows(sweeps))
            assert hosts == ["host-a", "host-b"]
            assert "0/2 done, 2 running" in str(sweeps.query_one("#sweeps-info").render())
    finally:
        end_processes(workers, pg_url)


async def test_the_sweeps_screen_reads_a_study_in_postgresql(pg_url, monkeypatch):
    monkeypatch.setenv("RNN_TUI_STORE", pg_url)
    run_ids = fake_study(pg_url)
    async with make_app("sample").run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        screen = await shown(pilot)
        rows = board_rows(screen)
        with RunStore(pg_url) as store:
            study, _ = load_study("demo", storage_for(store), wait_s=0)
            expected = leaderboard(study, store)
        assert [int(r[0].lstrip("★ ")) for r in rows] == [t.number for t in expected]
        assert sorted(r[1] for r in rows) == sorted(
            {"finished": "finished", "pruned": "pruned", "failed": "failed"}[t[0]] for t in TRIALS
        )
        assert rows[0][0].startswith("★") and rows[0][2] == "4.90"
        importance = screen.query_one("#sweeps-importance")
        names = [str(importance.get_row(key)[0]) for key in importance.rows]
        assert sorted(names) == ["hidden", "lr"]
        await wait_until(pilot, lambda: len(screen.chart._series) == 4, "four curves on the chart")
        assert {k for k, c in screen.curves.items() if c.epochs} == {
            run_ids[n] for n in (0, 1, 2, 4)
        }  # the curves are the trials' runs, read from PostgreSQL
