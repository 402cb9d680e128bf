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

from rnn_tui.config import TrainConfig

_STARTUP_SCRIPT = """
import sys, time
from pathlib import Path
import rnn_tui.ui.app
from rnn_tui.ui.app import RnnTuiApp

class FirstFrame(RnnTuiApp):
    CSS_PATH = str(Path(rnn_tui.ui.app.__file__).with_name("app.tcss"))  # -c has no file

    def on_mount(self):
        self.call_after_refresh(self._first_frame)

    def _first_frame(self):
        print(time.time(), flush=True)
        self.exit()

FirstFrame().run(headless=True)
"""


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


def startup_seconds(runs: int = 3) -> float:
    """Seconds from launching a Python process to the app's first frame (best of `runs`).

    The child runs the real app headless with an empty data and cache dir, prints the
    wall time once its first screen has been mounted and refreshed, then exits.
    """
    best = math.inf
    with tempfile.TemporaryDirectory(prefix="rnn-tui-bench-") as tmp:
        env = dict(os.environ, RNN_TUI_DATA_DIR=str(Path(tmp) / "data"))
        env.setdefault("RNN_TUI_CACHE_DIR", str(Path(tmp) / "cache"))
        for _ in range(runs):
            launched = time.time()
            child = subprocess.Popen(
                [sys.executable, "-c", _STARTUP_SCRIPT],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=env,
            )
            try:
                line = child.stdout.readline() if child.stdout else ""
                child.wait(timeout=120)  # exiting may wait for a worker thread
            finally:
                if child.poll() is None:
                    child.kill()
            if not line.strip():
                raise RuntimeError(f"the app did not draw a frame (exit code {child.returncode})")
            best = min(best, float(line) - launched)
    return best


def tui_tokens_per_s(config: TrainConfig, seconds: float) -> float:
    """Training tokens per second of `config` run from the real app, chart and log live.

    Runs the app headless at 120×40 on the Train screen, starts the run through its
    controller, lets it train about `seconds` from its first step (or until it ends),
    stops it and returns
    the run's tokens/s from its RunEnd. Records into a temporary run store.
    """
    from rnn_tui.ui.app import RnnTuiApp

    result: list[float] = []

    async def run(store: Path) -> None:
        app = RnnTuiApp(store_path=str(store))
        async with app.run_test(size=(120, 40)):
            app.controller.start([config])
            # The clock starts at the first step: importing torch and reading the corpus
            # are not training.
            while app.controller.running and not (
                app.controller.current and app.controller.current.last_step
            ):
                await asyncio.sleep(0.02)
            deadline = time.monotonic() + seconds
            while app.controller.running and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            app.controller.stop()
            await app.controller.wait()
            live = app.controller.current
            if live is None or live.end is None:
                raise RuntimeError(f"the run did not end normally: {live and live.error}")
            result.append(live.end.tokens_per_s)

    with tempfile.TemporaryDirectory(prefix="rnn-tui-bench-") as tmp:
        asyncio.run(run(Path(tmp) / "runs.sqlite3"))
    return result[0]


def headless_tokens_per_s(config: TrainConfig, seconds: float) -> float:
    """The same measurement without any UI, as `rnn-tui train --no-store` runs it."""
    from rnn_tui.runner import RunSession

    session = RunSession(config.replace(time_budget=float(seconds)))
    return session.run().tokens_per_s
