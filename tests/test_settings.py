"""Remembered settings: the engine file, and the app restoring them after a restart."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input

from rnn_tui.settings import Settings, load_settings, save_settings, settings_path
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.train import TrainScreen


def test_round_trip_and_defaults(isolated_dirs: Path) -> None:
    path = settings_path()
    assert path.parent == isolated_dirs / "config"
    assert load_settings() == (Settings(), None)  # no file: defaults, no notice
    settings = Settings(form={"hidden": "64,128"}, theme="nord", log_y=True, x_axis="epoch",
                        marks=[3, 1], runs_sort="best", runs_sort_reverse=True)  # fmt: skip
    assert save_settings(settings) is None
    assert load_settings() == (settings, None)
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temp file left


def test_a_damaged_file_gives_defaults_and_a_notice(isolated_dirs: Path) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True)
    for text in ("{not json", "[1, 2]", json.dumps({"version": 1, "marks": ["a"]}),
                 json.dumps({"version": 1, "runs_sort_reverse": "yes"}), "\xff"):  # fmt: skip
        path.write_text(text, encoding="latin-1")
        settings, notice = load_settings()
        assert settings == Settings()
        assert notice is not None and str(path) in notice and "\n" not in notice


async def test_settings_survive_a_restart(isolated_dirs: Path, tiny_corpus: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TrainScreen)
        form = app.screen.form
        form.query_one("#field-corpus", Input).value = str(tiny_corpus)
        form.query_one("#field-hidden", Input).value = "48,96"
        app.theme = "nord"
        await pilot.pause()
        app.screen.chart.log_y = True
        await pilot.pause()
        app.exit()
    saved = json.loads(settings_path().read_text())
    assert saved["form"]["corpus"] == str(tiny_corpus) and saved["theme"] == "nord"
    assert saved["log_y"] is True, saved

    again = RnnTuiApp()
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        form = again.screen.form
        assert form.values()["corpus"] == str(tiny_corpus)
        assert form.values()["hidden"] == "48,96"
        assert again.theme == "nord"
        chart = again.screen.chart
        await pilot.pause()
        assert chart.is_mounted and chart.log_y

    fresh = RnnTuiApp(fresh=True)
    async with fresh.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert fresh.screen.form.values()["corpus"] == ""
        assert fresh.theme != "nord"


async def test_a_corrupt_settings_file_is_survived(isolated_dirs: Path) -> None:
    settings_path().parent.mkdir(parents=True)
    settings_path().write_text('{"version": 1, "form": [', encoding="utf-8")
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TrainScreen)
        notices = [n.message for n in app._notifications]
        assert any("damaged" in message for message in notices), notices
        app.exit()
    assert json.loads(settings_path().read_text())["version"] == 1  # replaced by a good one
