"""Bad input and faults at the real CLI, one row per case.

Each row calls the CLI's entry function with its arguments (tests/cli_calls.py) and asserts
the documented exit code, exactly one line on stderr (none when it succeeds), no traceback and
no hang; afterwards the run database passes `PRAGMA integrity_check` and still holds the run
made before the rows. A few rows also run as `python -m rnn_tui` in a child process, and the
pipe, signal and lock tests below start real processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_calls import TIMEOUT_S, call_cli, in_process_and_spawned, spawn_cli
from conftest import TINY_TEXT

TRAIN = (
    "train --batch-size 4 --num-steps 8 --hidden 8 --steps 2 --epoch-steps 1 "
    "--sample-length 5 --quiet"
).split()


def child_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["RNN_TUI_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    env.pop("FORCE_COLOR", None)
    return env


def runs_in(data_dir: Path) -> list[tuple[int, str, str]]:
    with contextlib.closing(sqlite3.connect(data_dir / "runs.sqlite3")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT id, name, status FROM runs ORDER BY id").fetchall()


def step_count(data_dir: Path, run_id: int) -> int:
    with contextlib.closing(sqlite3.connect(data_dir / "runs.sqlite3")) as conn:
        query = "SELECT COUNT(*) FROM step_metrics WHERE run_id = ?"
        return conn.execute(query, (run_id,)).fetchone()[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """A working folder with a tiny corpus, a file, and a store holding one finished run."""
    root = tmp_path_factory.mktemp("bad_input")
    (root / "tiny.txt").write_text(TINY_TEXT, encoding="utf-8")
    (root / "a_file").write_text("not a folder\n", encoding="utf-8")
    # Every epoch's sample starts with the prefix `[/b]`: model text that looks like markup.
    (root / "markup.txt").write_text(TINY_TEXT + "[/b] [/] [bold\n" * 20, encoding="utf-8")
    env = {"RNN_TUI_DATA_DIR": str(root / "data"), "RNN_TUI_CONFIG_DIR": str(root / "config")}
    done = call_cli([*TRAIN, "--corpus", "tiny.txt", "--out", "first"], cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    return {"root": root, "env": env, "data": root / "data"}


BIG_ID = "99999999999999999999"  # past SQLite's 64-bit integers
SUPERSCRIPT_TWO = "\u00b2"  # a digit to str.isdigit(), not to int()

# (id, arguments, exit code, text expected in the stderr line)
ROWS = [
    # 6. sampling arguments
    ("temperature-nan", "sample --checkpoint first/last.pt --temperature nan", 2, "finite"),
    ("temperature-inf", "sample --checkpoint first/last.pt --temperature inf", 2, "finite"),
    ("temperature-negative", "sample --checkpoint first/last.pt --temperature -1", 2, "0 or more"),
    ("temperature-word", "sample --checkpoint first/last.pt --temperature hot", 2, "a number"),
    ("top-k-zero", "sample --checkpoint first/last.pt --top-k 0", 2, "at least 1"),
    ("top-k-negative", "sample --checkpoint first/last.pt --top-k -3", 2, "at least 1"),
    ("top-k-fraction", "sample --checkpoint first/last.pt --top-k 1.5", 2, "whole number"),
    ("seed-2-64", f"sample --checkpoint first/last.pt --seed {2**64}", 2, "at most"),
    ("seed-negative", "sample --checkpoint first/last.pt --seed -1", 2, "at least 0"),
    ("length-zero", "sample --checkpoint first/last.pt --length 0", 2, "at least 1"),
    ("length-superscript", f"sample --checkpoint x --length {SUPERSCRIPT_TWO}", 2, "whole number"),
    ("prefix-unknown-chars", "sample --checkpoint first/last.pt --prefix QZ~", 2, "vocabulary"),
    ("seed-max-works", f"sample --checkpoint first/last.pt --seed {2**64 - 1} --length 5", 0, ""),
    ("top-k-past-vocab-works", "sample --checkpoint first/last.pt --top-k 1000 --length 5", 0, ""),
    (
        "temperature-zero-works",
        "sample --checkpoint first/last.pt --temperature 0 --length 5",
        0,
        "",
    ),
    # 7. run ids
    ("checkpoint-superscript", f"sample --checkpoint {SUPERSCRIPT_TWO}", 2, "not found"),
    ("checkpoint-big-id", f"sample --checkpoint {BIG_ID}", 2, "out of range"),
    ("checkpoint-id-zero", "sample --checkpoint 0", 2, "out of range"),
    ("checkpoint-missing-id", "sample --checkpoint 4242", 2, "no run with id 4242"),
    ("show-superscript", f"runs show {SUPERSCRIPT_TWO}", 2, "whole number"),
    ("show-big-id", f"runs show {BIG_ID}", 2, "out of range"),
    ("show-negative", "runs show -1", 2, ""),
    ("show-exponent", "runs show 1e3", 2, "whole number"),
    ("show-missing", "runs show 4242", 2, "no run with id 4242"),
    ("compare-superscript", f"runs compare 1 {SUPERSCRIPT_TWO}", 2, "whole number"),
    ("export-big-id", f"runs export {BIG_ID} --format csv", 2, "out of range"),
    ("delete-superscript", f"runs delete {SUPERSCRIPT_TWO} --yes", 2, "whole number"),
    ("rename-big-id", f"runs rename {BIG_ID} x", 2, "out of range"),
    ("tag-superscript", f"runs tag {SUPERSCRIPT_TWO} t", 2, "whole number"),
    ("resume-big-id", f"train --resume {BIG_ID}", 2, "out of range"),
    ("resume-superscript", f"train --resume {SUPERSCRIPT_TWO}", 2, "not found"),
    # 8. output paths: refused before a run is recorded (checked below: no new run)
    ("out-existing-file", "train --corpus tiny.txt --out a_file", 2, "is a file"),
    ("out-under-a-file", "train --corpus tiny.txt --out a_file/sub", 2, "cannot write"),
    ("out-under-proc", "train --corpus tiny.txt --out /proc/rnn-tui/x", 2, "cannot write"),
    ("out-under-dev-null", "train --corpus tiny.txt --out /dev/null/x", 2, "cannot write"),
    ("out-sweep", "train --corpus tiny.txt --hidden 4,8 --out sweep", 2, "--out takes one run"),
    # 9. text is never markup
    ("name-markup", "TRAIN --corpus tiny.txt --name [/]", 0, ""),
    ("out-markup", "TRAIN --corpus tiny.txt --out o[/]", 0, ""),
    ("sample-markup", "TRAIN --corpus markup.txt --sample-prefix [/b] --preprocess raw", 0, ""),
    ("rename-markup", "runs rename 1 [/]", 0, ""),
    ("tag-markup", "runs tag 1 [/b] [red]", 0, ""),
    ("filter-markup", "runs list --filter [/]nothing", 0, ""),
    ("corpus-markup-missing", "train --corpus [/]missing.txt", 2, "[/]missing.txt"),
    # 11. no terminal
    ("tui-without-terminal", "", 2, "needs a terminal"),
]


ROW = {row[0]: row[1:] for row in ROWS}
# Rows also run as a real `python -m rnn_tui`: a usage error from argparse, a run id the store
# refuses, and a process whose stdin and stdout are not terminals.
IN_A_PROCESS = ("temperature-nan", "show-big-id", "tui-without-terminal")


@pytest.mark.parametrize(("name", "run"), in_process_and_spawned(ROW, IN_A_PROCESS))
def test_bad_input_row(world, name: str, run):
    args, code, expected = ROW[name]
    before = runs_in(world["data"])
    argv = args.split()
    if argv[:1] == ["TRAIN"]:
        argv = TRAIN + argv[1:]
    result = run(argv, env=world["env"], cwd=world["root"])
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == (0 if code == 0 else 1), result.stderr
    if expected:
        assert expected in lines[0]
    after = runs_in(world["data"])
    assert after[0][0] == before[0][0] == 1  # the first run is still there
    if code != 0:
        assert after == before  # a refused command records nothing


def test_rows_cover_enough_cases():
    assert len(ROWS) >= 35


def test_markup_in_an_epoch_sample_prints_and_trains(monkeypatch, tmp_path, tiny_corpus):
    """A model whose sample happens to read `[/b]` must not kill the run (rich's MarkupError)."""
    from rnn_tui.training import trainer as train

    monkeypatch.setattr(train.Trainer, "_epoch_sample", lambda self: "a[/b]b [/] [bold")
    done = call_cli([*TRAIN, "--corpus", str(tiny_corpus), "--name", "[/]"], cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert "'a[/b]b [/] [bold'" in done.stdout
    assert done.stdout.startswith("[/]: rnn 1x8")
    run = call_cli(["runs", "show", "1"], cwd=tmp_path)
    assert run.returncode == 0 and "a[/b]b [/] [bold" in run.stdout


def test_output_off_a_terminal_is_plain_lines(world):
    """A real process whose stdout is a pipe."""
    args = [*TRAIN, "--corpus", "tiny.txt", "--steps", "3"]
    result = spawn_cli(args, env=world["env"], cwd=world["root"])
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    first = result.stdout.splitlines()[0]
    assert first.startswith("run: rnn 1x8") and first.endswith("device cpu")  # not wrapped
    assert any(line.startswith("run id: ") for line in result.stdout.splitlines())


def test_json_prints_one_object_per_event(world):
    result = call_cli(
        [*TRAIN, "--corpus", "tiny.txt", "--json"], env=world["env"], cwd=world["root"]
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    events = [r["event"] for r in records]
    assert events == ["RunStart", "StepEnd", "EpochEnd", "StepEnd", "EpochEnd", "RunEnd"]
    assert len({r["run_id"] for r in records}) == 1
    assert records[-1]["reason"] == "finished"


def shell(command: str, world: dict) -> subprocess.CompletedProcess:
    """A real shell pipe; prints the CLI's exit status, its stderr goes to a file."""
    return subprocess.run(
        ["bash", "-c", command + "; echo status=${PIPESTATUS[0]}"],
        env={**child_env(world["data"]), **world["env"]},
        cwd=world["root"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def test_params_json_into_head_ends_quietly(world):
    args = "params --json --cell lstm --layers 300 --hidden 3"
    whole = call_cli(args.split(), env=world["env"], cwd=world["root"])
    assert len(whole.stdout) > 1 << 17  # more than a pipe holds: the writer must see EPIPE
    err = world["root"] / "params.err"
    result = shell(f"{sys.executable} -m rnn_tui {args} 2>{err} | head -c 300", world)
    assert result.stdout.endswith("status=1\n"), result.stdout[-200:]
    assert err.read_text() == ""


def test_train_into_head_stops_and_is_recorded_stopped(world):
    before = runs_in(world["data"])
    err = world["root"] / "train.err"
    args = " ".join(TRAIN).replace("--steps 2", "--steps 200")
    result = shell(f"{sys.executable} -m rnn_tui {args} --corpus tiny.txt 2>{err} | head -1", world)
    assert result.stdout.startswith("run: rnn 1x8")
    assert result.stdout.endswith("status=1\n"), result.stdout
    assert err.read_text() == ""
    after = runs_in(world["data"])
    assert after[: len(before)] == before
    new_id, _, status = after[-1]
    assert (len(after), status) == (len(before) + 1, "stopped")
    assert 0 < step_count(world["data"], new_id) < 200


def wait_for(condition, what: str, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def test_ctrl_c_while_the_corpus_loads_stops_the_run(tmp_path, tiny_corpus):
    """Start-up used to ignore Ctrl-C and go on training."""
    marker = tmp_path / "loading"
    code = (
        "import sys, time, pathlib\n"
        "import rnn_tui.training.trainer as train\n"
        "def slow_load(*args, **kwargs):\n"
        f"    pathlib.Path({str(marker)!r}).touch()\n"
        "    time.sleep(120)\n"
        "train.load_corpus = slow_load\n"
        "from rnn_tui.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, *TRAIN, "--corpus", str(tiny_corpus)],
        env=child_env(tmp_path / "data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(marker.exists, "the corpus load to begin")
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=TIMEOUT_S)
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == 1
    assert err == "rnn-tui: stopped before training began\n"
    assert runs_in(tmp_path / "data") == []  # nothing was recorded: it never started


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def test_a_run_survives_a_store_locked_for_15_s(tmp_path, tiny_corpus):
    data = tmp_path / "data"
    steps = 40
    args = " ".join(TRAIN).replace("--steps 2", f"--steps {steps}").replace("1 --s", "10 --s")
    run = subprocess.Popen(
        [sys.executable, "-m", "rnn_tui", *args.split(), "--corpus", str(tiny_corpus)],
        env=child_env(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    locker = None
    try:
        wait_for(lambda: (data / "runs.sqlite3").exists() and runs_in(data), "the run row")
        wait_for(lambda: step_count(data, 1) > 0, "the first steps in the store")
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(data / "runs.sqlite3"), "15"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert locker.stdout.readline() == "locked\n"
        out, err = run.communicate(timeout=TIMEOUT_S)
        assert locker.wait(timeout=TIMEOUT_S) == 0
    finally:
        for child in (run, locker):
            if child is not None and child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
    assert (run.returncode, err) == (0, ""), err
    assert runs_in(data) == [(1, "rnn-1x8-1", "finished")]
    assert step_count(data, 1) == steps


def test_a_store_that_stays_locked_stops_the_run_with_its_checkpoint(
    monkeypatch, tmp_path, tiny_corpus
):
    """Past the retry window the run saves a checkpoint and ends with one line; nothing is lost."""
    from rnn_tui import store as store_module

    real_recorder = store_module.RunStore.recorder

    def impatient(self, run_id, **options):  # 60 s in real use; a test cannot wait that long
        return real_recorder(self, run_id, retry_for=1.0, **options)

    monkeypatch.setattr(store_module.RunStore, "recorder", impatient)
    db = tmp_path / "data" / "runs.sqlite3"
    locker = None

    def lock_after_first_epoch(event):
        nonlocal locker
        if type(event).__name__ == "EpochEnd" and locker is None:
            locker = sqlite3.connect(db, isolation_level=None)
            locker.execute("BEGIN IMMEDIATE")

    from rnn_tui.runs import session as runner

    real_run = runner.RunSession.run

    def run_with_lock(self):
        listener = self.on_event
        self.on_event = lambda event: (listener(event), lock_after_first_epoch(event))
        return real_run(self)

    monkeypatch.setattr(runner.RunSession, "run", run_with_lock)
    args = " ".join(TRAIN).replace("--steps 2", "--steps 100000").replace("1 --s", "5 --s")
    try:
        done = call_cli([*args.split(), "--corpus", str(tiny_corpus)], cwd=tmp_path)
    finally:
        if locker is not None:
            locker.execute("ROLLBACK")
            locker.close()
    code, err = done.returncode, done.stderr
    assert code == 2
    assert len(err.splitlines()) == 1 and "is locked by another process" in err
    assert "run stopped at step" in err and "last.pt" in err and "metrics.jsonl" in err
    metrics = (tmp_path / "data" / "runs" / "1" / "metrics.jsonl").read_text().splitlines()
    last_step = max(json.loads(line).get("step", 0) for line in metrics)
    assert f"run stopped at step {last_step};" in err  # every step is in the metrics file
    assert (tmp_path / "data" / "runs" / "1" / "last.pt").is_file()
