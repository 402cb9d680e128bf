"""Bad input to the engine, one row per case: checkpoints, corpus files, sweeps, memory,
resume flags, params and bench. Each row calls the CLI's entry function with its arguments
(tests/cli_calls.py) and expects exit code 2, exactly one line on stderr, no traceback and no
hang; one row of the checkpoint, corpus and memory tables runs again as a real
`python -m rnn_tui` in a child process."""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from cli_calls import CliResult, call_cli, in_process_and_spawned
from conftest import TINY_TEXT

from rnn_tui.checkpoints.files import load_checkpoint, load_model, resume_config
from rnn_tui.config import TrainConfig
from rnn_tui.data.corpus import load_corpus, preprocess, read_text
from rnn_tui.errors import CheckpointError, ConfigError
from rnn_tui.model.charrnn import CharRNN, count_parameters
from rnn_tui.model.resources import ResourceError, check_memory, estimate
from rnn_tui.runs.sweep import SWEEP_MAX_RUNS, SweepTooLarge, expand_sweep, sweep_size
from rnn_tui.training.events import EpochEnd, RunEnd, StepEnd
from rnn_tui.training.trainer import Trainer

SMALL = ["--hidden", "8", "--batch-size", "4", "--num-steps", "8", "--sample-length", "0"]
FOUR_GB = 4 * 1024**3


def tiny_config(corpus: Path, **changes: Any) -> TrainConfig:
    base = TrainConfig(
        corpus=str(corpus), cell="gru", hidden=8, batch_size=4, num_steps=8, sample_length=0
    )
    return base.replace(**changes)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """(corpus, payload) of a 3-step run: the source of every checkpoint variant."""
    folder = tmp_path_factory.mktemp("trained")
    corpus = folder / "tiny.txt"
    corpus.write_text(TINY_TEXT, encoding="utf-8")
    end = Trainer(tiny_config(corpus, steps=3), out_dir=folder / "out").run()
    assert end.reason == "finished", end.message
    return corpus, load_checkpoint(end.checkpoint, resumable=True)


def _set(part: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        payload[part] = value

    return change


def _config(**values: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        payload["config"] = {**payload["config"], **values}

    return change


def _drop(part: str) -> Callable[[dict[str, Any]], None]:
    return lambda payload: payload.pop(part)


def _weight(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        payload["model"] = {**payload["model"], name: value}

    return change


def _optimizer_shape(payload: dict[str, Any]) -> None:
    state = payload["optimizer"]["state"]
    state[0] = {**state[0], "exp_avg": torch.zeros(3, 3)}


def _progress(**values: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        payload["progress"] = {**payload["progress"], **values}

    return change


CHECKPOINTS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    # name: (change to a good payload, the command that reads it: sample or resume)
    "config is a list": (_set("config", [1, 2]), "sample"),
    "vocab is an int": (_set("vocab", 7), "sample"),
    "vocab unsorted": (lambda p: p.__setitem__("vocab", p["vocab"][::-1]), "sample"),
    "model is an int": (_set("model", 3), "sample"),
    "version is a string": (_set("version", "1"), "sample"),
    "version from the future": (_set("version", 99), "sample"),
    "cell foo": (_config(cell="foo"), "sample"),
    "layers 0": (_config(layers=0), "sample"),
    "hidden does not match the weights": (_config(hidden=64), "sample"),
    "hidden 100000": (_config(hidden=100_000), "sample"),
    "a weight missing": (lambda p: p["model"].pop("head.bias"), "sample"),
    "a weight of ints": (_weight("head.bias", torch.zeros(28, dtype=torch.long)), "sample"),
    "missing progress": (_drop("progress"), "resume"),
    "progress step is text": (_progress(step="3"), "resume"),
    "junk optimizer state": (_set("optimizer", "junk"), "resume"),
    "optimizer state of the wrong shape": (_optimizer_shape, "resume"),
    "optimizer state of another optimizer": (
        lambda p: p["optimizer"]["param_groups"][0].update(momentum=0.9, dampening=0),
        "resume",
    ),
    "junk rng": (_set("rng", {"torch": torch.zeros(3)}), "resume"),
    "hidden state of the wrong shape": (_set("state", torch.zeros(1, 4, 5)), "resume"),
    "corpus fingerprint junk": (_set("corpus", {"chars": "many"}), "resume"),
    "payload is a list": (lambda p: None, "sample"),  # replaced below by a list
}


def write_variant(name: str, trained: tuple[Path, dict[str, Any]], folder: Path) -> Path:
    corpus, good = trained
    payload = {
        **good,
        "model": dict(good["model"]),
        "config": dict(good["config"], corpus=str(corpus)),
    }
    payload["optimizer"] = {
        "state": {k: dict(v) for k, v in good["optimizer"]["state"].items()},
        "param_groups": [dict(g) for g in good["optimizer"]["param_groups"]],
    }
    change, _ = CHECKPOINTS[name]
    change(payload)
    path = folder / "bad.pt"
    torch.save([payload] if name == "payload is a list" else payload, path)
    return path


def cli_env(cwd: Path) -> dict[str, str]:
    return {"RNN_TUI_DATA_DIR": str(cwd / "data"), "RNN_TUI_CACHE_DIR": str(cwd)}


def assert_one_line_error(result: CliResult, *needles: str) -> None:
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith("rnn-tui: error: "), lines
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.mark.parametrize(
    ("name", "run"), in_process_and_spawned(CHECKPOINTS, ["version from the future"])
)
def test_a_bad_checkpoint_is_one_line(name, run, trained, tmp_path):
    path = write_variant(name, trained, tmp_path)
    _, command = CHECKPOINTS[name]
    if command == "sample":
        args = ["sample", "--checkpoint", str(path), "--length", "5", "--prefix", "t"]
    else:
        args = ["train", "--resume", str(path), "--steps", "5", "--no-store", "--quiet"]
    assert_one_line_error(run(args, cwd=tmp_path, env=cli_env(tmp_path)), str(path))


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe")
    return "pipe"


def _sparse(folder: Path) -> str:
    with open(folder / "sparse.txt", "wb") as handle:
        handle.truncate(3 * 1024**3)  # 3 GB of holes: nothing is written to disk
    return "sparse.txt"


def _named(name: str, data: bytes) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        (folder / name).write_bytes(data)
        return name

    return make


CORPORA: dict[str, tuple[Callable[[Path], str], str]] = {
    "a FIFO with no writer": (_fifo, "FIFO"),
    "/dev/zero": (lambda folder: "/dev/zero", "character device"),
    "/dev/urandom": (lambda folder: "/dev/urandom", "character device"),
    "a sparse 3 GB file": (_sparse, "over the corpus limit"),
    "a directory": (lambda folder: str(folder), "directory"),
    "a missing file": (lambda folder: "nope.txt", "not found"),
    "binary bytes": (_named("bin.txt", b"\xff\xfe\x00abc" * 100), "not UTF-8"),
    "an empty file": (_named("empty.txt", b""), "empty"),
    "too short for the batch": (_named("short.txt", b"abc " * 5), "too short"),
}


@pytest.mark.parametrize(
    ("name", "run"), in_process_and_spawned(CORPORA, ["a FIFO with no writer"])
)
def test_a_bad_corpus_is_one_line(name, run, tmp_path):
    make, needle = CORPORA[name]
    corpus = make(tmp_path)
    args = ["train", "--corpus", corpus, *SMALL, "--steps", "2", "--no-store"]
    result = run(args, cwd=tmp_path, env=cli_env(tmp_path))
    assert_one_line_error(result, needle)


def _comma(count: int, start: int = 1) -> str:
    return ",".join(str(n) for n in range(start, start + count))


SWEEPS: dict[str, tuple[list[str], str]] = {
    "101 runs without --yes": (["--hidden", _comma(101)], "101 runs; pass --yes"),
    "10^9 runs, even with --yes": (
        ["--hidden", _comma(1000), "--batch-size", _comma(1000), "--seed", _comma(1000), "--yes"],
        "1,000,000,000 runs",
    ),
    "second run's batch is too long for the corpus": (
        ["--batch-size", "4,400"],
        "run 2 of 2 (batch_size=400): corpus too short",
    ),
    "third run needs too much memory": (
        ["--embedding", "8,16,1000000000"],
        "run 3 of 3 (embedding=1000000000): training needs about",
    ),
}


@pytest.mark.parametrize("name", list(SWEEPS))
def test_a_bad_sweep_is_refused_before_the_first_run(name, tmp_path):
    (tmp_path / "tiny.txt").write_text(TINY_TEXT, encoding="utf-8")
    flags, needle = SWEEPS[name]
    base = ["train", "--corpus", "tiny.txt", "--hidden", "8", "--batch-size", "4"]
    base += ["--num-steps", "8", "--steps", "2", "--sample-length", "0", "--quiet"]
    result = call_cli([*base, *flags], cwd=tmp_path, env=cli_env(tmp_path))
    assert_one_line_error(result, needle)
    assert "Epoch" not in result.stdout  # nothing trained
    assert not list((tmp_path / "data").glob("runs/*"))  # and nothing recorded


MEMORY: dict[str, tuple[list[str], int | None]] = {
    "--embedding 1000000000": (["--embedding", "1000000000"], None),
    "8 x 8192 LSTM under a 4 GB cap": (
        ["--cell", "lstm", "--layers", "8", "--hidden", "8192"],
        FOUR_GB,
    ),
    "batch 1024 x 1024 of a 2048 LSTM under a 4 GB cap": (
        ["--cell", "lstm", "--hidden", "2048", "--batch-size", "1024", "--num-steps", "1024"],
        FOUR_GB,
    ),
}


@pytest.mark.parametrize(
    ("name", "run"), in_process_and_spawned(MEMORY, ["8 x 8192 LSTM under a 4 GB cap"])
)
def test_a_model_too_big_is_refused_before_allocation(name, run, tmp_path):
    """Under a cap, an allocation would fail with an error of its own, not this refusal."""
    (tmp_path / "tiny.txt").write_bytes(TINY_TEXT.encode() * 4000)  # 8 MB: any batch fits
    flags, cap = MEMORY[name]
    args = ["train", "--corpus", "tiny.txt", "--steps", "2", "--no-store", "--quiet", *flags]
    result = run(args, cwd=tmp_path, env=cli_env(tmp_path), address_space=cap)
    assert_one_line_error(result, "is available")


RESUMES: dict[str, tuple[list[str], str]] = {
    "--hidden 64": (["--hidden", "64"], "--hidden: cannot change when resuming"),
    "--cell lstm --lr 0.5": (["--cell", "lstm", "--lr", "0.5"], "--cell: cannot change"),
    "--batch-size 9": (["--batch-size", "9"], "--batch-size: cannot change"),
    "--preset quick": (["--preset", "quick"], "--preset cannot be used with --resume"),
    "--corpus of other text": (["--corpus", "other.txt"], "is not the text"),
    "--steps 0": (["--steps", "0"], "--steps"),
}


@pytest.mark.parametrize("name", list(RESUMES))
def test_a_resume_flag_it_cannot_honour_is_named(name, trained, tmp_path):
    corpus, payload = trained
    checkpoint = tmp_path / "last.pt"
    torch.save({**payload, "config": dict(payload["config"], corpus=str(corpus))}, checkpoint)
    (tmp_path / "other.txt").write_text(TINY_TEXT.replace("Time", "Tome"), encoding="utf-8")
    flags, needle = RESUMES[name]
    args = ["train", "--resume", str(checkpoint), "--no-store", "--quiet", *flags]
    assert_one_line_error(call_cli(args, cwd=tmp_path, env=cli_env(tmp_path)), needle)


SMALL_COMMANDS: dict[str, tuple[list[str], str]] = {
    "params --embedding -5": (["params", "--embedding", "-5"], "--embedding must be at least 1"),
    "params --embedding 0": (["params", "--embedding", "0"], "--embedding must be at least 1"),
    "params --layers 100000000": (["params", "--layers", "100000000"], "--layers must be at most"),
    "params --hidden 0": (["params", "--hidden", "0"], "--hidden must be at least 1"),
    "bench --rounds 0": (["bench", "--rounds", "0"], "--rounds must be at least 1"),
    "bench --seconds 0": (["bench", "--seconds", "0"], "--seconds must be a number above 0"),
    "bench --seconds nan": (["bench", "--seconds", "nan"], "--seconds must be a number above 0"),
}


@pytest.mark.parametrize("name", list(SMALL_COMMANDS))
def test_params_and_bench_arguments_are_one_line(name, tmp_path):
    args, needle = SMALL_COMMANDS[name]
    assert_one_line_error(call_cli(args, cwd=tmp_path, env=cli_env(tmp_path)), needle)


# --------------------------------------------------------------------------- engine level


def test_extending_a_finished_run_equals_the_longer_run(tmp_path):
    (tmp_path / "tiny.txt").write_text(TINY_TEXT, encoding="utf-8")
    config = tiny_config(tmp_path / "tiny.txt", dropout=0.2, layers=2)

    def losses(events: list[Any]) -> list[float]:
        return [e.loss for e in events if isinstance(e, StepEnd)]

    straight: list[Any] = []
    Trainer(config.replace(steps=40), on_event=straight.append).run()
    first: list[Any] = []
    out = tmp_path / "out"
    Trainer(config.replace(steps=20), on_event=first.append, out_dir=out).run()
    extended: list[Any] = []
    end = Trainer(
        config.replace(steps=40), on_event=extended.append, resume=out / "last.pt", out_dir=out
    ).run()
    assert end.reason == "finished" and end.step == 40
    assert losses(first) + losses(extended) == losses(straight)
    # The run ends inside its first epoch (59 steps per pass) both times: one epoch each.
    assert [e.epoch for e in first if isinstance(e, EpochEnd)] == [1]
    assert [e.epoch for e in extended if isinstance(e, EpochEnd)] == [1]
    assert [e.epoch for e in straight if isinstance(e, RunEnd)] == [end.epoch] == [1]


def test_a_relative_corpus_is_recorded_absolute_and_resumes_from_elsewhere(tmp_path, monkeypatch):
    (tmp_path / "tiny.txt").write_text(TINY_TEXT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    end = Trainer(tiny_config(Path("tiny.txt"), steps=2), out_dir=tmp_path / "out").run()
    saved = load_checkpoint(end.checkpoint)["config"]["corpus"]
    assert saved == str(tmp_path / "tiny.txt")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    resumed = Trainer(
        TrainConfig.from_dict(load_checkpoint(end.checkpoint)["config"]).replace(steps=4),
        resume=end.checkpoint,
    ).run()
    assert resumed.reason == "finished" and resumed.step == 4, resumed.message


def test_mismatched_shapes_are_refused_before_a_model_is_built(trained, tmp_path, monkeypatch):
    path = write_variant("hidden does not match the weights", trained, tmp_path)

    def no_model(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a model was built from a bad checkpoint")

    monkeypatch.setattr(CharRNN, "__init__", no_model)
    with pytest.raises(CheckpointError, match="rnn.weight_ih_l0 is 24x28, the config needs"):
        load_model(path)


def test_resume_config_names_every_field_it_cannot_change():
    saved = TrainConfig(hidden=32, corpus="/data/a.txt")
    with pytest.raises(ConfigError) as info:
        resume_config(saved, {"hidden": 64, "cell": "lstm", "steps": 50})
    assert set(info.value.errors) == {"hidden", "cell"}
    resumed = resume_config(saved, {"hidden": 32, "steps": 50, "corpus": "/data/b.txt"})
    assert (resumed.hidden, resumed.steps, resumed.corpus) == (32, 50, "/data/b.txt")


def test_sweep_size_is_known_before_expanding():
    huge = {"hidden": _comma(1000), "batch_size": _comma(1000), "seed": _comma(1000)}
    assert sweep_size(huge) == 10**9
    with pytest.raises(SweepTooLarge) as info:
        expand_sweep(huge, confirmed=True)  # fails at once: nothing is expanded
    assert (info.value.runs, info.value.limit) == (10**9, SWEEP_MAX_RUNS)
    assert len(expand_sweep({"hidden": _comma(65)}, confirmed=True)) == 65
    with pytest.raises(SweepTooLarge):
        expand_sweep({"hidden": _comma(65)})


@pytest.mark.parametrize(
    "changes",
    [
        {"cell": "rnn"},
        {"cell": "gru", "layers": 3, "embedding": "5"},
        {"cell": "lstm", "layers": 2, "embedding": "vocab", "hidden": 17},
    ],
)
def test_the_estimate_counts_the_parameters_torch_allocates(changes):
    config = TrainConfig(**changes)
    model = CharRNN.from_config(config, 30)
    assert estimate(config, 30).parameters == count_parameters(model)
    assert estimate(config, 30, training=False).total < estimate(config, 30).total


def test_check_memory_refuses_under_an_address_space_cap():
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    config = TrainConfig(cell="lstm", layers=8, hidden=8192)
    resource.setrlimit(resource.RLIMIT_AS, (FOUR_GB * 4, hard))  # room for this process
    try:
        with pytest.raises(ResourceError, match=r"address-space limit"):
            check_memory(config, 28)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    check_memory(TrainConfig(), 28)  # the default model fits anywhere


@pytest.mark.parametrize("mode", ["clean", "seed", "d2l"])
def test_line_ends_are_normalised_in_every_mode_but_raw(mode, tmp_path):
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(b"one two\r\nthree\rfour\n" * 40)
    text = read_text(crlf)
    assert "\r" not in preprocess(text, mode)
    assert preprocess(text, mode) == preprocess(text.replace("\r", "\n"), mode)
    assert "\r" in preprocess(text, "raw")  # raw keeps a lone CR
    assert "\r" not in load_corpus(crlf, mode).vocab.chars


def test_the_corpus_fingerprint_is_the_preprocessed_text(tmp_path):
    one = tmp_path / "one.txt"
    one.write_text("Hello World\n" * 10, encoding="utf-8")
    two = tmp_path / "two.txt"
    two.write_text("hello   world\r\n" * 10, encoding="utf-8")
    assert load_corpus(one, "clean").sha1 == load_corpus(two, "clean").sha1
    assert load_corpus(one, "raw").sha1 != load_corpus(two, "raw").sha1


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_cgroup_limit_counts_less_its_usage(version, tmp_path):
    from rnn_tui.model.resources import _cgroup_headroom

    membership = tmp_path / "cgroup"
    root = tmp_path / "fs"
    if version == "v2":
        membership.write_text("0::/jobs/one\n")
        group, limit, usage = root / "jobs/one", "memory.max", "memory.current"
        (root / "jobs").mkdir(parents=True)
        (root / "jobs" / limit).write_text("max\n")  # a parent without a limit
    else:
        membership.write_text("4:memory:/jobs/one\n3:cpu:/\n")
        group = root / "memory/jobs/one"
        limit, usage = "memory.limit_in_bytes", "memory.usage_in_bytes"
        (root / "memory").mkdir(parents=True)
        (root / "memory" / limit).write_text("9223372036854771712\n")  # v1's "no limit"
    group.mkdir(parents=True)
    (group / limit).write_text(f"{FOUR_GB}\n")
    (group / usage).write_text(f"{FOUR_GB // 4}\n")
    assert _cgroup_headroom(root, membership) == FOUR_GB * 3 // 4
    (group / limit).write_text("max\n")
    assert _cgroup_headroom(root, membership) is None
