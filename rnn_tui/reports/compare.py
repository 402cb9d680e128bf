"""Comparing stored runs: which settings differ, which run is best, and a perplexity plot.

Pure functions over `RunRow`s, shared by `rnn-tui runs compare` and the TUI. No torch,
no Textual; matplotlib only inside `plot_runs`, imported there with the Agg backend.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnn_tui.config import FIELDS
from rnn_tui.errors import RnnTuiError
from rnn_tui.reports.curves import X_AXES
from rnn_tui.reports.curves import X_COLUMN as _X_COLUMN
from rnn_tui.reports.curves import X_LABEL as _X_LABEL

if TYPE_CHECKING:
    from rnn_tui.store import RunRow, RunStore


def varied_config_fields(runs: list[RunRow]) -> list[str]:
    """Config fields whose value is not the same in every run, in the form's order."""
    if len(runs) < 2:
        return []
    names: list[str] = [name for name in FIELDS if any(name in r.config for r in runs)]
    extra = sorted({key for r in runs for key in r.config} - set(names))
    first = runs[0].config
    return [
        name
        for name in names + extra
        if any(r.config.get(name) != first.get(name) for r in runs[1:])
    ]


def best_index(runs: list[RunRow]) -> int | None:
    """Index of the run with the lowest best validation perplexity; None if none has one."""
    best: int | None = None
    for index, run in enumerate(runs):
        value = run.best_val_ppl
        if value is None or not math.isfinite(value):
            continue
        if best is None or value < runs[best].best_val_ppl:  # type: ignore[operator]
            best = index
    return best


def summary_rows(runs: list[RunRow]) -> tuple[list[str], list[dict[str, Any]], int | None]:
    """(varied config fields, one row per run, index of the best run by best_val_ppl).

    Each row holds id, name, status, message, config (only the varied fields), best_val_ppl,
    final_val_ppl, final_train_ppl, seconds, tokens_per_s, params, steps, epochs and best.
    """
    varied = varied_config_fields(runs)
    best = best_index(runs)
    rows = [
        {
            "id": run.id,
            "name": run.name,
            "status": run.status,
            "message": run.message,
            "config": {name: run.config.get(name) for name in varied},
            "best_val_ppl": run.best_val_ppl,
            "final_val_ppl": run.final_val_ppl,
            "final_train_ppl": run.final_train_ppl,
            "seconds": run.seconds,
            "tokens_per_s": run.tokens_per_s,
            "params": run.params,
            "steps": run.steps,
            "epochs": run.epochs,
            "best": index == best,
        }
        for index, run in enumerate(runs)
    ]
    return varied, rows, best


# --------------------------------------------------------------------------- formatting


def fmt_ppl(value: float | None) -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.2f}" if value < 1000 else f"{value:.4g}"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    total = int(round(value))
    if total < 60:
        return f"{value:.1f}s" if value < 10 else f"{total}s"
    minutes, seconds = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def fmt_count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def fmt_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --------------------------------------------------------------------------- plot


def plot_runs(store: RunStore, runs: list[RunRow], path: Path | str, x: str = "step") -> Path:
    """Overlaid validation (solid) and training (dashed) perplexity per epoch, as a PNG."""
    if x not in X_AXES:
        raise RnnTuiError(f"unknown x axis {x!r}; use {', '.join(X_AXES)}")
    try:
        import matplotlib
    except ImportError:
        raise RnnTuiError("--png needs matplotlib: pip install 'rnn-tui[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    column = _X_COLUMN[x]
    figure, axes = plt.subplots(figsize=(9, 5.5), dpi=110)
    try:
        for index, run in enumerate(runs):
            color = f"C{index % 10}"
            epochs = store.epoch_metrics(run.id)
            train = [(e[column], e["train_ppl"]) for e in epochs if e["train_ppl"] is not None]
            val = [(e[column], e["val_ppl"]) for e in epochs if e["val_ppl"] is not None]
            label = f"#{run.id} {run.name}"
            if val:
                axes.plot(*zip(*val, strict=True), color=color, marker=".", label=f"{label} val")
            if train:
                axes.plot(
                    *zip(*train, strict=True), color=color, linestyle="--", alpha=0.7,
                    label=f"{label} train",
                )  # fmt: skip
        axes.set_xlabel(_X_LABEL[x])
        axes.set_ylabel("perplexity")
        axes.set_yscale("log")
        axes.set_title("validation (solid) and training (dashed) perplexity")
        axes.grid(True, which="both", alpha=0.3)
        if axes.get_legend_handles_labels()[0]:
            axes.legend(fontsize="small")
        out = Path(path)
        try:
            figure.savefig(out, format="png", bbox_inches="tight")
        except OSError as exc:
            raise RnnTuiError(f"cannot write {out}: {exc.strerror or exc}") from None
        return out
    finally:
        plt.close(figure)
