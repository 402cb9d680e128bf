"""Screenshots for the README: drive the real app headless and save SVGs into assets/.

    python scripts/screenshots.py [--out assets] [--size 120x40]

It trains the `quick` preset on The Time Machine, samples from that run, shows the
parameter counts' worked example, then runs a tiny sweep (hidden 32,64) and overlays the
three runs on the Runs screen, saving train.svg, sample.svg, params.svg and runs.svg. The runs
are recorded in a temporary data dir, and the book is the copy shipped in the package, so it
works offline in a fresh clone. Training takes about half a minute on a laptop CPU; figures
such as tokens/s are whatever this machine measures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


async def wait_until(pilot, condition: Callable[[], bool], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.1)


async def still(pilot) -> None:
    """Let the workers end and the screen settle: no toasts, no blinking cursors."""
    from textual.widgets import Input, TextArea

    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()
    for widget in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(widget, (Input, TextArea))
        widget.cursor_blink = False
    await pilot.pause(0.3)


def save(app, out: Path, name: str) -> None:
    path = out / name
    path.write_text(app.export_screenshot(title="rnn-tui"), encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


async def train(pilot, **values: str) -> None:
    """Fill the form from the quick preset (plus `values`), start, wait for the queue."""
    app = pilot.app
    await app.run_action("switch_mode('train')")
    await app.run_action("apply_preset('quick')")
    app.screen.form.set_values(values)
    await pilot.pause()
    await app.run_action("start_training")
    await wait_until(pilot, lambda: not app.controller.running)
    await pilot.pause(0.5)  # the last repaint and the end-of-queue hook


async def shoot(out: Path, size: tuple[int, int]) -> None:
    from rnn_tui.ui.app import RnnTuiApp
    from rnn_tui.ui.screens.runs import RunsScreen
    from rnn_tui.ui.screens.sample import SampleScreen
    from rnn_tui.ui.screens.sweep_summary import SweepSummaryScreen
    from rnn_tui.ui.screens.train import TrainScreen

    app = RnnTuiApp()
    async with app.run_test(size=size) as pilot:
        # Train: the quick preset, a few epochs.
        await train(pilot, epochs="4", sample_length="48")
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        live = app.controller.current
        if live is None or not live.ended or live.status != "finished":
            why = live.status if live is not None else app.controller.error
            raise SystemExit(f"training did not finish: {why}")
        await pilot.press("l")  # log y: the first steps' perplexity would flatten the rest
        screen.repaint_live()
        await still(pilot)
        save(app, out, "train.svg")

        # Sample: F3 follows the run's checkpoint; a fixed seed, a longer text.
        await pilot.press("f3")
        sample = app.screen
        assert isinstance(sample, SampleScreen)
        await wait_until(pilot, lambda: sample.model_info is not None)
        for field, value in {"length": "1500", "temperature": "0.7", "seed": "3"}.items():
            sample.query_one(f"#{field}").value = value  # type: ignore[attr-defined]
        await pilot.pause()
        sample.action_generate()
        await wait_until(pilot, lambda: not sample.generating)
        await still(pilot)
        save(app, out, "sample.svg")

        # Params: the worked example it opens on.
        await pilot.press("f4")
        await still(pilot)
        save(app, out, "params.svg")

        # Runs: a tiny sweep of smaller models, then every run overlaid.
        await train(pilot, hidden="32,64", epochs="4", sample_length="0")
        if isinstance(app.screen, SweepSummaryScreen):
            app.screen.dismiss(None)
        await pilot.press("f5")
        runs = app.screen
        assert isinstance(runs, RunsScreen)
        await wait_until(pilot, lambda: len(runs.table.runs) >= 3)
        for _ in runs.table.runs:
            await pilot.press("space", "down")
        await pilot.press("up")
        loads = runs.loads
        runs.request_load()
        await wait_until(pilot, lambda: runs.loads > loads and all(
            run_id in runs.curves for run_id in runs.chart_ids()
        ))  # fmt: skip
        await still(pilot)
        save(app, out, "runs.svg")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets")
    parser.add_argument("--size", default="120x40", help="columns x rows (default 120x40)")
    args = parser.parse_args(argv)
    columns, rows = (int(n) for n in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rnn-tui-shots-") as tmp:
        os.environ["RNN_TUI_DATA_DIR"] = str(Path(tmp) / "data")
        asyncio.run(shoot(args.out.resolve(), (columns, rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
