"""Perplexity plots: a PNG through matplotlib (optional extra) or a plotext chart as text."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from rnn_tui.atomic import atomic_file
from rnn_tui.reports.curves import Series, finite_points


def has_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def save_png(
    series: list[Series],
    path: str | Path,
    *,
    xlabel: str = "epoch",
    title: str = "Perplexity",
    log_y: bool = False,
) -> Path:
    """Write the curves as a PNG, atomically; needs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for item in series:
        xs, ys = finite_points(item.xs, item.ys, positive=True)
        ax.plot(xs, ys, label=item.label, linestyle="--" if item.dashed else "-")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("perplexity")
    ax.set_title(title)
    if log_y:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if series:
        ax.legend()
    fig.tight_layout()
    try:
        with atomic_file(path) as handle:
            fig.savefig(handle, format="png")
    finally:
        plt.close(fig)
    return path


def text_chart(
    series: list[Series],
    *,
    width: int = 80,
    height: int = 20,
    xlabel: str = "epoch",
    title: str = "Perplexity",
) -> str:
    """A plotext chart as a string, for terminals without matplotlib."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    plt.title(title)
    plt.xlabel(xlabel)
    for item in series:
        xs, ys = finite_points(item.xs, item.ys, positive=True)
        if xs:
            plt.plot(xs, ys, label=item.label)
    return plt.build()
