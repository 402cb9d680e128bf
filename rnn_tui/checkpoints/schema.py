"""The shape of a checkpoint, checked part by part before anything is built from it.

A checkpoint is untrusted input: torch.load(weights_only=True) refuses foreign objects,
but a dict of plain data can still hold a config that is a list, a vocabulary that is an
int or weights whose shapes disagree with the config. Every part is checked here against
what the config implies (the parameter shapes come from params.py's arithmetic, so no
model is allocated), and any problem is one CheckpointError line naming the part.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import torch

from rnn_tui.config import TrainConfig
from rnn_tui.errors import CheckpointError
from rnn_tui.model.params import report_for_config

_SHA1 = re.compile(r"[0-9a-f]{40}")
_SHOWN = 3  # names listed in a message before "and N more"
# Optimizer state each optimizer must hold per parameter once it has stepped.
_OPTIMIZER_STATE = {
    "adam": {"step", "exp_avg", "exp_avg_sq"},
    "adamw": {"step", "exp_avg", "exp_avg_sq"},
    "rmsprop": {"step", "square_avg"},
    "sgd": set(),
}
_PROGRESS: dict[str, tuple[type | tuple[type, ...], bool, float]] = {
    # name: (types, may be None, minimum)
    "step": (int, False, 0),
    "epoch": (int, False, 1),
    "batch_in_epoch": (int, False, 0),
    "epoch_loss_sum": ((int, float), False, -math.inf),
    "tokens": (int, False, 0),
    "train_seconds": ((int, float), False, 0),
    "wall_seconds": ((int, float), False, 0),
    "best_val_ppl": ((int, float), True, 0),
    "best_train_ppl": ((int, float), True, 0),
    "last_train_ppl": ((int, float), True, 0),
    "best_checkpoint": (str, True, 0),
}
RESUME_PARTS = ("progress", "optimizer", "rng")


def validate_payload(payload: Any, path: Path, *, resumable: bool = False) -> TrainConfig:
    """The payload's config when every part is well formed; CheckpointError otherwise.

    resumable=True also requires what a resume needs: progress, optimizer and RNG state.
    """

    def fail(problem: str) -> CheckpointError:
        return CheckpointError(f"{path}: {problem}")

    version = payload.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail(f"its format version is {_short(version)}, not a whole number of at least 1")
    missing = [key for key in ("config", "vocab", "model") if key not in payload]
    if resumable:
        missing += [key for key in RESUME_PARTS if payload.get(key) is None]
    if missing:
        raise fail(f"it is missing {', '.join(missing)}")
    config = _config(payload["config"], fail)
    vocab = payload["vocab"]
    if (
        not isinstance(vocab, list)
        or not vocab
        or not all(isinstance(c, str) and len(c) == 1 for c in vocab)
        or vocab != sorted(set(vocab))
    ):
        raise fail(
            f"its vocabulary ({_short(vocab)}) is not a sorted list of unique single characters"
        )
    shapes = expected_shapes(config, len(vocab))
    _model(payload["model"], shapes, fail)
    if payload.get("progress") is not None:
        _progress(payload["progress"], fail)
    if payload.get("optimizer") is not None:
        _optimizer(payload["optimizer"], config.optimizer, list(shapes.values()), fail)
    if payload.get("rng") is not None:
        _rng(payload["rng"], fail)
    if payload.get("state") is not None:
        _state(payload["state"], config, fail)
    if payload.get("corpus") is not None:
        _fingerprint(payload["corpus"], fail)
    return config


def expected_shapes(config: TrainConfig, vocab_size: int) -> dict[str, tuple[int, ...]]:
    """Every tensor CharRNN.from_config(config, vocab_size) holds, by name, in model order."""
    report = report_for_config(config, vocab_size, per_gate=False)
    return {row.name: row.shape for row in report.rows}


def _config(data: Any, fail: Any) -> TrainConfig:
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise fail(f"its config is {_short(data)}, not a dict of settings")
    config = TrainConfig.from_dict(data)
    errors = config.validate()
    if errors:
        listed = "; ".join(f"{name} {message}" for name, message in errors.items())
        raise fail(f"its config is invalid: {listed}")
    return config


def _model(weights: Any, shapes: dict[str, tuple[int, ...]], fail: Any) -> None:
    if not isinstance(weights, dict):
        raise fail(f"its model is {_short(weights)}, not a dict of tensors")
    missing = [name for name in shapes if name not in weights]
    extra = [str(name) for name in weights if name not in shapes]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {_names(missing)}")
        if extra:
            parts.append(f"unexpected {_names(extra)}")
        raise fail(f"its weights do not match its config ({'; '.join(parts)})")
    for name, shape in shapes.items():
        tensor = weights[name]
        if not isinstance(tensor, torch.Tensor) or not tensor.is_floating_point():
            raise fail(f"its weight {name} is {_short(tensor)}, not a float tensor")
        if tuple(tensor.shape) != shape:
            raise fail(
                f"its weights do not match its config: {name} is "
                f"{_shape(tensor.shape)}, the config needs {_shape(shape)}"
            )


def _progress(progress: Any, fail: Any) -> None:
    if not isinstance(progress, dict):
        raise fail(f"its progress is {_short(progress)}, not a dict")
    for name, (types, optional, minimum) in _PROGRESS.items():
        if name not in progress:
            raise fail(f"its progress is missing {name}")
        value = progress[name]
        if value is None and optional:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            raise fail(f"its progress {name} is {_short(value)}")
        if isinstance(value, (int, float)) and not (value >= minimum and math.isfinite(value)):
            raise fail(f"its progress {name} is {_short(value)}")


def _optimizer(state: Any, name: str, shapes: list[tuple[int, ...]], fail: Any) -> None:
    from rnn_tui.training.optimizers import make_optimizer

    if (
        not isinstance(state, dict)
        or not isinstance(state.get("state"), dict)
        or not isinstance(state.get("param_groups"), list)
    ):
        raise fail(f"its optimizer state is {_short(state)}, not {name} optimizer state")
    reference = make_optimizer(name, [torch.zeros(1, requires_grad=True)], 1e-3)
    expected_group = reference.param_groups[0]
    ids: list[Any] = []
    for group in state["param_groups"]:
        # A subset: torch fills in settings that older versions did not save.
        if (
            not isinstance(group, dict)
            or not {"params", "lr"} <= set(group)
            or not set(group) <= set(expected_group)
        ):
            raise fail(f"its optimizer state does not belong to {name} (settings {_short(group)})")
        for key, value in group.items():
            if key != "params" and not _same_kind(value, expected_group[key]):
                raise fail(f"its optimizer setting {key} is {_short(value)}")
        if not isinstance(group["params"], list):
            raise fail("its optimizer state lists no parameters")
        ids.extend(group["params"])
    if ids != list(range(len(shapes))):
        raise fail(f"its optimizer state covers {len(ids)} tensors, the model has {len(shapes)}")
    needed = _OPTIMIZER_STATE.get(name, set())
    for key, entry in state["state"].items():
        if not isinstance(key, int) or isinstance(key, bool) or not 0 <= key < len(shapes):
            raise fail(f"its optimizer state names parameter {_short(key)}")
        if not isinstance(entry, dict) or not needed <= set(entry):
            raise fail(f"its optimizer state for parameter {key} is not {name} optimizer state")
        for part, value in entry.items():
            if not isinstance(value, torch.Tensor) or not value.is_floating_point():
                if value is None and part == "momentum_buffer":
                    continue
                raise fail(f"its optimizer state {part} is {_short(value)}")
            want = (value.numel() == 1) if part == "step" else tuple(value.shape) == shapes[key]
            if not want:
                raise fail(
                    f"its optimizer state {part} for parameter {key} is {_shape(value.shape)}, "
                    f"the model needs {_shape(() if part == 'step' else shapes[key])}"
                )


def _same_kind(value: Any, reference: Any) -> bool:
    if reference is None or isinstance(reference, bool):
        return value is None or isinstance(value, bool)
    if isinstance(reference, (int, float)):
        return (
            not isinstance(value, bool)
            and isinstance(value, (int, float))
            and math.isfinite(value)
            and value >= 0
        )
    if isinstance(reference, tuple):
        return (
            isinstance(value, (tuple, list))
            and len(value) == len(reference)
            and all(_same_kind(v, r) for v, r in zip(value, reference, strict=True))
        )
    return isinstance(value, type(reference))


def _rng(rng: Any, fail: Any) -> None:
    size = torch.get_rng_state().numel()
    ok = (
        isinstance(rng, dict)
        and isinstance(rng.get("torch"), torch.Tensor)
        and rng["torch"].dtype == torch.uint8
        and tuple(rng["torch"].shape) == (size,)
        and (rng.get("cuda") is None or isinstance(rng["cuda"], torch.Tensor))
    )
    if not ok:
        raise fail(f"its random-number state is {_short(rng)}, not torch's generator state")


def _state(state: Any, config: TrainConfig, fail: Any) -> None:
    parts = list(state) if isinstance(state, (list, tuple)) else [state]
    count = 2 if config.cell == "lstm" else 1
    for tensor in parts:
        ok = (
            isinstance(tensor, torch.Tensor)
            and tensor.is_floating_point()
            and tensor.dim() == 3
            and tensor.shape[0] == config.layers
            and tensor.shape[2] == config.hidden
        )
        if not ok:
            raise fail(
                f"its hidden state is {_short(tensor)}, not {config.layers} x batch x "
                f"{config.hidden}"
            )
    if len(parts) != count or len({tuple(t.shape) for t in parts}) != 1:
        raise fail(f"its hidden state has {len(parts)} tensors, a {config.cell} has {count}")


def _fingerprint(data: Any, fail: Any) -> None:
    ok = (
        isinstance(data, dict)
        and isinstance(data.get("chars"), int)
        and not isinstance(data.get("chars"), bool)
        and data["chars"] > 0
        and isinstance(data.get("sha1"), str)
        and _SHA1.fullmatch(data["sha1"]) is not None
    )
    if not ok:
        raise fail(f"its corpus fingerprint is {_short(data)}")


def _short(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {_shape(value.shape)}"
    text = " ".join(repr(value).split())
    kind = type(value).__name__
    shown = text if len(text) <= 40 else text[:37] + "..."
    return shown if value is None or isinstance(value, (int, float, str)) else f"{kind} {shown}"


def _shape(shape: Any) -> str:
    dims = tuple(shape)
    return "x".join(str(d) for d in dims) if dims else "a scalar"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")
