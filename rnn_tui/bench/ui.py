"""TUI measurements for `rnn-tui bench`: chart repaint, first frame, training throughput.

Plain functions that return numbers (the bench command prints them with its machine
line); no pytest here. Everything runs headless.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rnn_tui.bench.viewer import RunCpuSampler, tui_cpu_percent, wait_for_steps
from rnn_tui.config import TrainConfig


def training_curve(points: int, seed: int = 0) -> tuple[list[int], list[float]]:
    """A per-step perplexity curve that looks like training: a decay with noise."""
    rng = random.Random(seed)
    xs = list(range(1, points + 1))
    scale = max(points / 5, 1.0)
    ys = [4.0 + 30.0 * math.exp(-x / scale) + abs(rng.gauss(0, 0.6)) for x in xs]
    return xs, ys


def chart_repaint_ms(points: int = 10_000, repeats: int = 20) -> float:
    """Median milliseconds of one full PplChart repaint with `points` points behind it.

    At 100×25, headless: new data (so downsampling is redone), `render()` (plotext) and
    rendering the result to terminal lines, as a screen refresh does.
    """
    from textual.app import App, ComposeResult

    from rnn_tui.ui.widgets.ppl_chart import PplChart

    xs, ys = training_curve(points)
    val_x = xs[:: max(points // 20, 1)]
    val_y = [y * 1.1 for y in ys[:: max(points // 20, 1)]]
    times: list[float] = []

    class ChartApp(App):
        def compose(self) -> ComposeResult:
            yield PplChart()

    async def run() -> None:
        app = ChartApp()
        async with app.run_test(size=(100, 25)) as pilot:
            chart = app.query_one(PplChart)
            await pilot.pause()
            width, height = chart.size.width, chart.size.height
            options = app.console.options.update_dimensions(width, height)
            for _ in range(repeats + 2):
                started = time.perf_counter()
                chart.set_series([("train", xs, ys), ("validation", val_x, val_y)])
                app.console.render_lines(chart.render(), options)
                times.append(time.perf_counter() - started)

    asyncio.run(run())
    return statistics.median(times[2:]) * 1000  # the first two warm plotext up


# What the first complete frame of the Train screen holds, as the terminal receives it: the
# header's title, the Start button, a Select's value in the form (Selects and Inputs show
# their values one refresh after their labels, so a frame with labels only is not
# complete) and the footer's last item.
FIRST_FRAME_MARKERS = (
    b"rnn-tui",
    b"Start (^r)",
    TrainConfig().preprocess.encode(),
    b"palette",
)


def first_frame_seconds(
    size: tuple[int, int] = (120, 40),
    markers: tuple[bytes, ...] = FIRST_FRAME_MARKERS,
    timeout: float = 60.0,
) -> float:
    """Seconds from launching `rnn-tui` to its first painted frame, in a real terminal.

    The command runs in a pseudo-terminal of `size` (columns, rows) with an empty data and
    cache dir, as a user would start it; the clock stops when the bytes written to the
    terminal hold every one of `markers`, i.e. the Train screen has been drawn, not only
    mounted (a headless app never renders to a terminal, and its start-up "after refresh"
    callbacks run inside Textual's start-up batch, before any frame). Then the process
    group is killed. POSIX only.
    """
    import fcntl
    import pty
    import select
    import signal
    import struct
    import termios

    columns, rows = size
    with tempfile.TemporaryDirectory(prefix="rnn-tui-bench-") as tmp:
        env = dict(
            os.environ,
            TERM="xterm-256color",
            COLUMNS=str(columns),
            LINES=str(rows),
            RNN_TUI_DATA_DIR=str(Path(tmp) / "data"),
            RNN_TUI_CACHE_DIR=str(Path(tmp) / "cache"),
            RNN_TUI_CONFIG_DIR=str(Path(tmp) / "config"),  # the first launch, not yours
        )
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        launched = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "rnn_tui"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,  # its own process group, killed below
        )
        os.close(slave)
        seen = b""
        drawn: float | None = None
        try:
            while time.perf_counter() - launched < timeout:
                ready, _, _ = select.select([master], [], [], 0.5)
                if not ready:
                    if child.poll() is not None:
                        break
                    continue
                try:
                    data = os.read(master, 1 << 16)
                except OSError:  # the child closed the terminal
                    break
                now = time.perf_counter()
                seen += data
                if all(marker in seen for marker in markers):
                    drawn = now
                    break
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            os.close(master)
    if drawn is None:
        raise RuntimeError(f"the app did not draw a frame (exit code {child.returncode})")
    return drawn - launched


def startup_seconds(runs: int = 5, size: tuple[int, int] = (120, 40)) -> float:
    """Median of `runs` measurements of `first_frame_seconds` (a shared machine is noisy)."""
    return statistics.median(first_frame_seconds(size) for _ in range(runs))


def form_values(config: TrainConfig) -> dict[str, str]:
    """The form's texts for `config`: what the TUI launches it with."""
    from rnn_tui.config import FIELDS
    from rnn_tui.ui.widgets.config_form import format_value

    return {name: format_value(getattr(config, name)) for name in FIELDS}


def tui_cpu_figures(seconds: float = 20.0, run_seconds: float = 40.0) -> dict[str, float]:
    """The TUI's CPU idle (no run in its store) and while it shows a live run (the seed
    preset trained by `rnn-tui train` beside it, which the TUI attaches to)."""
    from rnn_tui.config import preset
    from rnn_tui.runs.processes import train_argv
    from rnn_tui.store import ENV_DATA_DIR

    with tempfile.TemporaryDirectory(prefix="rnn-tui-bench-") as tmp:
        base = dict(os.environ, RNN_TUI_CONFIG_DIR=str(Path(tmp) / "config"))
        idle = tui_cpu_percent({**base, ENV_DATA_DIR: str(Path(tmp) / "idle")}, seconds)
        data = Path(tmp) / "live"
        config = preset("seed").replace(
            epoch_steps=200, epochs=100_000, sample_length=0, time_budget=run_seconds
        )
        argv = train_argv(form_values(config), store_path=data / "runs.sqlite3")
        argv.remove("--log-to-run")
        run = subprocess.Popen(
            argv,
            env={**base, ENV_DATA_DIR: str(data)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_steps(data / "runs.sqlite3", run, timeout=60)
            live = tui_cpu_percent({**base, ENV_DATA_DIR: str(data)}, seconds, settle=3.0)
        finally:
            run.terminate()
            run.wait(timeout=60)
    return {"tui_cpu_idle_percent": idle, "tui_cpu_live_percent": live}


def tui_run(config: TrainConfig, data: Path) -> dict[str, float | None]:
    """One run of `config` started from the real app (headless, 120×40, Train screen, chart
    and log live) as a user starts it: a child process followed through the store.

    Returns the run's tokens/s (its own figure, from the store) and the step-to-screen
    latency: for every repaint that showed new steps, the time from the newest step to
    the end of that repaint. A step's wall time is taken as the run's creation time plus
    the step's training seconds, which is at most the true time, so each latency is an
    upper bound. `config` should end itself (a time budget).
    """
    from rnn_tui.store import RunStore
    from rnn_tui.ui.app import RnnTuiApp
    from rnn_tui.ui.screens.train import TrainScreen

    latencies: list[float] = []
    run_ids: list[int] = []

    async def run() -> None:
        app = RnnTuiApp(store_path=str(data / "runs.sqlite3"))
        shown = [0]

        def measured_paint(screen: TrainScreen, **options: bool) -> None:
            paint(screen, **options)
            current = app.controller.current
            if current is None or current.last_step is None:
                return
            step = current.last_step
            if step["step"] != shown[0]:
                shown[0] = step["step"]
                latencies.append(time.time() - current.run.created - step["elapsed"])

        # Every paint of the live run goes through the Train screen's repaint_live.
        TrainScreen.repaint_live = measured_paint  # type: ignore[method-assign]
        async with app.run_test(size=(120, 40)):
            app.controller.start(form_values(config))
            while app.controller.running:
                await asyncio.sleep(0.1)
            await app.controller.wait()
            if app.controller.current is None:
                raise RuntimeError(f"the run did not start: {app.controller.error}")
            run_ids.append(app.controller.current.run_id)

    paint = TrainScreen.repaint_live
    sampler = RunCpuSampler(data / "runs.sqlite3")
    sampler.start()
    try:
        asyncio.run(run())
    finally:
        sampler.stop()
        TrainScreen.repaint_live = paint  # type: ignore[method-assign]
    with RunStore(data / "runs.sqlite3") as store:
        row = store.get_run(run_ids[0])
    if row.status != "finished" or not row.tokens_per_s:
        raise RuntimeError(f"the TUI's run ended {row.status}: {row.message}")
    return {
        "tokens_per_s": row.tokens_per_s,
        "cpu_s_per_step": sampler.cpu_per_step(),
        "latency_median_s": statistics.median(latencies),
        "latency_max_s": max(latencies),
        "repaints": len(latencies),
    }


def headless_run(
    config: TrainConfig, data: Path, extra_env: dict[str, str] | None = None
) -> dict[str, float | None]:
    """The same run as `rnn-tui train` with the same flags in a shell: its tokens/s and its
    CPU seconds per step. `extra_env`: added to its environment."""
    from rnn_tui.runs.processes import train_argv
    from rnn_tui.store import ENV_DATA_DIR, RunStore

    db = data / "runs.sqlite3"
    argv = train_argv(form_values(config), store_path=db)
    argv.remove("--log-to-run")
    env = {**os.environ, ENV_DATA_DIR: str(data), **(extra_env or {})}
    sampler = RunCpuSampler(db)
    sampler.start()
    try:
        subprocess.run(argv, env=env, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    finally:
        sampler.stop()
    with RunStore(db) as store:
        row = store.list_runs()[0]
    if row.status != "finished" or not row.tokens_per_s:
        raise RuntimeError(f"the headless run ended {row.status}: {row.message}")
    return {"tokens_per_s": row.tokens_per_s, "cpu_s_per_step": sampler.cpu_per_step()}


def tui_against_headless(config: TrainConfig, rounds: int) -> dict[str, list[float]]:
    """The TUI's run and the headless one, alternately, `rounds` times each: tokens/s, CPU
    seconds per step (None where too few samples were taken) and step-to-screen latency.

    A third run per round is headless with the environment the TUI gives its runs
    (processes.beside_a_viewer_env): what that environment costs a run nobody watches.
    """
    from rnn_tui.runs.processes import beside_a_viewer_env

    keys = ("tui", "headless", "tui_cpu", "headless_cpu", "latency", "latency_max", "tui_env")
    result: dict[str, list] = {key: [] for key in keys}
    tui_env = beside_a_viewer_env(os.environ)
    with tempfile.TemporaryDirectory(prefix="rnn-tui-bench-") as tmp:
        for index in range(rounds):
            tui = tui_run(config, Path(tmp) / f"tui-{index}")
            result["tui"].append(tui["tokens_per_s"])
            result["tui_cpu"].append(tui["cpu_s_per_step"])
            result["latency"].append(tui["latency_median_s"])
            result["latency_max"].append(tui["latency_max_s"])
            headless = headless_run(config, Path(tmp) / f"cli-{index}")
            result["headless"].append(headless["tokens_per_s"])
            result["headless_cpu"].append(headless["cpu_s_per_step"])
            same_env = headless_run(config, Path(tmp) / f"env-{index}", tui_env)
            result["tui_env"].append(same_env["tokens_per_s"])
    return result
