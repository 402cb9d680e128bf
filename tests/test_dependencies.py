"""pyproject's dependency ranges: none that makes pip download a release and backtrack."""

from __future__ import annotations

from importlib.metadata import requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def declared() -> dict[str, Requirement]:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {r.name: r for r in map(Requirement, project["dependencies"])}


def test_plotext_range_is_the_one_textual_plotext_accepts():
    ours = declared()["plotext"].specifier
    theirs = next(
        r.specifier
        for r in map(Requirement, requires("textual-plotext") or [])
        if r.name == "plotext"
    )
    for version in ("5.2.7", "5.2.8", "5.3.2", "5.9", "6.0.0", "6.1.0"):
        assert (version in ours) == (version in theirs), version


def test_numpy_is_a_dependency():
    """torch warns "Failed to initialize NumPy" at every import when numpy is missing."""
    assert "numpy" in declared()
