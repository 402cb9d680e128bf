"""PplChart: perplexity curves in the terminal, one or several named series.

Following dolphie's MetricGraph: the points are downsampled to about twice the widget's
width, keeping each bucket's minimum AND maximum (a spike never disappears), non-finite
values never reach plotext (it raises on inf), and `render()` shows a message instead of
crashing when plotext fails. The Train screen plots train and validation perplexity of the
live run; the Runs screen overlays several runs with `set_series`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Mapping, Sequence
from typing import ClassVar

from rich.align import Align
from rich.text import Text
from textual.app import RenderResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from rnn_tui.reports.curves import downsample_minmax, finite_points
from rnn_tui.ui.state import state_of
from rnn_tui.ui.typed_app import remember

Series = tuple[str, Sequence[float], Sequence[float]]

# Series colours come from the theme, in this order; a label keeps its colour for the
# widget's lifetime, so a run overlaid on the Runs screen never changes colour.
THEME_PALETTE = ("primary", "warning", "success", "error", "accent", "secondary")
MARKER = "braille"
# Without colour (NO_COLOR, 16 colours) series differ by marker: these, in series order.
PLAIN_MARKERS = ("braille", "•", "+", "x", "*", "o")
LEGEND_SYMBOL = {"braille": "──"}
DENSE = 1.0  # a series with more points than this × width is drawn as dots, not lines
FALLBACK_RGB = ((0, 135, 255), (255, 175, 0), (0, 175, 95), (215, 0, 0), (175, 95, 255))


def is_integer_axis(series: Sequence[tuple[str, Sequence[float], Sequence[float]]]) -> bool:
    """Whether every x of every series is a whole number (steps, epochs, tokens)."""
    return all(
        isinstance(x, int) or (isinstance(x, float) and x.is_integer())
        for _, xs, _ in series
        for x in xs
    )


def integer_ticks(low: float, high: float, most: int) -> list[int]:
    """At most `most` whole-number ticks from `low` to `high`, 1, 2 or 5 × 10^k apart."""
    low_i, high_i = math.ceil(low), math.floor(high)
    if high_i <= low_i:
        return [low_i] if high_i == low_i else []
    raw = (high_i - low_i) / max(most - 1, 1)
    magnitude = 1
    while True:
        step = next((f * magnitude for f in (1, 2, 5) if f * magnitude >= raw), 0)
        if step:
            break
        magnitude *= 10
    first = math.ceil(low_i / step) * step
    return list(range(first, high_i + 1, step))


def tick_label(value: int) -> str:
    """A tick that fits: 1600, 16k, 1.2M."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.3g}k"
    return str(value)


class PplChart(PlotextPlot):
    """Perplexity against step or epoch; `l` toggles a log y axis."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "toggle_log", "Log scale", id="chart.log_scale"),
    ]

    DEFAULT_CSS = """
    PplChart {
        min-height: 5;
    }
    """

    can_focus = True  # so `l` works from the keyboard

    log_y: reactive[bool] = reactive(False, init=False)
    x_label: reactive[str] = reactive("step")
    title: reactive[str] = reactive("perplexity")

    def __init__(
        self,
        *,
        title: str = "perplexity",
        x_label: str = "step",
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's spelling
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._series: list[Series] = []
        self._colour_index: dict[Hashable, int] = {}  # colour key -> palette index
        self._colour_key: dict[str, Hashable] = {}  # label -> colour key, where not itself
        self._cache_key: tuple[int, int, bool] | None = None
        self._cached: list[tuple[str, list[float], list[float]]] = []
        self._version = 0
        self._render_key: tuple[object, ...] | None = None
        self._rendered: RenderResult | None = None
        self.draw_seconds = 0.0  # what the last drawing took (its points and plotext)
        self.set_reactive(PplChart.title, title)
        self.set_reactive(PlotextPlot.theme, "clear")  # no per-cell background: 2-3× faster
        self.set_reactive(PplChart.x_label, x_label)

    # -- data

    def set_series(
        self, series: Sequence[Series], colour_keys: Mapping[str, Hashable] | None = None
    ) -> None:
        """Replace the plotted series: (label, xs, ys) each. A series' colour belongs to its
        key in `colour_keys` (its label when it has none) for the widget's lifetime, so
        series that share a key share a colour."""
        self._series = [(label, xs, ys) for label, xs, ys in series]
        self._colour_key.update(colour_keys or {})
        for label, _, _ in self._series:
            self._palette_index(label)  # a new key takes the next colour, in series order
        self._version += 1
        self.refresh()

    @property
    def series(self) -> list[Series]:
        return list(self._series)

    def point_counts(self) -> dict[str, int]:
        """How many points each series holds (before filtering and downsampling)."""
        return {label: min(len(xs), len(ys)) for label, xs, ys in self._series}

    def plotted(self) -> list[tuple[str, list[float], list[float]]]:
        """The points that reach plotext at the current width and scale."""
        width = max(self.size.width, 1)
        key = (self._version, width, self.log_y)
        if key != self._cache_key:
            buckets = max(width, 10)  # two points per bucket: about 2 × the width
            out = []
            for label, xs, ys in self._series:
                fx, fy = finite_points(xs, ys, positive=self.log_y)
                fx, fy = downsample_minmax(fx, fy, buckets)
                if fx:
                    out.append((label, fx, fy))
            self._cached = out
            self._cache_key = key
        return self._cached

    # -- actions and watchers

    def action_toggle_log(self) -> None:
        self.log_y = not self.log_y

    def on_mount(self) -> None:
        state = state_of(self.app)  # the scale the last session used
        if state is not None and state.settings.log_y != self.log_y:
            self.log_y = state.settings.log_y

    def watch_log_y(self, log_y: bool) -> None:
        remember(self, log_y=log_y)
        self.refresh()

    def watch_x_label(self) -> None:
        self.refresh()

    # -- drawing

    def colour_for(self, label: str) -> tuple[int, int, int]:
        return self.palette_colour(self._palette_index(label))

    def _palette_index(self, label: str) -> int:
        key = self._colour_key.get(label, label)
        return self._colour_index.setdefault(key, len(self._colour_index))

    def palette_colour(self, index: int) -> tuple[int, int, int]:
        """The theme's `index`th series colour (a fixed one where the theme has none)."""
        variables = self.app.theme_variables if self.is_attached else {}
        name = THEME_PALETTE[index % len(THEME_PALETTE)]
        value = variables.get(name)
        if value:
            try:
                return Color.parse(value).rgb
            except Exception:  # noqa: BLE001 - a theme value we cannot parse
                pass
        return FALLBACK_RGB[index % len(FALLBACK_RGB)]

    def plain_markers(self) -> bool:
        """No colour to tell series apart (NO_COLOR, or a 16-colour terminal)."""
        if not self.is_attached:
            return False
        app = self.app
        return bool(app.no_color) or app.console.color_system in (None, "standard")

    def marker_for(self, index: int) -> str:
        return PLAIN_MARKERS[index % len(PLAIN_MARKERS)] if self.plain_markers() else MARKER

    def legend(self, plotted: Sequence[tuple[str, Sequence[float], Sequence[float]]]) -> Text:
        """The title line: the title, then each series' marker and label in its colour."""
        legend = Text(self.title, style="bold", no_wrap=True, overflow="ellipsis", end="")
        for index, (label, _, _) in enumerate(plotted):
            marker = self.marker_for(index)
            symbol = LEGEND_SYMBOL.get(marker, f"{marker}{marker}")
            r, g, b = self.colour_for(label)
            legend.append("   ")
            legend.append(symbol, style=f"bold rgb({r},{g},{b})")
            legend.append(f" {label}")
        return legend

    def render(self) -> RenderResult:
        # Textual renders a widget again whenever a region around it is repainted (the
        # status line above, the bar): plotext is built again only when what it draws
        # changed, so a repaint of the screen around an unchanged chart costs nothing.
        key = (
            self._version,
            self.size,
            self.log_y,
            self.x_label,
            self.title,
            self.app.theme,
            self.plain_markers(),
        )
        if key != self._render_key or self._rendered is None:
            started = time.perf_counter()
            self._rendered = self._render_chart()
            self._render_key = key
            self.draw_seconds = time.perf_counter() - started
        return self._rendered

    def _render_chart(self) -> RenderResult:
        try:
            plotted = self.plotted()
            if not plotted:
                return Align.center(Text("no data yet", style="dim"), vertical="middle")
            width, height = self.size.width, max(self.size.height - 1, 1)
            plt = self.plt
            plt.clear_figure()
            plt.xlabel(self.x_label)
            plt.yscale("log" if self.log_y else "linear")
            for index, (label, xs, ys) in enumerate(plotted):
                draw = plt.scatter if len(xs) > width * DENSE else plt.plot
                draw(xs, ys, marker=self.marker_for(index), color=self.colour_for(label))
            if is_integer_axis(plotted):
                low = min(min(xs) for _, xs, _ in plotted)
                high = max(max(xs) for _, xs, _ in plotted)
                ticks = integer_ticks(low, high, max(2, width // 10))
                if ticks:
                    plt.xticks(ticks, [tick_label(t) for t in ticks])
            # The legend is the title line, outside the plot area: the plot gets the rest.
            plt.plotsize(width, height)
            plt._set_size(width, height)  # as PlotextPlot.render does (textual-plotext#5)
            plt.theme(self._get_plotext_theme_name(self.app.theme))
            body = Text.from_ansi(plt.build())
            legend = self.legend(plotted)
            legend.append("\n")
            return Text.assemble(legend, body)
        except Exception as exc:  # noqa: BLE001 - plotext fails on odd data; never crash
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return Text(f"chart unavailable: {first}", style="dim italic")
