"""PplChart: min/max downsampling, non-finite filtering, log scale, failures shown, not raised."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import App, ComposeResult

from rnn_tui.ui.widgets.ppl_chart import (
    PplChart,
    downsample_minmax,
    finite_points,
    integer_ticks,
    tick_label,
)


def test_downsample_keeps_min_and_max_of_each_bucket() -> None:
    xs = list(range(10))
    ys = [5, 1, 9, 3, 2, 8, 7, 0, 4, 6]
    # Buckets 0-4 and 5-9: (1, 1) is the low and (2, 9) the high of the first,
    # (5, 8) the high and (7, 0) the low of the second; each pair in x order.
    assert downsample_minmax(xs, ys, 2) == ([1, 2, 5, 7], [1, 9, 8, 0])


def test_downsample_uneven_buckets_and_flat_runs() -> None:
    xs = [0, 1, 2, 3, 4, 5, 6]
    ys = [3.0, 3.0, 3.0, 1.0, 2.0, 0.5, 4.0]
    # 7 points in 3 buckets: [0, 1], [2, 3], [4, 5, 6]; a flat bucket keeps one point.
    assert downsample_minmax(xs, ys, 3) == ([0, 2, 3, 5, 6], [3.0, 3.0, 1.0, 0.5, 4.0])


def test_downsample_leaves_short_series_alone() -> None:
    assert downsample_minmax([1, 2, 3], [4, 5, 6], 2) == ([1, 2, 3], [4, 5, 6])
    assert downsample_minmax([1, 2, 3], [4, 5, 6], 0) == ([1, 2, 3], [4, 5, 6])
    assert downsample_minmax([], [], 5) == ([], [])


def test_downsample_bounds_the_point_count() -> None:
    xs = list(range(10_000))
    ys = [math.sin(i) for i in xs]
    out_x, out_y = downsample_minmax(xs, ys, 100)
    assert len(out_x) == len(out_y) <= 200
    assert out_x == sorted(out_x)
    assert min(out_y) == min(ys) and max(out_y) == max(ys)


def test_finite_points_drop_nan_inf_and_none() -> None:
    inf, nan = float("inf"), float("nan")
    xs = [1, 2, 3, 4, 5, inf]
    ys = [10.0, inf, nan, None, 0.0, 1.0]
    assert finite_points(xs, ys) == ([1, 5], [10.0, 0.0])
    assert finite_points(xs, ys, positive=True) == ([1], [10.0])


class ChartApp(App):
    def compose(self) -> ComposeResult:
        yield PplChart(id="chart")


async def test_empty_chart_says_so() -> None:
    async with ChartApp().run_test(size=(60, 15)) as pilot:
        chart = pilot.app.query_one(PplChart)
        rendered = chart.render()
        assert rendered.renderable.plain == "no data yet"


async def test_non_finite_values_never_reach_plotext() -> None:
    async with ChartApp().run_test(size=(60, 15)) as pilot:
        chart = pilot.app.query_one(PplChart)
        chart.set_series(
            [
                ("train", [1, 2, 3, 4], [20.0, float("inf"), 15.0, float("nan")]),
                ("validation", [2, 4], [float("inf"), float("inf")]),
            ]
        )
        await pilot.pause()
        assert chart.plotted() == [("train", [1, 3], [20.0, 15.0])]
        rendered = chart.render()
        assert "chart unavailable" not in Text(str(rendered)).plain
        assert chart.point_counts() == {"train": 4, "validation": 2}


async def test_log_toggle_and_downsampling_to_the_width() -> None:
    async with ChartApp().run_test(size=(60, 15)) as pilot:
        chart = pilot.app.query_one(PplChart)
        chart.set_series([("train", list(range(5000)), [1.0 + (i % 7) for i in range(5000)])])
        await pilot.pause()
        (label, xs, _), *_ = chart.plotted()
        assert label == "train" and len(xs) <= 2 * chart.size.width
        assert not chart.log_y
        chart.focus()
        await pilot.press("l")
        assert chart.log_y
        chart.set_series([("train", [1, 2, 3], [0.0, 10.0, 100.0])])
        assert chart.plotted() == [("train", [2, 3], [10.0, 100.0])]  # no log of 0
        chart.render()
        await pilot.press("l")
        assert not chart.log_y


async def test_plotext_failure_is_shown_not_raised() -> None:
    async with ChartApp().run_test(size=(60, 15)) as pilot:
        chart = pilot.app.query_one(PplChart)
        chart.set_series([("train", [1, 2], [3.0, 4.0])])

        def broken() -> str:
            raise ValueError("plotext exploded")

        chart.plt.build = broken
        rendered = chart.render()
        assert isinstance(rendered, Text)
        assert rendered.plain == "chart unavailable: plotext exploded"
        await pilot.pause()
        assert pilot.app.is_running and pilot.app.return_code is None  # the app keeps running
        assert chart.render().plain == "chart unavailable: plotext exploded"


async def test_series_keep_their_colours() -> None:
    async with ChartApp().run_test(size=(60, 15)) as pilot:
        chart = pilot.app.query_one(PplChart)
        chart.set_series([("run 1", [1], [2.0]), ("run 2", [1], [3.0])])
        first = chart.colour_for("run 2")
        chart.set_series([("run 2", [1], [3.0])])  # run 1 removed
        assert chart.colour_for("run 2") == first
        assert chart.colour_for("run 1") != first
        chart.x_label = "epoch"
        await pilot.pause()
        assert chart.colour_for("run 2") == first  # a new axis keeps the colours
        assert "epoch" in chart.render().plain.splitlines()[-1]


def test_integer_ticks_are_whole_numbers_that_fit() -> None:
    assert integer_ticks(1, 3, 8) == [1, 2, 3]  # never 1.0 1.5 2.0 ...
    assert integer_ticks(1.0, 5.8, 6) == [1, 2, 3, 4, 5]
    ticks = integer_ticks(1, 1600, 6)
    assert ticks == [500, 1000, 1500] and len(ticks) <= 6
    assert integer_ticks(7, 7, 5) == [7] and integer_ticks(2.5, 2.7, 5) == []
    assert [tick_label(t) for t in (1600, 16_000, 1_200_000)] == ["1600", "16k", "1.2M"]


async def test_legend_is_the_title_line_and_integer_axes_get_integer_ticks() -> None:
    async with ChartApp().run_test(size=(60, 15)) as pilot:
        chart = pilot.app.query_one(PplChart)
        chart.set_series([("train", [1, 2, 3], [9.0, 7.0, 6.0]), ("validation", [3], [6.5])])
        await pilot.pause()
        lines = chart.render().plain.splitlines()
        assert lines[0].startswith("perplexity") and "train" in lines[0]
        assert "validation" in lines[0]
        assert not any("train" in line for line in lines[1:]), "the legend is off the plot"
        tick_line = lines[-2]  # above the axis label
        assert tick_line.split() == ["1", "2", "3"], tick_line


async def test_without_colour_series_differ_by_marker() -> None:
    app = ChartApp()
    async with app.run_test(size=(60, 15)) as pilot:
        chart = app.query_one(PplChart)
        app.no_color = True  # as NO_COLOR sets it
        chart.set_series([("train", [1, 2, 3], [9.0, 7.0, 6.0]), ("validation", [3], [6.5])])
        await pilot.pause()
        assert chart.marker_for(0) != chart.marker_for(1)
        legend = chart.render().plain.splitlines()[0]
        assert f"{chart.marker_for(1)} validation" in legend


async def test_the_live_chart_waits_longer_when_a_drawing_costs_more() -> None:
    from rnn_tui.ui.widgets import live_panel
    from rnn_tui.ui.widgets.live_panel import LivePanel

    class PanelApp(App):
        def compose(self) -> ComposeResult:
            yield LivePanel(id="live")

    async with PanelApp().run_test(size=(120, 40)) as pilot:
        panel = pilot.app.query_one(LivePanel)
        chart = panel.chart
        await pilot.pause()
        chart.draw_seconds = 0.001  # cheap: the fixed pace
        assert panel._chart_interval() == live_panel.CHART_S
        chart.draw_seconds = 0.03  # a long run's curve: CHART_COST times its cost
        assert math.isclose(panel._chart_interval(), live_panel.CHART_COST * 0.03)
        chart.draw_seconds = 5.0  # one slow drawing never stops the chart for long
        assert panel._chart_interval() == live_panel.CHART_MAX_S
        # A real drawing records what it cost.
        chart.set_series([("train", list(range(2000)), [5.0 + i % 7 for i in range(2000)])])
        chart.render()
        assert 0 < chart.draw_seconds < 5.0
