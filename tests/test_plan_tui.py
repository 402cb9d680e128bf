"""The TUI plans without torch and reads a corpus once: start, a sweep and a resume are driven
in a fresh Python process (this one has imported torch for other tests), with a counting
wrapper around the one function that reads a corpus file; the run process the TUI launched
is then replayed from its plan file under the same wrapper."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rnn_tui.runs.plan import load_plan

REPO = Path(__file__).resolve().parents[1]
COUNT_READS = """
import json, sys
import rnn_tui.data.corpus as corpus_module
READS = []
_read = corpus_module.read_text
def counting_read_text(path, *args, **kwargs):
    READS.append(str(path))
    return _read(path, *args, **kwargs)
corpus_module.read_text = counting_read_text
"""

TUI_SCRIPT = (
    COUNT_READS
    + """
import asyncio
from rnn_tui.store import RunStore
from rnn_tui.ui.app import RnnTuiApp

CORPUS = sys.argv[1]
TINY = dict(cell="rnn", hidden="8", batch_size="4", num_steps="8", sample_length="0",
            epochs="1", corpus=CORPUS)
report = {}

async def start(app, pilot, **changes):
    app.screen.form.set_values({**TINY, **changes})
    await pilot.pause()
    await app.workers.wait_for_complete()  # the form's own measurement, if any
    before = len(READS)
    await app.run_action("start_training")
    assert app.controller.launch is not None, app.controller.error
    plan_file = app.controller.launch.process.args[-1]  # `rnn-tui train ... --plan PATH`
    report.setdefault("plans", []).append(open(plan_file).read())
    await app.controller.wait(120)
    return len(READS) - before

async def main():
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        app.controller.summary_on_end = False  # no sweep summary over the Train screen
        report["start"] = await start(app, pilot)
        report["sweep"] = await start(app, pilot, hidden="8,12")
        with RunStore() as store:
            store.update_run(1, status="stopped")
        ok = await app.resume_run(1)
        assert ok, [n.message for n in app._notifications]
        await app.controller.wait(120)
        with RunStore() as store:
            report["statuses"] = [run.status for run in store.list_runs()[::-1]]
    report["reads"] = READS
    report["torch"] = "torch" in sys.modules

asyncio.run(main())
print(json.dumps(report))
"""
)

REPLAY_SCRIPT = (
    COUNT_READS
    + """
from rnn_tui.cli import main
code = main(["train", "--plan", sys.argv[1]])
print(json.dumps({"code": code, "reads": READS}))
"""
)


def _python(script: str, *args: str, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_start_sweep_and_resume_from_the_tui_plan_without_torch(tiny_corpus, tmp_path):
    env = {"RNN_TUI_DATA_DIR": os.environ["RNN_TUI_DATA_DIR"]}
    report = _python(TUI_SCRIPT, str(tiny_corpus), env=env)
    assert report["torch"] is False, "the TUI process imported torch"
    # The first start reads the corpus once (the form's vocabulary measure and the planner
    # share one cache); the sweep of the same unchanged text reads it no more.
    assert report["reads"] == [str(tiny_corpus)], report
    assert report["start"] <= 1 and report["sweep"] == 0
    assert report["statuses"] == ["finished", "finished", "finished"]

    # The run process: the sweep's plan as the TUI launched it, executed again, reads its
    # text once for both runs.
    sweep = tmp_path / "sweep.plan.json"
    sweep.write_text(report["plans"][1])
    assert [c.hidden for c in load_plan(sweep).configs] == [8, 12]
    replay = _python(REPLAY_SCRIPT, str(sweep), env=env)
    assert replay["code"] == 0 and replay["reads"] == [str(tiny_corpus)], replay
