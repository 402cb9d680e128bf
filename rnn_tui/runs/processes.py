"""A run is a process: start one that executes a plan, find its runs, stop any run.

The TUI trains by writing the planner's RunPlan to a file and launching the one executor
on it (`python -m rnn_tui train --plan PATH`: `launch_plan`), in a session of its own so a
hangup of the terminal never reaches it, with its output in a log file. A sweep is one
child. The child records into the store the plan names, which the launcher reads;
`stop_run` works on any run of this machine, whoever started it.

No torch and no Textual here: the TUI imports this at start-up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rnn_tui.config import FIELDS, flag
from rnn_tui.errors import RnnTuiError
from rnn_tui.runs.plan import RunPlan, save_plan
from rnn_tui.store import ENV_DATA_DIR, RunRow, is_this_host, process_alive, process_token
from rnn_tui.store.liveness import identify

if TYPE_CHECKING:
    from rnn_tui.store import RunStore

LOG_NAME = "train.log"  # the child's stdout and stderr, in each run's folder
LAUNCH_DIR = "launches"  # logs of children that have not created a run (yet)
# SIGTERM, not SIGINT: the trainer treats both as a clean stop, but a second SIGINT aborts
# a CLI run (Ctrl-C twice), and two viewers may both press stop.
STOP_SIGNAL = signal.SIGTERM


def train_argv(
    values: Mapping[str, str] | None = None,
    *,
    store_path: Path | str | None = None,
    resume: int | None = None,
    name: str | None = None,
) -> list[str]:
    """The child's command line: the form's strings as `rnn-tui train` flags.

    An empty value becomes `none`, which the CLI reads as the form does (no value).
    With `resume`, the run's own config is used and `values` may only hold the fields a
    resume may change.
    """
    argv = [sys.executable, "-m", "rnn_tui", "train", "--quiet", "--log-to-run"]
    if store_path is not None:
        argv.append(f"--store={store_path}")
    if resume is not None:
        argv.append(f"--resume={int(resume)}")
    if name:
        argv.append(f"--name={name}")
    for field, value in (values or {}).items():
        if field not in FIELDS:
            raise ValueError(f"unknown setting {field!r}")
        text = str(value).strip() or "none"
        argv.append(f"{flag(field)}={text}")
    return argv


def plan_argv(plan_path: Path | str) -> list[str]:
    """The run process's command line: execute the plan in `plan_path`, nothing else."""
    command = [sys.executable, "-m", "rnn_tui", "train", "--quiet", "--log-to-run"]
    return [*command, "--plan", str(plan_path)]


def launch_plan(plan: RunPlan, data_dir: Path) -> Launch:
    """Write `plan` beside the launch logs and start a run process that executes it (each
    run then keeps its own one-run plan.json in its folder). RnnTuiError when it cannot."""
    folder = Path(data_dir) / LAUNCH_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=time.strftime("%Y%m%d-%H%M%S-"), suffix=".plan.json", dir=folder
        )
        os.close(handle)
    except OSError as exc:
        raise RnnTuiError(f"cannot write the plan in {folder}: {exc.strerror or exc}") from None
    path = save_plan(plan, name)
    started = launch(plan_argv(path), data_dir)
    started.plan_path = path
    return started


@dataclass
class Launch:
    """A started child: its process, where its output goes until it has a run, and when."""

    process: subprocess.Popen[bytes]
    log_path: Path
    started: float  # time.time() just before the start
    plan_path: Path | None = None  # the plan it executes (launch_plan)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 5) -> list[str]:
        return log_tail(self.log_path, lines)

    def error_line(self) -> str:
        """The child's last line, as the CLI printed it (`rnn-tui: error: ...`)."""
        tail = self.log_tail(20)
        errors = [line for line in tail if line.startswith("rnn-tui: ")]
        return (errors or tail or [f"the training process exited with code {self.returncode}"])[-1]

    @property
    def returncode(self) -> int | None:
        return self.process.poll()


def launch(argv: list[str], data_dir: Path) -> Launch:
    """Start `argv` detached: own session, no stdin, output to a log file under `data_dir`.

    The child sees `data_dir` as its RNN_TUI_DATA_DIR, so its runs land beside the
    launcher's database. Raises RnnTuiError when the process cannot start.
    """
    folder = Path(data_dir) / LAUNCH_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=time.strftime("%Y%m%d-%H%M%S-"), suffix=".log", dir=folder
        )
    except OSError as exc:
        raise RnnTuiError(f"cannot create a log file in {folder}: {exc.strerror or exc}") from None
    # Unbuffered, and lines as wide as they come: the log is read after the fact.
    env = {**os.environ, ENV_DATA_DIR: str(data_dir), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    env.update(beside_a_viewer_env(os.environ))
    started = time.time()
    try:
        with os.fdopen(handle, "ab") as log:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                env=env,
            )
    except OSError as exc:
        raise RnnTuiError(f"cannot start the training process: {exc.strerror or exc}") from None
    return Launch(process, Path(name), started)


# How long an idle torch thread spins before it sleeps, in GNU OpenMP's spin iterations
# (about 25 ns each on the 2-core test machine). libgomp's default, 300,000 (several ms),
# assumes the cores are the run's alone. Beside a viewer they are not: when the viewer takes
# one torch thread's core, the other thread spins for the whole time and keeps its core from
# the preempted one; both cores are lost while a few percent of one is used. 20,000 spins
# still bridge the microsecond gaps between a step's parallel regions. Never 0 (passive):
# that wakes a thread for every region, 0.24x speed on a quiet 2-core machine.
SPIN_BESIDE_VIEWER = "20000"


def beside_a_viewer_env(environ: Mapping[str, str]) -> dict[str, str]:
    """What a run started by the TUI adds to its environment: a bounded OpenMP spin, unless
    the user set the wait policy or the spin count (theirs wins)."""
    if "GOMP_SPINCOUNT" in environ or "OMP_WAIT_POLICY" in environ:
        return {}
    return {"GOMP_SPINCOUNT": SPIN_BESIDE_VIEWER}


def log_tail(path: Path | str | None, lines: int = 5) -> list[str]:
    """The last non-empty lines of a log file; [] when there is none."""
    if path is None:
        return []
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16_384))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line.rstrip() for line in text.splitlines() if line.strip()][-lines:]


def run_log_path(store: RunStore, run_id: int) -> Path:
    """Where a run started with `--log-to-run` keeps its output."""
    return store.run_dir_path(run_id) / LOG_NAME


def redirect_output(path: Path) -> None:
    """Send this process's stdout and stderr (file descriptors 1 and 2) to `path`, appended."""
    sys.stdout.flush()
    sys.stderr.flush()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- liveness


def runs_of_process(store: RunStore, pid: int, *, since: float = 0.0) -> list[RunRow]:
    """The runs a process created or resumed since `since`, oldest first."""
    token = process_token(pid)
    since -= 1.0  # clocks are read in two processes
    return [
        run
        for run in store.runs_by_pid(pid, token)
        if run.created >= since or run.ended is None or run.ended >= since
    ]


def run_is_alive(store: RunStore, run_id: int) -> bool:
    """Whether the run is `running` and its writer process lives (on this machine)."""
    run = store.get_run(run_id)
    if run.status != "running":
        return False
    pid, token, host = store.writer(run_id)
    if not is_this_host(host):
        return True  # another machine's, and its heartbeat is fresh (else: interrupted)
    return process_alive(pid, token)


def check_not_alive(store: RunStore, run_id: int) -> None:
    """RnnTuiError when the run's process lives: two writers never share a run."""
    if run_is_alive(store, run_id):
        pid = store.writer(run_id)[0]
        raise RnnTuiError(
            f"run {run_id} is still running (pid {pid}); stop it first "
            f"(rnn-tui runs stop {run_id}) or follow it (rnn-tui runs watch {run_id})"
        )


def signal_if_ours(pid: int | None, token: str | None) -> bool:
    """Send the stop signal to `pid` only when it is confirmed as the rnn-tui run process
    that started at `token` (see store.liveness.identify); True when it was sent."""
    if pid is None or pid == os.getpid() or identify(pid, token).state != "ours":
        return False
    try:
        os.kill(pid, STOP_SIGNAL)
    except OSError:
        return False
    return True


def stop_run(store: RunStore, run_id: int) -> str:
    """Ask the run's process to stop cleanly (it saves a checkpoint): 'stopping'; a run of
    another host is asked through the store, which its heartbeat reads: 'requested'. When the
    process is gone (or its pid now belongs to another program), mark the run interrupted:
    'interrupted'. RnnTuiError when the run is not running, or its process cannot be
    confirmed as this run: a signal goes only to a process whose pid lives, whose start time
    matches the recorded one and whose command line is rnn-tui's."""
    run = store.get_run(run_id)
    # Its writer is gone and the row still says running (a read shows it interrupted).
    if run.status == "interrupted" and store.mark_interrupted(run_id):
        return "interrupted"
    if run.status != "running":
        raise RnnTuiError(f"run {run_id} is not running (it {run.status})")
    pid, token, host = run.pid, run.pid_start, run.hostname
    if not is_this_host(host):
        store.request_stop(run_id)
        return "requested"
    if pid == os.getpid():
        raise RnnTuiError(f"run {run_id} runs in this process")
    identity = identify(pid, token)
    if identity.state == "unconfirmed":
        raise RnnTuiError(
            f"run {run_id} was not signalled: {identity.reason}, so pid {pid} cannot be "
            "confirmed as its process"
        )
    if identity.state == "ours" and pid is not None:
        try:
            os.kill(pid, STOP_SIGNAL)
            return "stopping"
        except ProcessLookupError:
            pass
        except PermissionError:
            raise RnnTuiError(
                f"run {run_id} belongs to another user (pid {pid}); it cannot be stopped from here"
            ) from None
    store.mark_interrupted(run_id)
    return "interrupted"
