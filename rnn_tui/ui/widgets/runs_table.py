"""RunsTable: the stored runs as a sortable DataTable that keeps its cursor across refreshes.

The Runs screen hands it the store's rows every second; the table sorts them, updates only
the cells that changed when the rows are the same (a live run's steps, perplexity and
tokens/s), and rebuilds otherwise, keeping the highlighted run highlighted. A first column
shows which runs are marked for the chart. Pressing a header sorts by it (again: reverse).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from rnn_tui.reports.compare import fmt_count, fmt_ppl, fmt_rate
from rnn_tui.reports.lines import short_when
from rnn_tui.store import RunRow
from rnn_tui.store.validate import is_damaged

if TYPE_CHECKING:
    from rnn_tui.ui.widgets.field_jump import JumpScreen

MARK = "●"
NAME_WIDTH = 24  # longer names end in an ellipsis; `rnn-tui runs show` has them whole

# Status -> theme variable for its colour (the CLI's colours, as theme colours).
STATUS_STYLE = {
    "running": ("primary", True),
    "finished": ("success", False),
    "stopped": ("warning", False),
    "diverged": ("error", False),
    "interrupted": ("secondary", False),
    "error": ("error", True),
    "pruned": ("warning", False),
}


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


# column key -> (header, right-aligned, sort key)
COLUMNS: dict[str, tuple[str, bool, Callable[[RunRow], Any]]] = {
    "id": ("ID", True, lambda r: r.id),
    "name": ("Name", False, lambda r: r.name.lower()),
    "status": ("Status", False, lambda r: r.status),
    "cell": ("Cell", False, lambda r: r.cell or None),
    "layers": ("Layers", True, lambda r: r.layers),
    "hidden": ("Hidden", True, lambda r: r.hidden),
    "batch": ("Batch", True, lambda r: r.batch_size),
    "lr": ("LR", True, lambda r: r.lr),
    "best": ("Best val", True, lambda r: r.best_val_ppl),
    "steps": ("Steps", True, lambda r: r.steps),
    "tok_s": ("Tok/s", True, lambda r: r.tokens_per_s),
    "date": ("Started", False, lambda r: r.created),
}
SORTABLE = tuple(COLUMNS)
DEFAULT_SORT = ("date", True)  # newest first, like `rnn-tui runs list`
# The order columns hide in when the table is too narrow; best val and status never hide.
HIDE_ORDER = ("date", "tok_s", "batch", "lr", "layers", "steps", "cell", "hidden", "id")
CELL_PADDING = 2  # DataTable's default: one column either side of every cell
# One key per column for `o` (sort by) on the Runs screen.
SORT_KEYS = {
    "v": "best",
    "s": "status",
    "i": "id",
    "n": "name",
    "c": "cell",
    "l": "layers",
    "h": "hidden",
    "b": "batch",
    "r": "lr",
    "t": "steps",
    "k": "tok_s",
    "d": "date",
    "m": "mark",
}


def sort_chooser() -> JumpScreen:
    """The list a sort column is chosen from by its key (SORT_KEYS)."""
    from rnn_tui.ui.widgets.field_jump import JumpScreen  # only when o is pressed

    labels = {name: COLUMNS[name][0] for name in COLUMNS}
    labels["mark"] = "marked"
    return JumpScreen(
        list(SORT_KEYS.values()),
        title="sort by: press a column's key (again: reverse; esc closes)",
        hints=SORT_KEYS,
        labels=labels,
    )


def visible_columns(widths: dict[str, int], available: int) -> list[str]:
    """The columns that fit in `available` cells, hiding HIDE_ORDER's first ones first.

    `widths` holds each column's widest cell (header included), without padding; the
    mark column is always there. The result keeps COLUMNS' order.
    """
    shown = [key for key in COLUMNS if key in widths]
    hide = [key for key in HIDE_ORDER if key in shown]

    def total() -> int:
        return 1 + CELL_PADDING + sum(widths[key] + CELL_PADDING for key in shown)

    while total() > available and hide:
        shown.remove(hide.pop(0))
    return shown


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def fmt_lr(value: Any) -> str:
    if value is None:
        return "-"
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def fmt_int(value: Any) -> str:
    return "-" if value is None else str(value)


def cell_texts(run: RunRow) -> dict[str, str]:
    """The text of every column but the mark, the way `rnn-tui runs list` writes it; a
    damaged row shows why in its name column."""
    damaged = is_damaged(run)
    return {
        "id": str(run.id),
        "name": short_name(run.message if damaged else run.name),
        "status": run.status,
        "cell": run.cell or "-",
        "layers": fmt_int(run.layers),
        "hidden": fmt_int(run.hidden),
        "batch": fmt_int(run.batch_size),
        "lr": fmt_lr(run.lr),
        "best": fmt_ppl(run.best_val_ppl),
        "steps": fmt_count(run.steps),
        "tok_s": fmt_rate(run.tokens_per_s),
        "date": "-" if damaged else short_when(run.created),
    }


def sort_runs(runs: Iterable[RunRow], column: str, reverse: bool, marked: set[int]) -> list[RunRow]:
    """Sorted by one column; runs without a value come last in either direction."""
    if column == "mark":
        key: Callable[[RunRow], Any] = lambda r: r.id not in marked  # noqa: E731
    else:
        key = COLUMNS[column][2]
    runs = list(runs)
    known = [r for r in runs if key(r) is not None]
    unknown = [r for r in runs if key(r) is None]
    # Ties keep a stable, useful order: newest first.
    known.sort(key=lambda r: (-r.created, -r.id))
    known.sort(key=key, reverse=reverse)
    return known + unknown


class RunsTable(DataTable):
    """Runs, one per row (the row key is the run id as text)."""

    DEFAULT_CSS = """
    RunsTable {
        height: 1fr;
        min-height: 4;
    }
    """

    BINDINGS: ClassVar = [
        Binding("home", "first_row", "First run", show=False, id="runs.first"),
        Binding("end", "last_row", "Last run", show=False, id="runs.last"),
    ]

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's spelling
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.sort_column, self.sort_reverse = DEFAULT_SORT
        self.marked: set[int] = set()
        self.runs: list[RunRow] = []  # in the order shown
        self._shown: dict[int, dict[str, Any]] = {}  # run id -> cells as shown
        self.shown_columns: list[str] = list(COLUMNS)  # the columns that fit the width now

    # -- reading

    @property
    def highlighted_id(self) -> int | None:
        """The run under the cursor, or None when the table is empty."""
        if not self.runs or self.cursor_row < 0 or self.cursor_row >= len(self.runs):
            return None
        return self.runs[self.cursor_row].id

    @property
    def highlighted_run(self) -> RunRow | None:
        run_id = self.highlighted_id
        return None if run_id is None else self.run_by_id(run_id)

    def run_by_id(self, run_id: int) -> RunRow | None:
        return next((run for run in self.runs if run.id == run_id), None)

    def shown_ids(self) -> list[int]:
        return [run.id for run in self.runs]

    # -- writing

    def on_mount(self) -> None:
        self._build_columns()

    def action_first_row(self) -> None:
        if self.runs:
            self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        if self.runs:
            self.move_cursor(row=len(self.runs) - 1, animate=False)

    def on_resize(self) -> None:
        self._fit_columns(self.runs)

    def _fit_columns(self, runs: list[RunRow]) -> bool:
        """Show the columns that fit the width; True (and rebuilt) when they changed."""
        width = self.scrollable_content_region.width or self.size.width
        if width <= 0:
            return False
        widths = {  # the sorted column's header has an arrow
            key: len(header) + (2 if key == self.sort_column else 0)
            for key, (header, _, _) in COLUMNS.items()
        }
        for run in runs:
            for key, text in cell_texts(run).items():
                widths[key] = max(widths[key], len(text))
        visible = visible_columns(widths, width)
        if visible == self.shown_columns:
            return False
        self.shown_columns = visible
        keep = self.highlighted_id
        self._build_columns()
        self._rebuild(runs, keep)
        return True

    def set_runs(self, runs: list[RunRow]) -> None:
        """Show these runs (sorted); keeps the highlighted run under the cursor."""
        ordered = sort_runs(runs, self.sort_column, self.sort_reverse, self.marked)
        keep = self.highlighted_id
        if self._fit_columns(ordered):
            return
        if [r.id for r in ordered] == self.shown_ids() and self.columns:
            self.runs = ordered
            for run in ordered:
                cells = self._cells(run)
                old = self._shown.get(run.id, {})
                for column, value in cells.items():
                    if old.get(column) != value:
                        self.update_cell(str(run.id), column, value, update_width=True)
                self._shown[run.id] = cells
            return
        self._rebuild(ordered, keep)

    def toggle_mark(self, run_id: int) -> bool:
        """Mark or unmark a run; True when it is marked now."""
        if run_id in self.marked:
            self.marked.discard(run_id)
        else:
            self.marked.add(run_id)
        if run_id in self._shown:
            value = self._mark_cell(run_id)
            self.update_cell(str(run_id), "mark", value)
            self._shown[run_id]["mark"] = value
        return run_id in self.marked

    def clear_marks(self) -> None:
        for run_id in list(self.marked):
            self.toggle_mark(run_id)

    class SortChanged(Message):
        """The user sorted the table another way (the screen remembers it)."""

        def __init__(self, column: str, reverse: bool) -> None:
            super().__init__()
            self.column = column
            self.reverse = reverse

    def restore_sort(self, column: str | None, reverse: bool) -> None:
        """The order a past session left (ignored when that column no longer exists);
        before the first rows arrive."""
        if column in COLUMNS or column == "mark":
            self.sort_column, self.sort_reverse = column, reverse

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        """Sort by a column; with `reverse` None, the same column again flips the order."""
        if column not in COLUMNS and column != "mark":
            return
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column, self.sort_reverse = column, reverse
        self.post_message(self.SortChanged(column, reverse))
        keep, runs = self.highlighted_id, self.runs
        if self._fit_columns(sort_runs(runs, column, reverse, self.marked)):
            return
        self._build_columns()
        self._rebuild(sort_runs(runs, column, reverse, self.marked), keep)

    def cycle_sort(self) -> None:
        """The next column, ascending."""
        order = list(SORTABLE)
        index = order.index(self.sort_column) if self.sort_column in order else -1
        self.sort_by(order[(index + 1) % len(order)], reverse=False)

    def reverse_sort(self) -> None:
        self.sort_by(self.sort_column, reverse=not self.sort_reverse)

    def sort_description(self) -> str:
        header = "marked" if self.sort_column == "mark" else COLUMNS[self.sort_column][0]
        return f"{header.lower()} {'▼' if self.sort_reverse else '▲'}"

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))

    # -- internals

    def _build_columns(self) -> None:
        self.clear(columns=True)
        self._shown.clear()
        self.add_column(" ", key="mark", width=1)
        for key, (header, right, _) in COLUMNS.items():
            if key not in self.shown_columns:
                continue
            label = header
            if key == self.sort_column:
                label += " ▼" if self.sort_reverse else " ▲"
            self.add_column(Text(label, justify="right" if right else "left"), key=key)
        self.runs = []

    def _rebuild(self, ordered: list[RunRow], keep: int | None) -> None:
        old_index = self.cursor_row
        scroll_y = self.scroll_y
        self.clear()
        self._shown.clear()
        self.runs = ordered
        for run in ordered:
            cells = self._cells(run)
            self._shown[run.id] = cells
            self.add_row(*cells.values(), key=str(run.id))
        if not ordered:
            return
        ids = [r.id for r in ordered]
        index = ids.index(keep) if keep in ids else min(max(old_index, 0), len(ids) - 1)
        self.scroll_to(y=scroll_y, animate=False, immediate=True)
        self.move_cursor(row=index, animate=False)

    def _mark_cell(self, run_id: int) -> Text:
        return Text(MARK if run_id in self.marked else " ", style="bold")

    def _cells(self, run: RunRow) -> dict[str, Any]:
        texts = cell_texts(run)
        cells: dict[str, Any] = {"mark": self._mark_cell(run.id)}
        for key, (_, right, _) in COLUMNS.items():
            if key not in self.shown_columns:
                continue
            text = texts[key]
            if key == "status":
                cells[key] = Text(text, style=self._status_style(text))
            else:
                cells[key] = Text(text, justify="right" if right else "left")
        return cells

    def _status_style(self, status: str) -> Style | str:
        variable, bold = STATUS_STYLE.get(status, ("", False))
        colour = self.app.theme_variables.get(variable) if variable and self.is_attached else None
        try:
            return Style(color=colour, bold=bold) if colour else ("bold" if bold else "")
        except Exception:  # noqa: BLE001 - a theme value rich cannot parse
            return "bold" if bold else ""
