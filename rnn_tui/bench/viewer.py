"""The viewer's cost, for `rnn-tui bench --ui`: a run's CPU seconds per step, sampled from
/proc while it trains; the TUI's own CPU from /proc/PID/stat while it shows a live run and
while it is idle; its first frame polled from tmux.

CPU seconds per step are steadier than tokens/s on a shared machine: time the run waits for
a core is not counted, time its threads spin while the viewer holds one is. Linux only
(/proc); the callers say so when it is missing.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (all its threads); None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


class RunCpuSampler(threading.Thread):
    """Samples the newest running run of a store: (its steps, its process's CPU seconds),
    every `interval` seconds until stopped."""

    def __init__(self, db: Path, interval: float = 0.5) -> None:
        super().__init__(daemon=True, name="run-cpu-sampler")
        self.db = db
        self.interval = interval
        self.samples: list[tuple[int, float]] = []
        self._stopped = threading.Event()

    def run(self) -> None:
        from rnn_tui.store import RunStore

        while not self._stopped.is_set() and not Path(self.db).exists():
            self._stopped.wait(self.interval)
        with RunStore(self.db) as store:
            while not self._stopped.is_set():
                runs = store.list_runs()
                row = runs[0] if runs else None
                if row is not None and row.pid and row.status == "running" and row.steps:
                    cpu = proc_cpu_seconds(row.pid)
                    if cpu is not None:
                        self.samples.append((row.steps, cpu))
                self._stopped.wait(self.interval)

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)

    def cpu_per_step(self) -> float | None:
        """CPU seconds per step from a quarter into the run to its last sample (start-up,
        import and warm-up left out); None with too few samples."""
        samples = self.samples
        if len(samples) < 4:
            return None
        (first_step, first_cpu), (last_step, last_cpu) = samples[len(samples) // 4], samples[-1]
        if last_step <= first_step:
            return None
        return (last_cpu - first_cpu) / (last_step - first_step)


def _drain(fd: int, stop: threading.Event) -> None:
    """Read and drop what the app writes to its terminal (a full pty would stall it)."""
    import select

    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                if not os.read(fd, 1 << 16):
                    return
            except OSError:
                return


def tui_cpu_percent(env: dict[str, str], seconds: float = 20.0, settle: float = 5.0) -> float:
    """Percent of one core the TUI uses over `seconds`, from its /proc/PID/stat, in a real
    pseudo-terminal of 120x40 after `settle` seconds of start-up. `env` names its data
    directory (a live run in it, or none)."""
    import fcntl
    import pty
    import signal
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "-m", "rnn_tui"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "TERM": "xterm-256color"},
        start_new_session=True,
    )
    os.close(slave)
    stop = threading.Event()
    drainer = threading.Thread(target=_drain, args=(master, stop), daemon=True)
    drainer.start()
    try:
        time.sleep(settle)
        start_cpu, start = proc_cpu_seconds(child.pid), time.monotonic()
        time.sleep(seconds)
        end_cpu, end = proc_cpu_seconds(child.pid), time.monotonic()
        if start_cpu is None or end_cpu is None:
            raise RuntimeError(f"the TUI exited early (code {child.poll()})")
        return 100 * (end_cpu - start_cpu) / (end - start)
    finally:
        stop.set()
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        drainer.join(timeout=2)
        os.close(master)


def wait_for_steps(db: Path, process: subprocess.Popen[bytes], timeout: float) -> None:
    from rnn_tui.store import RunStore

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the run exited with code {process.returncode}")
        if db.exists():
            with RunStore(db) as store:
                runs = store.list_runs()
                if runs and runs[0].steps:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"the run recorded no step within {timeout:g} s")


def tmux_first_frame_seconds(
    size: tuple[int, int] = (80, 24), runs: int = 5, timeout: float = 60.0
) -> float | None:
    """Median seconds from `tmux new-session` starting `rnn-tui` to the first capture of its
    pane that shows the whole Train screen (its title, Start and the Footer's palette key),
    polled every 10 ms. None when tmux is not installed."""
    tmux = shutil.which("tmux")
    if tmux is None:
        return None
    columns, rows = size
    times: list[float] = []
    for index in range(runs):
        with tempfile.TemporaryDirectory(prefix="rnn-tui-bench-") as tmp:
            socket = str(Path(tmp) / "tmux.sock")
            env_args = [
                f"-e{name}={value}"
                for name, value in (
                    ("RNN_TUI_DATA_DIR", str(Path(tmp) / "data")),
                    ("RNN_TUI_CACHE_DIR", str(Path(tmp) / "cache")),
                    ("RNN_TUI_CONFIG_DIR", str(Path(tmp) / "config")),
                    ("PYTHONPATH", os.environ.get("PYTHONPATH", "")),
                )
            ]
            session = f"bench{index}"
            started = time.perf_counter()
            subprocess.run(
                [tmux, "-S", socket, "new-session", "-d", "-s", session, "-x", str(columns),
                 "-y", str(rows), *env_args, f"{sys.executable} -m rnn_tui"],
                check=True,
            )  # fmt: skip
            try:
                drawn = None
                while time.perf_counter() - started < timeout:
                    pane = subprocess.run(
                        [tmux, "-S", socket, "capture-pane", "-p", "-t", session],
                        capture_output=True,
                        text=True,
                    ).stdout
                    if "rnn-tui" in pane and "Start (^r)" in pane and "palette" in pane:
                        drawn = time.perf_counter() - started
                        break
                    time.sleep(0.01)
            finally:
                subprocess.run([tmux, "-S", socket, "kill-server"], capture_output=True)
            if drawn is None:
                raise RuntimeError("the app did not draw its Train screen in tmux")
            times.append(drawn)
    return statistics.median(times)
