"""The Runs screen at 80 columns: columns that fit, sorting in two keys, Home/End, marks kept."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_ui_runs import T0, db_path, fake_run, fresh, names, open_runs, row_texts

from rnn_tui.settings import settings_path
from rnn_tui.store import RunStore
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.widgets.runs_table import HIDE_ORDER, visible_columns


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def five_runs(tmp_path: Path) -> list[int]:
    """Five finished or stopped runs with fixed dates and long-ish names."""
    specs = [
        ("lstm-2x384-dropout", "lstm", 2, 384, 32, 0.004, [9.0, 6.5], "finished"),
        ("gru quick try", "gru", 1, 64, 16, 0.01, [12.0, 11.0], "stopped"),
        ("seed notebook", "rnn", 1, 128, 32, 0.01, [14.0, 13.5], "finished"),
        ("d2l chapter", "rnn", 1, 256, 32, 1.0, [10.0, 8.25], "interrupted"),
        ("bigger lstm", "lstm", 3, 512, 64, 0.002, [7.0, 5.75], "finished"),
    ]
    ids = []
    with RunStore(db_path(tmp_path)) as store:
        for index, (name, cell, layers, hidden, batch, lr, val, status) in enumerate(specs):
            config = {"cell": cell, "layers": layers, "hidden": hidden, "batch_size": batch,
                      "lr": lr}  # fmt: skip
            ids.append(
                fake_run(
                    store, config, name, steps=20, val=val, status=status, created=T0 + 600 * index
                )  # fmt: skip
            )
    return ids


def test_visible_columns_hide_the_less_important_first() -> None:
    widths = {key: 8 for key in ("id", "name", "status", "best", *HIDE_ORDER)}
    everything = visible_columns(widths, 1000)
    assert everything[:3] == ["id", "name", "status"]
    narrow = visible_columns(widths, 30)
    assert "best" in narrow and "status" in narrow  # never hidden
    assert "date" not in narrow
    middle = visible_columns(widths, 80)
    assert "date" not in middle and "hidden" in middle


async def test_runs_at_80_columns_show_best_val_and_status(tmp_path: Path) -> None:
    five_runs(tmp_path)
    async with RnnTuiApp().run_test(size=(80, 24)) as pilot:
        screen = await open_runs(pilot)
        table = screen.table
        await pilot.pause()
        assert "best" in table.shown_columns and "status" in table.shown_columns
        assert "date" not in table.shown_columns  # hidden first
        total = sum(column.get_render_width(table) for column in table.columns.values())
        assert total <= table.scrollable_content_region.width, "no column is cut"
        rows = row_texts(screen)
        assert {row["best"] for row in rows} == {"6.50", "11.00", "13.50", "8.25", "5.75"}

        # Sort by best val in two keys; Home and End go to the first and last row.
        await pilot.press("o", "v")
        await pilot.pause()
        assert names(screen)[0] == "bigger lstm" and names(screen)[-1] == "seed notebook"
        await pilot.press("end")
        assert table.highlighted_run.name == "seed notebook"
        await pilot.press("home")
        assert table.highlighted_run.name == "bigger lstm"

        # Marks and the sort order are remembered for the next launch.
        await pilot.press("space")
        await fresh(pilot, screen)
        order = names(screen)
        app = pilot.app
        app.exit()
    saved = json.loads(settings_path().read_text())
    assert len(saved["marks"]) == 1
    assert (saved["runs_sort"], saved["runs_sort_reverse"]) == ("best", False)

    async with RnnTuiApp().run_test(size=(80, 24)) as pilot:
        screen = await open_runs(pilot)
        assert screen.table.marked == set(saved["marks"])
        assert screen.table.sort_column == "best" and names(screen) == order
