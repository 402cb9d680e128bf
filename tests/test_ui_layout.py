"""The layout at 80x24 and 120x40: nothing the user needs is cut, wrapped in two or covered.

The fixed run of fake_runs is written into the store by the test (no process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_runs import attached, fake_live_run
from textual.widgets import Label, Static
from textual.widgets._footer import FooterKey
from ui_helpers import wait_until

from rnn_tui.config import FIELDS
from rnn_tui.ui.app import SCREEN_KEYS, SWEEPS_KEY, RnnTuiApp
from rnn_tui.ui.widgets.app_footer import AppFooter
from rnn_tui.ui.widgets.reflow_log import ReflowLog
from rnn_tui.ui.widgets.text_field import TextField

SIZES = [(80, 24), (120, 40)]
SIZE_IDS = ["80x24", "120x40"]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_the_status_line_fits_its_width(isolated_dirs: Path, size: tuple[int, int]) -> None:
    fake_live_run()
    app = RnnTuiApp()
    async with app.run_test(size=size) as pilot:
        screen = await attached(pilot)
        status = screen.query_one("#status", Static)
        text = str(status.render())
        assert len(text) <= status.content_size.width, text
        assert text.startswith("attached to run 1 (started 12 min ago) · running · ")
        assert "best" in text and "5.470" in text


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_every_form_label_is_on_one_line(isolated_dirs: Path, size: tuple[int, int]) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        form = app.screen.form
        form.query_one("#field-epochs").focus()
        await pilot.pause()
        labels = list(form.query(".field-label").results(Label))
        assert {label.id for label in labels} >= {"label-weight_dropout", "label-input_dropout"}
        shown = [label for label in labels if label.size.width]  # not in a folded group
        assert len(shown) >= len(FIELDS) // 2
        for label in shown:
            name = str(label.render())
            assert label.size.height == 1 and label.content_size.width >= len(name), name


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_quit_is_the_footer_first_key_on_every_screen(
    isolated_dirs: Path, size: tuple[int, int]
) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=size) as pilot:
        for screen_key in ("f2", "f3", "f4", "f5", SWEEPS_KEY):
            await pilot.press(screen_key)
            keys = {key: name for name, (key, _) in SCREEN_KEYS.items()} | {SWEEPS_KEY: "sweeps"}
            mode = keys[screen_key]
            await wait_until(
                pilot, lambda mode=mode: app.current_mode == mode, f"{screen_key} opened"
            )
            for focus_text in (False, True):
                fields = list(app.screen.query(TextField))
                if focus_text and fields:
                    fields[0].focus()
                elif not focus_text:
                    app.screen.set_focus(None)

                def first_key() -> FooterKey | None:
                    # The footer recomposes after a focus change: wait for it, not a pause.
                    keys = list(app.screen.query_one(AppFooter).query(FooterKey))
                    return keys[0] if keys and keys[0].region.width > 0 else None

                await wait_until(pilot, first_key, f"{screen_key}: the footer shows its keys")
                key = first_key()
                assert key is not None and key.action == "quit", (screen_key, key)
                assert key.region.right <= size[0]


async def test_the_maximized_log_wraps_its_lines_at_its_new_width(isolated_dirs: Path) -> None:
    fake_live_run(epochs_done=3)
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await attached(pilot)
        log = screen.query_one("#log", ReflowLog)
        narrow = log.scrollable_content_region.width
        epoch_line = "Epoch 1, Loss 2.2752, Perplexity 9.7301 | val ppl 10.730 * | 20,000 tok/s"
        assert narrow < len(epoch_line) < 110  # beside the form it must wrap; maximized not
        log.focus()
        await pilot.press("g")
        await pilot.pause()
        await pilot.pause()
        assert screen.maximized is log and log.scrollable_content_region.width > 110
        texts = [strip.text.rstrip() for strip in log.lines]
        assert epoch_line in texts, texts
        await pilot.press("g")
        await pilot.pause()
        await pilot.pause()
        assert epoch_line not in [strip.text.rstrip() for strip in log.lines]  # wrapped again


async def test_a_search_says_where_it_is_in_the_log_border_not_in_a_toast(
    isolated_dirs: Path,
) -> None:
    fake_live_run(epochs_done=3)
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await attached(pilot)
        app.clear_notifications()
        await pilot.pause()
        log = screen.query_one("#log", ReflowLog)
        assert screen.search_log("traveller") == 3
        await pilot.pause()
        assert log.border_title is not None and "match 1 of 3" in log.border_title
        assert not app._notifications, "no toast covers the log"
        screen.action_next_match()
        assert "match 2 of 3" in (log.border_title or "")
        assert screen.search_log("[b]nowhere") == 0  # a search text is never markup
        assert "not in the log: [b]nowhere" in str(log._border_title)
        assert screen.search_log("") == 0 and log.border_title is None
