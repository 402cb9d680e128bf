"""The environment a run started by the TUI gets: a bounded OpenMP spin beside the viewer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rnn_tui.runs.processes import SPIN_BESIDE_VIEWER, beside_a_viewer_env, launch


def test_a_bounded_spin_unless_the_user_chose_a_wait_policy() -> None:
    assert beside_a_viewer_env({}) == {"GOMP_SPINCOUNT": SPIN_BESIDE_VIEWER}
    assert 0 < int(SPIN_BESIDE_VIEWER) < 300_000  # below libgomp's default, never passive
    assert beside_a_viewer_env({"GOMP_SPINCOUNT": "5"}) == {}
    assert beside_a_viewer_env({"OMP_WAIT_POLICY": "active"}) == {}


@pytest.mark.parametrize("user", [None, "1234"])
def test_the_launched_process_sees_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: str | None
) -> None:
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    if user is None:
        monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    else:
        monkeypatch.setenv("GOMP_SPINCOUNT", user)
    code = "import os; print('spin', os.environ.get('GOMP_SPINCOUNT'))"
    started = launch([sys.executable, "-c", code], tmp_path)
    assert started.process.wait(timeout=60) == 0
    assert started.log_tail(1) == [f"spin {user or SPIN_BESIDE_VIEWER}"]
