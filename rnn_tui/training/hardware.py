"""What this machine's hardware supports, detected at run time: the device, bf16 training
and the batch shape that keeps this CPU's cores busy.

bf16 autocast only pays, and on the CPU only works for every cell, where the CPU has
bf16 instructions (avx512_bf16 or AMX). Without them oneDNN refuses the LSTM primitive
("could not create a primitive descriptor"), so the flags are checked and then a tiny
LSTM step is tried once per process.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from rnn_tui.errors import ConfigError

if TYPE_CHECKING:  # torch is imported where it is used: the presets read this module at startup
    import torch

BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo; empty where there is none."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


@functools.cache
def cpu_has_bf16() -> bool:
    flags = cpu_flags()
    if flags:
        hardware = any(flag in flags for flag in BF16_CPU_FLAGS)
    else:  # no /proc/cpuinfo (macOS, Windows): ask oneDNN
        import torch

        check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
        hardware = bool(check()) if check is not None else False
    return hardware and _bf16_lstm_works()


def _bf16_lstm_works() -> bool:
    import torch

    try:
        lstm = torch.nn.LSTM(4, 4)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            lstm(torch.zeros(2, 1, 4))
    except RuntimeError:
        return False
    return True


def bf16_supported(device: torch.device) -> bool:
    if device.type == "cuda":
        import torch

        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_has_bf16()


def resolve_precision(requested: str, device: torch.device) -> str:
    """fp32 or bf16 for this device: auto picks bf16 where supported; an explicit bf16
    where it is not is an error, never a silent fallback."""
    if requested == "auto":
        return "bf16" if bf16_supported(device) else "fp32"
    if requested == "bf16" and not bf16_supported(device):
        where = "this CPU has no bf16 instructions" if device.type == "cpu" else "not this GPU"
        raise ConfigError({"precision": f"bf16 is not supported here ({where}); use fp32 or auto"})
    return requested


def resolve_device(requested: str) -> torch.device:
    import torch

    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError({"device": "CUDA is not available on this machine; use cpu or auto"})
    return torch.device(requested)


# The batch shape of a preset that asks for it (`best`). Within a time budget the number of
# updates counts for more than the text each one covers: on 2 cores in 120 s, batches of
# 16x32 (four times the updates of 32x64) reached 4.27 held-out perplexity against 4.49, and
# 8x64 or 16x16, with about the same number of updates, 4.28 and 4.30. A wider batch gives
# each core a bigger matrix, so the batch grows with the cores, 8 sequences a core, from 16
# (what 2 cores took best) to 128.
AUTO_NUM_STEPS = 32
SEQUENCES_PER_CORE = 8
AUTO_BATCH_RANGE = (16, 128)


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def auto_batch_size(cores: int | None = None) -> int:
    """Sequences per batch for a CPU with `cores` usable cores (default: this process's)."""
    low, high = AUTO_BATCH_RANGE
    return max(low, min(high, SEQUENCES_PER_CORE * (cores or usable_cores())))
