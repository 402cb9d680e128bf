"""Parameters screen: a CharRNN's parameter count, layer by layer, textbook vs PyTorch.

The table is arithmetic on the sizes (rnn_tui.model.params), so it is recomputed on every
keystroke of the side form. It opens on the seed's worked example (a 2-layer vanilla RNN,
input 1, hidden 3, output 1: 40 by the textbook, 46 in PyTorch); `f` loads the Train
form's model, whose vocabulary size is read from its corpus in a thread worker.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Label, Select, Static

from rnn_tui.config import CELLS, TrainConfig
from rnn_tui.model.params import BIAS_NOTE, ParamReport
from rnn_tui.ui.screens.params_table import (
    CELL_LABELS,
    COLUMNS,
    SIZE_FIELDS,
    WORKED_EXAMPLE,
    ModelSizes,
    form_model_sizes,
    parse_size,
    table_rows,
)
from rnn_tui.ui.typed_app import app_of
from rnn_tui.ui.widgets.app_footer import AppFooter
from rnn_tui.ui.widgets.key_order import KeysInOrder
from rnn_tui.ui.widgets.text_field import TextField

DEFAULT_VOCAB = 28  # The Time Machine after "clean"/"d2l" preprocessing: 26 letters, space, …


class ParamsScreen(KeysInOrder, Screen):
    """Layer-by-layer parameter table with a side form that recomputes it live."""

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]

    # The table has focus first so the letter keys work; tab moves into the form and
    # escape comes back.
    AUTO_FOCUS = "#params-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "use_form_model", "Form model", id="params.form_model"),
        Binding("e", "worked_example", "Worked example", id="params.worked_example"),
        Binding("p", "toggle_gates", "Gate rows", id="params.toggle_gates"),
        Binding("t,escape", "focus_table", "Focus the table", id="params.focus_table", show=False),
    ]

    DEFAULT_CSS = """
    ParamsScreen {
        #params-body { height: 1fr; }
        #params-form {
            width: 30;
            height: 1fr;
            padding: 0 1;
            background: $panel;
            border-right: vkey $primary 50%;
        }
        #params-form-title { text-style: bold; color: $primary; padding-bottom: 1; }
        .field { height: auto; margin-bottom: 1; }
        .field Label { color: $text-muted; }
        .field Input, .field Select { width: 1fr; }
        .field Input { background: $boost; }
        .field-error { color: $error; height: auto; display: none; }
        .field-error.-shown { display: block; }
        #params-main { width: 1fr; height: 1fr; padding: 0 1; }
        #params-totals { height: auto; text-style: bold; color: $text-primary; }
        #params-summary { height: auto; color: $text-muted; }
        #params-note { height: auto; color: $text-warning; }
        #params-status { height: auto; color: $error; display: none; }
        #params-status.-shown { display: block; }
        #params-table { height: 1fr; margin-top: 1; }
        #params-detail { height: auto; max-height: 3; color: $text-muted; }

        &.-narrow {
            #params-body { layout: vertical; }
            #params-form {
                width: 1fr;
                height: auto;
                max-height: 6;
                layout: grid;
                grid-size: 6;
                grid-columns: 2fr 1fr 1fr 1fr 1fr 1fr;
                grid-gutter: 0 1;
                border-right: none;
                border-bottom: hkey $primary 50%;
            }
            #params-form-title { display: none; }
            .field { margin-bottom: 0; }
            #params-main { height: 1fr; }
            #params-table { margin-top: 0; }
        }
    }
    """

    class VocabSize(Message):
        """The Train form's vocabulary size, read off the UI thread."""

        def __init__(
            self, config: TrainConfig, guess: ModelSizes, vocab_size: int, note: str
        ) -> None:
            super().__init__()
            self.config = config
            self.guess = guess
            self.vocab_size = vocab_size
            self.note = note

    def __init__(self) -> None:
        super().__init__()
        self.sizes: ModelSizes = WORKED_EXAMPLE
        self.report: ParamReport = WORKED_EXAMPLE.report()
        self.per_gate = True
        self._details: dict[str, str] = {}  # row key -> the line shown under the table

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="params-body"):
            with VerticalScroll(id="params-form", can_focus=False):
                yield Static("Model", id="params-form-title")
                with Vertical(classes="field"):
                    yield Label("cell")
                    yield Select(
                        [(CELL_LABELS[c], c) for c in CELLS],
                        value=WORKED_EXAMPLE.cell,
                        allow_blank=False,
                        compact=True,
                        id="cell",
                    )
                for field_id, (label, *_rest) in SIZE_FIELDS.items():
                    with Vertical(classes="field"):
                        yield Label(label)
                        value = getattr(WORKED_EXAMPLE, field_id)
                        yield TextField(
                            "" if value is None else str(value),
                            placeholder="one-hot" if field_id == "embedding" else "",
                            compact=True,
                            id=field_id,
                        )
                        yield Static(
                            "", classes="field-error", id=f"{field_id}-error", markup=False
                        )
            with Vertical(id="params-main"):
                yield Static(id="params-totals")
                yield Static(id="params-summary")
                yield Static(BIAS_NOTE, id="params-note")
                yield Static(id="params-status", markup=False)
                yield DataTable(id="params-table", cursor_type="row", zebra_stripes=True)
                yield Static(id="params-detail", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        self._show(self.sizes)

    # -- the table ------------------------------------------------------------------------

    def _show(self, sizes: ModelSizes) -> None:
        self.sizes = sizes
        self.report = sizes.report(per_gate=self.per_gate)
        report = self.report
        self.query_one("#params-totals", Static).update(
            f"Textbook {report.total_textbook:,}   PyTorch {report.total_pytorch:,}   "
            f"(+{report.total_pytorch - report.total_textbook:,})"
        )
        self.query_one("#params-summary", Static).update(report.summary())
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        self._details = {}
        for row in table_rows(report):
            table.add_row(*row.cells, key=row.key)
            self._details[row.key] = row.detail
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.query_one("#params-detail", Static).update(
            self._details.get(event.row_key.value or "", "")
        )

    # -- the form -------------------------------------------------------------------------

    def _read_form(self) -> ModelSizes | None:
        """The form's sizes, showing each field's problem beside it; None when any is bad."""
        values: dict[str, int | None] = {}
        ok = True
        for field_id, (_label, minimum, maximum, optional) in SIZE_FIELDS.items():
            error = self.query_one(f"#{field_id}-error", Static)
            try:
                values[field_id] = parse_size(
                    self.query_one(f"#{field_id}", Input).value, minimum, maximum, optional
                )
            except ValueError as exc:
                ok = False
                error.update(str(exc))
                error.add_class("-shown")
                self.query_one(f"#{field_id}", Input).add_class("-invalid")
            else:
                error.update("")
                error.remove_class("-shown")
                self.query_one(f"#{field_id}", Input).remove_class("-invalid")
        status = self.query_one("#params-status", Static)
        if not ok:
            status.update("Fix the highlighted field; the table shows the last valid model.")
            status.add_class("-shown")
            return None
        status.remove_class("-shown")
        cell = self.query_one("#cell", Select).value
        return ModelSizes(cell=str(cell), **values)  # type: ignore[arg-type]

    @on(Input.Changed)
    @on(Select.Changed)
    def _form_changed(self) -> None:
        sizes = self._read_form()
        if sizes is not None and sizes != self.sizes:
            self._show(sizes)

    def _fill_form(self, sizes: ModelSizes) -> None:
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#cell", Select).value = sizes.cell
            for field_id in SIZE_FIELDS:
                value = getattr(sizes, field_id)
                self.query_one(f"#{field_id}", Input).value = "" if value is None else str(value)
        self._read_form()  # clears stale messages
        self._show(sizes)

    # -- actions --------------------------------------------------------------------------

    def action_worked_example(self) -> None:
        self._fill_form(WORKED_EXAMPLE)
        self.notify("The seed's worked example: textbook 40, PyTorch 46", timeout=3)

    def action_toggle_gates(self) -> None:
        self.per_gate = not self.per_gate
        self._show(self.sizes)
        self.notify("One row per gate" if self.per_gate else "One row per tensor", timeout=2)

    def action_focus_table(self) -> None:
        self.query_one(DataTable).focus()

    def action_use_form_model(self) -> None:
        """Show the Train form's model now with a guessed vocabulary size, then the real one.

        The corpus is read in a thread worker (a large file takes a moment);
        its answer replaces the guess unless the form was edited meanwhile.
        """
        config = app_of(self).state.form_config
        problems = {
            k: v
            for k, v in config.validate().items()
            if k in ("cell", "layers", "hidden", "embedding")
        }
        if problems:
            listed = "; ".join(f"{k} {v}" for k, v in problems.items())
            self.notify(
                f"The Train form's model is not valid: {listed}", severity="error", markup=False
            )
            return
        guess = form_model_sizes(config, DEFAULT_VOCAB)
        self._fill_form(guess)
        self.notify(
            f"Train form's model; reading {config.corpus_label}'s vocabulary…",
            timeout=2,
            markup=False,
        )
        self._vocab_size(config, guess)

    @work(thread=True, exclusive=True, exit_on_error=False, group="vocab")
    def _vocab_size(self, config: TrainConfig, guess: ModelSizes) -> None:
        """Read and preprocess the corpus (can take a moment) to learn its vocabulary size."""
        from rnn_tui.data.corpus import vocab_size
        from rnn_tui.errors import RnnTuiError

        try:
            size = vocab_size(config.corpus or None, config.preprocess)
            note = f"vocabulary of {config.corpus_label} ({config.preprocess}): {size}"
        except (RnnTuiError, OSError) as exc:
            size = DEFAULT_VOCAB
            note = f"vocabulary size assumed {DEFAULT_VOCAB} ({exc})"
        self.post_message(self.VocabSize(config, guess, size, note))

    @on(VocabSize)
    def _vocab_known(self, message: VocabSize) -> None:
        if self.sizes != message.guess:
            return  # the user changed the form meanwhile: keep their numbers
        self._fill_form(form_model_sizes(message.config, message.vocab_size))
        self.notify(f"Train form's model; {message.note}", timeout=4, markup=False)
