"""The batch shape chosen for this CPU at run time, and what preset `best` takes from it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from rnn_tui.config import preset
from rnn_tui.training import hardware
from rnn_tui.training.hardware import (
    AUTO_BATCH_RANGE,
    AUTO_NUM_STEPS,
    auto_batch_size,
    usable_cores,
)


@pytest.mark.parametrize(
    ("cores", "batch"), [(1, 16), (2, 16), (3, 24), (4, 32), (6, 48), (16, 128), (64, 128)]
)
def test_batch_grows_with_the_cores_within_its_range(cores, batch):
    assert auto_batch_size(cores) == batch
    assert AUTO_BATCH_RANGE[0] <= batch <= AUTO_BATCH_RANGE[1]


def test_usable_cores_is_the_affinity_mask_or_the_count_without_one(monkeypatch):
    assert usable_cores() == len(os.sched_getaffinity(0))
    monkeypatch.delattr(hardware.os, "sched_getaffinity")
    monkeypatch.setattr(hardware.os, "cpu_count", lambda: 6)
    assert usable_cores() == 6
    assert auto_batch_size() == 48
    monkeypatch.setattr(hardware.os, "cpu_count", lambda: None)
    assert usable_cores() == 1


def test_best_takes_this_machines_batch_shape():
    best = preset("best")
    assert (best.batch_size, best.num_steps) == (auto_batch_size(), AUTO_NUM_STEPS)
    assert best.precision == "auto"  # resolved by the trainer on the device it runs on


def _best_in_a_process_with(cores: int) -> str:
    """Preset best's batch size as a fresh process that sees `cores` cores reads it, and
    whether reading the presets imported torch (it must not: the CLI starts without it)."""
    code = (
        "import os, sys\n"
        f"os.sched_getaffinity = lambda pid: set(range({cores}))\n"
        "from rnn_tui.config import preset\n"
        "print(preset('best').batch_size, 'torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_the_preset_is_resolved_when_the_program_starts_without_importing_torch():
    assert _best_in_a_process_with(16) == "128 False"
    assert _best_in_a_process_with(2) == "16 False"
