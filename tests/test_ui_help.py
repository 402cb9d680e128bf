"""Help screen (F1, ?) and the command palette provider (ctrl+p)."""

from __future__ import annotations

from textual.command import CommandList
from ui_helpers import make_app, wait_until

from rnn_tui.config import PRESETS
from rnn_tui.ui.commands import RnnTuiCommands
from rnn_tui.ui.screens.help import HelpScreen
from rnn_tui.ui.screens.params import ParamsScreen


async def test_help_opens_with_f1_and_question_mark_and_lists_live_bindings() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")  # the params table has focus: "?" is not typed anywhere
        await pilot.pause()
        for key in ("f1", "question_mark"):
            await pilot.press(key)
            await pilot.pause()
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen)
            lines = help_screen.key_lines()
            assert "f2  Train" in lines and "f3  Sample" in lines
            assert "f1 / ?  Help" in lines
            assert "On the Parameters screen" in lines and "Everywhere" in lines
            assert not any("super" in line or "⌘" in line for line in lines)  # SSH never sends
            # The screen's own keys come from its bindings, not from a copy.
            for binding in ParamsScreen.BINDINGS:
                assert any(line.endswith(binding.description) for line in lines)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, ParamsScreen)


async def test_palette_offers_presets_screens_and_training() -> None:
    app = make_app("sample")

    def palette_offers_params() -> bool:  # the search runs in a worker: its hits come later
        found = app.screen.query(CommandList)
        if not found or found.first().highlighted is None:
            return False
        commands = found.first()
        option = commands.get_option_at_index(commands.highlighted)
        return option.prompt.plain.startswith("Screen: Parameters")

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        provider = RnnTuiCommands(app.screen)
        found = [hit.text async for hit in provider.discover()]
        for name in ("Screen: Train", "Screen: Sample", "Screen: Parameters", "Screen: Runs"):
            assert name in found
        assert [f"Preset: {name}" for name in PRESETS] == [
            text for text in found if text.startswith("Preset: ")
        ]
        assert "Preset: seed" in found
        assert {"Start training", "Stop training", "Sample: Generate"} <= set(found)
        assert [hit.text async for hit in provider.search("preset seed")][0] == "Preset: seed"

        # Through the real palette: ctrl+p, type, enter; the built-in commands stay.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"parameters")
        await wait_until(pilot, palette_offers_params, "the palette's search to offer Parameters")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ParamsScreen)
        providers = {p() if not isinstance(p, type) else p for p in app.COMMANDS}
        assert RnnTuiCommands in providers
        assert any(p.__name__ == "SystemCommandsProvider" for p in providers)
