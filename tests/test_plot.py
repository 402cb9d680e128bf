"""rnn_tui.reports.plot.text_chart: the plotext chart the CLI prints when matplotlib is absent."""

from __future__ import annotations

import math
import re

from rnn_tui.reports.curves import Series, finite_points
from rnn_tui.reports.plot import text_chart

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def lines_of(chart: str) -> list[str]:
    return ANSI.sub("", chart).rstrip("\n").split("\n")


def test_chart_fills_the_requested_size_with_title_axis_and_legend():
    chart = text_chart(
        [Series("train", [1, 2, 3, 4], [30.0, 12.0, 8.0, 6.0])],
        width=60,
        height=15,
        xlabel="epoch",
        title="Perplexity",
    )
    lines = lines_of(chart)
    assert len(lines) == 15
    assert {len(line) for line in lines} == {60}
    assert lines[0].strip() == "Perplexity"
    assert lines[-1].strip() == "epoch"
    assert "train" in lines[2]  # the legend, inside the frame's first row
    # the y axis spans the data: its top tick is the first point, its bottom one the last
    ticks = [int(m.group(1)) for line in lines if (m := re.match(r"\s*(\d+)┤", line))]
    assert ticks[0] == 30 and ticks[-1] == 6
    assert lines[-2].split()[0] == "1.00" and lines[-2].split()[-1] == "4.00"


def test_points_plotext_cannot_draw_are_dropped_not_fatal():
    inf, nan = math.inf, math.nan
    chart = text_chart(
        [
            Series("train", [1, 2, 3, 4], [30.0, inf, 8.0, 6.0]),
            Series("val", [1, 2], [nan, 0.0]),  # nothing drawable: no line, no legend entry
        ],
        width=50,
        height=12,
    )
    text = "\n".join(lines_of(chart))
    assert "train" in text and "val" not in text
    ticks = [int(m.group(1)) for line in lines_of(chart) if (m := re.match(r"\s*(\d+)┤", line))]
    assert max(ticks) == 30  # inf did not stretch the axis


def test_an_empty_chart_still_has_its_frame_and_labels():
    lines = lines_of(text_chart([], width=40, height=10, xlabel="step", title="Nothing yet"))
    assert len(lines) == 10
    assert lines[0].strip() == "Nothing yet"
    assert lines[-1].strip() == "step"
    assert lines[1].startswith("┌") and lines[-2].startswith("└")


def test_each_chart_starts_from_a_clean_figure():
    text_chart([Series("first", [1, 2], [5.0, 4.0])], width=40, height=10)
    second = "\n".join(
        lines_of(text_chart([Series("second", [1, 2], [3.0, 2.0])], width=40, height=10))
    )
    assert "second" in second and "first" not in second


def test_finite_points_keeps_only_drawable_pairs():
    xs, ys = finite_points(
        [1, 2, 3, 4, 5, math.nan], [2.0, math.inf, -1.0, 0.0, 3.0, 1.0], positive=True
    )
    assert (xs, ys) == ([1, 5], [2.0, 3.0])
