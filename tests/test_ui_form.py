"""The Train form from the keyboard: choice fields swallow letters, jump mode, visible focus."""

from __future__ import annotations

from pathlib import Path

from textual.color import Color
from textual.widgets import Input, Label

from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.train import TrainScreen
from rnn_tui.ui.widgets.choice_field import CHANGE_HINT, ChoiceField
from rnn_tui.ui.widgets.config_form import ConfigForm
from rnn_tui.ui.widgets.field_jump import JumpScreen


def form_of(app: RnnTuiApp) -> ConfigForm:
    assert isinstance(app.screen, TrainScreen)
    return app.screen.form


async def test_letters_typed_on_a_choice_field_start_nothing(
    isolated_dirs: Path, tiny_corpus: Path
) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        form = form_of(app)
        form.query_one("#field-corpus", Input).value = str(tiny_corpus)
        await pilot.pause()
        assert form.is_valid  # so a stray `s` reaching the screen would start a run
        cell = form.query_one("#field-cell", ChoiceField)
        cell.focus()
        await pilot.pause()
        chart = app.screen.chart
        await pilot.press(*"/home/user/slides.txt", "x", "l", "e", "s")
        await pilot.pause()
        assert app.controller.current is None and not app.controller.running
        assert not chart.log_y and app.screen.x_axis == "step"
        assert app.focused is cell
        assert cell.value in ("rnn", "gru", "lstm")


async def test_a_letter_changes_no_choice_and_says_how_to(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        form = form_of(app)
        cell = form.query_one("#field-preprocess", ChoiceField)
        before = cell.value
        cell.focus()
        await pilot.press(*"raw")
        await pilot.pause()
        assert form.values()["preprocess"] == before  # a letter never changes it unseen
        assert cell.hinting and CHANGE_HINT.strip() in str(cell.render())
        await pilot.press("right")
        await pilot.pause()
        index = cell.choices.index(before)
        assert form.values()["preprocess"] == cell.choices[(index + 1) % len(cell.choices)]
        assert not cell.hinting  # the hint goes once the choice changed
        await pilot.press("left", "space")
        await pilot.pause()
        assert form.values()["preprocess"] == cell.choices[(index + 1) % len(cell.choices)]
        await pilot.press("enter")
        await pilot.pause()
        assert form.values()["preprocess"] == cell.choices[(index + 2) % len(cell.choices)]


async def test_jump_mode_reaches_a_folded_field_in_two_keys(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = form_of(app)
        names = form.field_names()
        assert names[0] == "preset" and "epochs" in names and "seed" in names
        form.query_one("#field-corpus", Input).focus()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, JumpScreen)
        key = next(k for k, name in app.screen.hints.items() if name == "seed")
        await pilot.press(key)
        await pilot.pause()
        await pilot.pause()
        seed = form.query_one("#field-seed", Input)  # in the folded section: built on demand
        assert app.focused is seed
        assert seed.region.height > 0 and form.scrollable_content_region.contains_region(
            seed.region
        ), "the jumped-to field is scrolled into view"


async def test_focus_is_visible_and_the_form_is_no_focus_stop(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        form = form_of(app)
        assert not form.can_focus
        hidden = form.query_one("#field-hidden", Input)
        unfocused = hidden.styles.border_left
        hidden.focus()
        await pilot.pause()
        assert form.query_one("#label-hidden", Label).has_class("-focused")
        assert hidden.styles.border_left != unfocused  # the accent bar
        accent = Color.parse(app.theme_variables["accent"])
        assert hidden.styles.border_left[1].rgb == accent.rgb
        form.query_one("#field-lr", Input).focus()
        await pilot.pause()
        assert not form.query_one("#label-hidden", Label).has_class("-focused")
        assert form.query_one("#label-lr", Label).has_class("-focused")


async def test_tab_order_follows_reading_order(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        form = form_of(app)
        form.query_one("#preset", ChoiceField).focus()
        await pilot.pause()
        seen = []
        for _ in range(len(form.field_names()) - len(form._folded)):
            seen.append(app.focused.id)
            await pilot.press("tab")
        expected = ["preset", *(f"field-{n}" for n in form.field_names()[1:])]
        assert seen == expected[: len(seen)]


async def test_tab_keeps_the_focused_field_visible_at_80x24(isolated_dirs: Path) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = form_of(app)
        help_line = form.query_one("#field-help")
        form.focus()
        await pilot.pause()
        for _ in range(len(form.field_names()) - len(form._folded) - 1):
            await pilot.press("tab")
            await pilot.pause()
            await pilot.pause()
            field = app.focused
            assert field is not None
            inside = form.region.contains_region(field.region)
            assert inside and field.region.bottom <= help_line.region.y, f"{field.id} hidden"
