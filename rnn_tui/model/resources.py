"""Memory before allocation: what a model will need, what the machine has, and a refusal.

A config can ask for far more than any machine holds (`--embedding 1000000000` is about
500 GB of weights). Building such a model ends in a torch traceback or the kernel's OOM
killer, so every front end asks here first: the estimate is arithmetic on the config, the
available memory is read through psutil (and the cgroup limit), and a refusal is one line
naming both.
No torch import at module level: the params screen and `rnn-tui params` call this per keystroke.
"""

from __future__ import annotations

try:
    import resource
except ImportError:  # Windows: no address-space rlimit
    resource = None  # type: ignore[assignment]
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rnn_tui.errors import RnnTuiError
from rnn_tui.model.shape import model_shape, stacked_blocks

if TYPE_CHECKING:
    from rnn_tui.config import TrainConfig

FLOAT_BYTES = 4  # weights, gradients and optimizer state are fp32
# fp32 values kept per time step, batch element and hidden unit of a layer for backward:
# the gate pre-activations, their outputs, and the layer's output and state.
SAVED_PER_UNIT = {"rnn": 3, "gru": 9, "lstm": 11}
OPTIMIZER_COPIES = {"adam": 2, "adamw": 2, "rmsprop": 1, "sgd": 0}  # state tensors per weight
_UNLIMITED = 1 << 60  # cgroup v1 writes "no limit" as a page-rounded 2**63 - 1


class ResourceError(RnnTuiError):
    """The work would need more memory than the machine has; the message names both."""


@dataclass(frozen=True)
class MemoryEstimate:
    parameters: int  # count
    weight_bytes: int  # weights, plus gradients and optimizer state when training
    activation_bytes: int

    @property
    def total(self) -> int:
        return self.weight_bytes + self.activation_bytes


def parameter_count(
    cell: str, input_size: int, hidden: int, layers: int, output_size: int, embedding: int | None
) -> int:
    """CharRNN's parameter count in closed form (PyTorch's two biases): O(1) for any layers."""
    gates = stacked_blocks(cell)
    first_input = embedding if embedding is not None else input_size
    embed = input_size * embedding if embedding is not None else 0
    per_layer_bias = 2 * gates * hidden
    first = gates * hidden * (first_input + hidden) + per_layer_bias
    rest = (layers - 1) * (gates * hidden * 2 * hidden + per_layer_bias)
    head = output_size * hidden + output_size
    return embed + first + rest + head


def estimate(config: TrainConfig, vocab_size: int, *, training: bool = True) -> MemoryEstimate:
    """Bytes a CharRNN for `config` needs: weights (+ gradients and optimizer state when
    training) and the activations one batch keeps for backward (one step's when sampling)."""
    shape = model_shape(config, vocab_size)
    count = parameter_count(
        shape.cell, vocab_size, shape.hidden, shape.layers, vocab_size, shape.embedding
    )
    copies = 1
    if training:
        copies += 1 + OPTIMIZER_COPIES.get(config.optimizer, 2)
    positions = config.batch_size * config.num_steps if training else 1
    per_position = (
        shape.input_size  # the input (one-hot or embedded)
        + shape.layers * shape.hidden * SAVED_PER_UNIT[shape.cell]
        + 3 * vocab_size  # logits, their fp32 copy and the softmax gradient
    )
    activations = positions * per_position * FLOAT_BYTES * (2 if training else 1)
    return MemoryEstimate(count, count * FLOAT_BYTES * copies, activations)


def available_memory() -> tuple[int, str]:
    """(bytes, where the figure comes from): the lowest of MemAvailable, the cgroup's limit
    less its usage, and the address-space rlimit less this process's size."""
    candidates: list[tuple[int, str]] = []
    available = _available_bytes()
    if available is not None:
        candidates.append((available, "MemAvailable"))
    cgroup = _cgroup_headroom()
    if cgroup is not None:
        candidates.append((cgroup, "cgroup memory limit"))
    if resource is not None:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            used = _address_space_bytes() or 0
            candidates.append((max(soft - used, 0), "address-space limit (ulimit -v)"))
    if not candidates:  # nothing to compare with, so nothing is refused
        return _UNLIMITED, "unknown"
    return min(candidates)


def check_memory(
    config: TrainConfig, vocab_size: int, *, training: bool = True, what: str = ""
) -> MemoryEstimate:
    """The estimate, or ResourceError when it exceeds the memory available."""
    need = estimate(config, vocab_size, training=training)
    refuse_if_too_big(need.total, what or ("training" if training else "the model"), need)
    return need


def refuse_if_too_big(need: int, what: str, detail: MemoryEstimate | None = None) -> None:
    have, source = available_memory()
    if need <= have:
        return
    parts = ""
    if detail is not None:
        parts = (
            f" ({detail.parameters:,} parameters: {format_bytes(detail.weight_bytes)} of weights"
            f"{' and optimizer state' if detail.weight_bytes > detail.parameters * 4 else ''}, "
            f"{format_bytes(detail.activation_bytes)} of activations)"
        )
    raise ResourceError(
        f"{what} needs about {format_bytes(need)}{parts} but only {format_bytes(have)} "
        f"is available ({source}); use a smaller model or batch"
    )


def format_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if value < 1024 or unit == "PB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- the kernel's figures


def _available_bytes() -> int | None:
    """Memory the system can give without swapping (MemAvailable on Linux), via psutil."""
    import psutil

    try:
        return int(psutil.virtual_memory().available)
    except (OSError, RuntimeError, psutil.Error):
        return None


def _address_space_bytes() -> int | None:
    """This process's virtual size (VmSize on Linux), via psutil."""
    import psutil

    try:
        return int(psutil.Process().memory_info().vms)
    except (OSError, psutil.Error):
        return None


def _cgroup_headroom(
    root: Path = Path("/sys/fs/cgroup"), membership: Path = Path("/proc/self/cgroup")
) -> int | None:
    """The smallest (limit - usage) over this process's memory cgroup and its ancestors."""
    headrooms: list[int] = []
    for group, limit_name, usage_name in _cgroup_dirs(root, membership):
        limit = _read_int(group / limit_name)
        if limit is None or limit >= _UNLIMITED:
            continue
        usage = _read_int(group / usage_name) or 0
        headrooms.append(max(limit - usage, 0))
    return min(headrooms) if headrooms else None


def _cgroup_dirs(root: Path, membership: Path) -> list[tuple[Path, str, str]]:
    try:
        lines = membership.read_text().splitlines()
    except OSError:
        return []
    found: list[tuple[Path, str, str]] = []
    for line in lines:
        if line.count(":") < 2:
            continue
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2
            base, limit, usage = root, "memory.max", "memory.current"
        elif "memory" in controllers.split(","):  # cgroup v1
            base, limit, usage = root / "memory", "memory.limit_in_bytes", "memory.usage_in_bytes"
        else:
            continue
        # The process's own group, every ancestor, and the mount's root (in a container the
        # mount is often the process's group already).
        parts = [p for p in path.strip("/").split("/") if p]
        for depth in range(len(parts), -1, -1):
            found.append((base.joinpath(*parts[:depth]), limit, usage))
    return found


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
