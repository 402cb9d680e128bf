"""The Train form's groups below its visible rows are mounted after the first frame: until
then a blank of their height stands in (the same scrollbar), their values are kept and
checked, and once mounted the form is the one a tall terminal gets at once."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.css.scalar import Scalar
from textual.widgets import Input

from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.widgets.choice_field import ChoiceField
from rnn_tui.ui.widgets.config_form import ConfigForm


class FormApp(App[None]):
    def __init__(self, visible_rows: int | None) -> None:
        super().__init__()
        self.visible_rows = visible_rows
        self.before_first_frame: dict[str, bool] = {}
        self.blank_rows: Scalar | None = None

    def compose(self) -> ComposeResult:
        yield ConfigForm(visible_rows=self.visible_rows, id="form")

    def on_mount(self) -> None:
        form = self.query_one(ConfigForm)
        self.before_first_frame = {
            f"{name} widget": bool(form.query(f"#field-{name}"))
            for name in ("cell", "layers", "lr")
        }
        blanks = form.query("#form-later")
        self.blank_rows = blanks.first().styles.height if blanks else None
        form.set_values({"lr": "-1", "epochs": "3"})  # fields not mounted yet


def field_ids(form: ConfigForm) -> list[str]:
    return [w.id or "" for w in form.query("Input, ChoiceField") if w.id]


async def test_groups_below_the_fold_arrive_after_the_first_frame_with_their_values(
    isolated_dirs: Path,
) -> None:
    tall, short = FormApp(None), FormApp(10)
    async with tall.run_test(size=(60, 60)) as pilot:
        await pilot.pause()
        tall_ids = field_ids(tall.query_one(ConfigForm))
        tall_height = tall.query_one(ConfigForm).virtual_size.height
    async with short.run_test(size=(60, 60)) as pilot:
        before = short.before_first_frame
        # 10 rows: the preset, the count, Data (title and 3 fields), Model's title and cell.
        assert before == {"cell widget": True, "layers widget": False, "lr widget": False}
        blank = short.blank_rows
        assert blank is not None and blank.cells == 8 + (2 + 11) + (2 + 1)  # Model's rest...
        await pilot.pause()
        form = short.query_one(ConfigForm)
        assert not form.query("#form-later")
        assert field_ids(form) == tall_ids  # the same fields in the same (focus) order
        assert form.virtual_size.height == tall_height
        lr = form.query_one("#field-lr", Input)
        assert lr.value == "-1" and lr.has_class("-invalid")
        assert "lr" in form.errors and form.query("#error-lr")
        assert form.query_one("#field-epochs", Input).value == "3"


async def test_a_jump_to_a_field_below_the_fold_right_after_start_focuses_it(
    isolated_dirs: Path,
) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.screen.query_one(ConfigForm)
        await form.focus_field("batching")
        await pilot.pause()
        assert app.focused is form.query_one("#field-batching", ChoiceField)
