"""Parameters screen (F4): the worked example, live recomputation, form model, bad input."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, Select, Static
from ui_helpers import make_app

from rnn_tui.config import TrainConfig
from rnn_tui.model.params import BIAS_NOTE, count_params, report_for_config
from rnn_tui.ui.screens.params import ParamsScreen


def totals(screen: ParamsScreen) -> tuple[int, int]:
    """The textbook and PyTorch totals as the table's last row shows them."""
    table = screen.query_one(DataTable)
    row = table.get_row("total")
    assert str(row[0]) == "total"
    assert list(table.rows)[-1].value == "total"
    return int(str(row[3]).replace(",", "")), int(str(row[4]).replace(",", ""))


def text_of(screen: ParamsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_params(pilot) -> ParamsScreen:
    await pilot.press("f4")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ParamsScreen)
    return screen


async def test_opens_on_the_worked_example() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_params(pilot)
        assert totals(screen) == (40, 46)
        assert "Textbook 40" in text_of(screen, "#params-totals")
        assert "PyTorch 46" in text_of(screen, "#params-totals")
        assert text_of(screen, "#params-note") == BIAS_NOTE
        table = screen.query_one(DataTable)
        subtotals = [table.get_row(f"subtotal:layer {n}") for n in (1, 2)]
        assert [(str(r[3]), str(r[4])) for r in subtotals] == [("15", "18"), ("21", "24")]
        # 80 columns stack the form over the table; any resize keeps working.
        assert screen.has_class("-narrow")
        for size in ((120, 40), (60, 20), (40, 12), (200, 60), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
        assert totals(screen) == (40, 46)


async def test_lstm_form_matches_count_params_and_pytorch() -> None:
    import torch

    from rnn_tui.model.charrnn import CharRNN

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_params(pilot)
        screen.query_one("#cell", Select).value = "lstm"
        for field, value in (("hidden", "4"), ("layers", "1"), ("input_size", "2")):
            screen.query_one(f"#{field}", Input).value = value
        screen.query_one("#output_size", Input).value = "2"
        await pilot.pause()
        report = count_params("lstm", 2, 4, 1, 2)
        assert totals(screen) == (report.total_textbook, report.total_pytorch)
        model = CharRNN(2, cell="lstm", hidden=4, layers=1, input_size=2, output_size=2)
        plain = [torch.nn.LSTM(2, 4, 1), torch.nn.Linear(4, 2)]
        pytorch = sum(p.numel() for p in model.parameters())
        assert pytorch == sum(p.numel() for m in plain for p in m.parameters()) == 138
        assert totals(screen) == (pytorch - 4 * 4, pytorch) == (122, 138)
        # Per-gate rows name the LSTM's gates.
        gates = {str(row[1]) for row in map(screen.query_one(DataTable).get_row, _keys(screen))}
        assert {"input", "forget", "cell", "output"} <= gates


def _keys(screen: ParamsScreen) -> list[str]:
    return [key.value for key in screen.query_one(DataTable).rows]


async def test_invalid_sizes_show_a_message_and_keep_the_table() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_params(pilot)
        hidden = screen.query_one("#hidden", Input)
        error = screen.query_one("#hidden-error", Static)
        for bad, expected in (("0", "at least 1"), ("x", "whole number"), ("", "required")):
            hidden.value = bad
            await pilot.pause()
            assert expected in str(error.render()) and error.display
            assert hidden.has_class("-invalid")
            assert "Fix the highlighted field" in text_of(screen, "#params-status")
            assert totals(screen) == (40, 46)  # the last valid model stays
        hidden.value = "5"
        await pilot.pause()
        assert not error.display and not hidden.has_class("-invalid")
        report = count_params("rnn", 1, 5, 2, 1)
        assert totals(screen) == (report.total_textbook, report.total_pytorch)


async def test_form_model_reads_the_vocabulary_then_e_resets(tmp_path: Path) -> None:
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("abc abd\nabe\n", encoding="utf-8")  # clean: "abc abd abe" -> 6 chars
    config = TrainConfig(corpus=str(corpus), cell="gru", layers=2, hidden=8, embedding="5")
    app = make_app()
    app.form_config = config
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_params(pilot)
        await pilot.press("f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        expected = report_for_config(config, 6)
        assert totals(screen) == (expected.total_textbook, expected.total_pytorch)
        assert screen.query_one("#input_size", Input).value == "6"
        assert "embedding.weight" in _keys(screen)[0]
        await pilot.press("e")
        await pilot.pause()
        assert totals(screen) == (40, 46)
        assert screen.query_one("#embedding", Input).value == ""
