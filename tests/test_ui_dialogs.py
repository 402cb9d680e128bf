"""The shared modals: an answer's key or button returns its value; escape cancels with None."""

from __future__ import annotations

import pytest
from textual.app import App

from rnn_tui.ui.screens.dialogs import Answer, ConfirmModal, TextPrompt, yes_no


async def ask(modal, keys: list[str]):
    results: list[object] = []

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(modal, results.append)

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        assert results, f"the modal did not answer after {keys}"
    return results[0]


THREE = [Answer("l", "Leave it running", "leave"), Answer("s", "Stop", "stop", "warning")]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [(["l"], "leave"), (["s"], "stop"), (["escape"], None), (["enter"], "leave")],
)
async def test_confirm_answers_by_key_and_enter_takes_the_first(keys, expected):
    assert await ask(ConfirmModal("Run 7 is going.", THREE), keys) == expected


@pytest.mark.parametrize(("keys", "expected"), [(["y"], True), (["n"], False), (["enter"], False)])
async def test_yes_no_focuses_the_safe_answer(keys, expected):
    assert await ask(yes_no("Delete run 3?", "Delete", "Keep"), keys) is expected


async def test_text_prompt_returns_the_text_and_escape_cancels():
    assert await ask(TextPrompt("Rename", "old"), ["ctrl+u", "n", "e", "w", "enter"]) == "new"
    assert await ask(TextPrompt("Rename", "old"), ["escape"]) is None


async def test_markup_in_a_question_is_shown_as_text():
    modal = ConfirmModal("Delete run [/] and [b]x[/b]?", THREE)
    assert await ask(modal, ["escape"]) is None
