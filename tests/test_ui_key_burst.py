"""Keys typed faster than the app handles them, and pastes: no key and no character is lost.

A burst is what one read from a slow terminal (SSH) holds: the bytes go through Textual's own
parser and every event is queued before the app handles the first, as its driver does.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.widget import Widget
from textual.widgets import Input
from ui_helpers import make_app, wait_until

from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.dialogs import TextPrompt
from rnn_tui.ui.screens.train import TrainScreen
from rnn_tui.ui.widgets.text_field import TextField, one_line

END, BACKSPACE, TAB, ENTER = "\x1b[F", "\x7f", "\t", "\r"
PASTED = "first line\nsecond\r\nthird\tcolumn  end"


def burst(app: App, data: str) -> int:
    """Queue every event Textual's parser makes of `data` before the app handles any;
    how many events that was."""
    parsed = [*XTermParser().feed(data), *XTermParser().feed("")]
    for event in parsed:
        event.set_sender(app)
        app.post_message(event)
    return len(parsed)


async def settled(pilot, field: Input, value: str) -> None:
    await wait_until(pilot, lambda: field.value == value, f"{field.id} holds {value!r}, "
                     f"not {field.value!r}")  # fmt: skip


def test_textual_is_the_pinned_version_whose_internals_the_fix_uses() -> None:
    pyproject = Path(__file__).parents[1].joinpath("pyproject.toml").read_text()
    pinned = re.search(r'"textual==([0-9.]+)"', pyproject)
    assert pinned, "pyproject.toml pins textual== (key_order.py leans on its internals)"
    assert importlib.metadata.version("textual") == pinned.group(1)
    assert callable(App._check_bindings) and callable(Widget._forward_event)
    assert callable(Input._restart_blink)


def test_the_parser_returns_every_key_of_the_burst() -> None:
    keys = [event.key for event in XTermParser().feed(f"64{END}{BACKSPACE}{BACKSPACE}256")]
    assert keys == ["6", "4", "end", "backspace", "backspace", "2", "5", "6"]


async def test_two_backspaces_then_256_in_one_burst_gives_256(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TrainScreen)
        hidden = app.screen.form.query_one("#field-hidden", TextField)
        hidden.focus()
        await pilot.pause()
        assert hidden.selected_text == hidden.value != ""  # focusing selects it: "64" replaces it
        assert burst(app, f"64{END}{BACKSPACE}{BACKSPACE}256") == 8
        await settled(pilot, hidden, "256")
        await pilot.pause()
        assert app.screen.form.values()["hidden"] == "256"


async def test_keys_after_a_tab_in_the_same_burst_go_to_the_next_field(
    isolated_dirs: Path,
) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        form = app.screen.form
        hidden = form.query_one("#field-hidden", TextField)
        hidden.focus()
        await pilot.pause()
        burst(app, f"64{TAB}32{BACKSPACE}1")
        await wait_until(pilot, lambda: app.focused is not hidden, "the tab moved the focus")
        after = app.focused
        assert isinstance(after, TextField)
        await settled(pilot, after, "31")
        assert hidden.value == "64"


async def test_a_burst_in_the_sample_prompt_keeps_every_key() -> None:
    app = make_app("sample")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        prompt = app.screen.query_one("#prompt", TextField)
        assert prompt.value == "the time traveller"
        prompt.focus()
        await pilot.pause()
        burst(app, f"x{BACKSPACE}the time traveller{BACKSPACE * 9}machine")
        await settled(pilot, prompt, "the time machine")


async def test_a_burst_in_the_log_search_keeps_every_key(
    isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        searched: list[str] = []
        monkeypatch.setattr(screen, "search_log", searched.append)
        screen.action_search_log()
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, TextPrompt) and isinstance(app.focused, TextField),
            "the search opens with its field focused",
        )
        burst(app, f"epocj{BACKSPACE}h{END} 22{BACKSPACE}3{ENTER}")
        await wait_until(pilot, lambda: searched, "enter searched the log")
        assert searched == ["epoch 23"]


def test_one_line_keeps_every_character_but_line_breaks() -> None:
    assert one_line(PASTED) == "first line second third column  end"
    assert one_line("256\n") == "256"
    assert one_line("") == ""


async def test_a_paste_keeps_every_character_in_every_text_field(isolated_dirs: Path) -> None:
    """Bracketed (one Paste event) and not (one key event a character), in each text field of
    the Train, Sample, Params and Runs screens and of the text prompt."""
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        checked: list[str] = []
        for screen_key in ("f2", "f3", "f4", "f5"):
            await pilot.press(screen_key)
            await pilot.pause()
            fields = list(app.screen.query(TextField))
            assert fields, f"{screen_key} shows text fields"
            for field in fields:
                checked.append(await paste_into(pilot, field))
        app.push_screen(TextPrompt("Search the log", "x"))
        await pilot.pause()
        checked.append(await paste_into(pilot, app.screen.query_one(TextField)))
        assert {"field-hidden", "prompt", "runs-filter", "prompt-input"} <= set(checked)


async def paste_into(pilot, field: TextField) -> str:
    app = pilot.app
    field.focus()
    field.value = ""
    await pilot.pause()
    burst(app, f"\x1b[200~{PASTED}\x1b[201~")
    await settled(pilot, field, one_line(PASTED))
    field.value = ""
    await pilot.pause()
    burst(app, "a/b c:256,0.5")  # a paste the terminal did not bracket: one key a character
    await settled(pilot, field, "a/b c:256,0.5")
    return field.id or ""
