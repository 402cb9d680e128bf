"""One answer per question: the same cases through the CLI and through the TUI give the same
verdict. Each front end runs its own code up to the executor, which is replaced by a catch
(no process starts): a verdict is the plan it would run, a question to confirm, or the one
line of a refusal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import DataTable

from rnn_tui.cli import main
from rnn_tui.config import TrainConfig
from rnn_tui.runs.plan import RunPlan
from rnn_tui.store import RunStore
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens.dialogs import ConfirmModal

TINY = {"hidden": "8", "batch_size": "4", "num_steps": "8", "sample_length": "0", "epochs": "1"}
PREFIX = "rnn-tui: error: "


def _verdict_of_plan(plan: RunPlan) -> tuple:
    resumed = plan.resume.run_id if plan.resume is not None else None
    return ("plan", tuple(c.hidden for c in plan.configs), resumed)


def _refused(line: str) -> tuple:
    # The memory the machine has free moves between two calls; the verdict does not.
    return ("refused", re.sub(r"only [\d.]+ \w+ is available", "only X is available", line))


def _runs_question(text: str) -> tuple:
    return ("confirm", int(re.search(r"([\d,]+) runs", text).group(1).replace(",", "")))


def stored_run(corpus: Path, status: str, *, checkpoint: bool = True, best: bool = False) -> int:
    """A one-epoch run as the store holds it, with checkpoint files where asked."""
    config = TrainConfig(corpus=str(corpus), hidden=8, batch_size=4, num_steps=8, epochs=1)
    with RunStore() as store:
        run_id = store.create_run(config.to_dict(), name=status)
        folder = store.run_dir(run_id)
        fields = {"status": status, "steps": 14, "epochs": 1, "seconds": 1.0}
        if checkpoint:
            (folder / "last.pt").write_bytes(b"a checkpoint")
            fields["checkpoint"] = str(folder / "last.pt")
        if best:
            (folder / "best.pt").write_bytes(b"the best checkpoint")
            fields["best_checkpoint"] = str(folder / "best.pt")
        store.update_run(run_id, **fields)
    return run_id


# --------------------------------------------------------------------------- the two paths


def cli_verdict(args: list[str], monkeypatch, capsys) -> tuple:
    caught: list[RunPlan] = []
    monkeypatch.setattr(
        "rnn_tui.cli.train.execute_plan", lambda plan, **_: caught.append(plan) or 0
    )
    code = main(args)
    err = capsys.readouterr().err
    if caught:
        return _verdict_of_plan(caught[0])
    assert code == 2 and err.startswith(PREFIX) and len(err.strip().splitlines()) == 1, err
    line = err.strip().removeprefix(PREFIX)
    return _runs_question(line) if "pass --yes" in line else _refused(line)


async def tui_start_verdict(values: dict[str, str]) -> tuple:
    app = RnnTuiApp()
    caught: list[RunPlan] = []
    app.controller.start_plan = caught.append  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.form.set_values(values)
        await pilot.pause()
        await app.run_action("start_training")
        await pilot.pause()
        if caught:
            return _verdict_of_plan(caught[0])
        if isinstance(app.screen, ConfirmModal):
            return _runs_question(app.screen.question)
        assert app.controller.error and app.controller.error.startswith(PREFIX)
        return _refused(app.controller.error.removeprefix(PREFIX))


async def tui_resume_verdict(run_id: int) -> tuple:
    app = RnnTuiApp()
    caught: list[RunPlan] = []
    app.controller.start_plan = caught.append  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        started = await app.resume_run(run_id)
        await pilot.pause()
        if caught:
            assert started is not False
            return _verdict_of_plan(caught[0])
        return _refused(_last_note(app))


def _last_note(app: RnnTuiApp) -> str:
    return list(app._notifications)[-1].message


# --------------------------------------------------------------------------- the table

START_CASES = {
    "one run": ({}, ("plan", (8,), None)),
    "a sweep of two": ({"hidden": "8,12"}, ("plan", (8, 12), None)),
    "a sweep to confirm": ({"hidden": ",".join(map(str, range(8, 73)))}, ("confirm", 65)),
    "corpus too short": ({"batch_size": "64", "num_steps": "35"}, "corpus too short: "),
    "memory too big": ({"embedding": "1000000000"}, "training needs about"),
}


@pytest.mark.parametrize("name", START_CASES)
async def test_a_start_has_one_verdict(name, tiny_corpus, monkeypatch, capsys):
    changes, expected = START_CASES[name]
    values = {**TINY, "corpus": str(tiny_corpus), **changes}
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in values.items()]
    cli = cli_verdict(["train", "--quiet", *flags], monkeypatch, capsys)
    tui = await tui_start_verdict(values)
    assert cli == tui
    if isinstance(expected, str):
        assert cli[0] == "refused" and expected in cli[1], cli
    else:
        assert cli == expected


RESUME_CASES = {
    "stopped": ("stopped", {}, True),
    "interrupted": ("interrupted", {}, True),
    "finished": ("finished", {}, "finished; clone it"),
    "error": ("error", {}, "error: only stopped or interrupted runs resume"),
    "diverged": ("diverged", {}, "diverged: only stopped or interrupted runs resume"),
    "no checkpoint": ("stopped", {"checkpoint": False}, "has no checkpoint to resume from"),
}


@pytest.mark.parametrize("name", RESUME_CASES)
async def test_a_resume_has_one_verdict(name, tiny_corpus, monkeypatch, capsys):
    status, options, expected = RESUME_CASES[name]
    run_id = stored_run(tiny_corpus, status, **options)
    with RunStore() as store:
        before = store.get_run(run_id)
    cli = cli_verdict(["train", "--quiet", "--resume", str(run_id)], monkeypatch, capsys)
    tui = await tui_resume_verdict(run_id)
    assert cli == tui
    if expected is True:
        assert cli == ("plan", (8,), run_id)
    else:
        assert cli[0] == "refused" and expected in cli[1], cli
    with RunStore() as store:
        assert store.get_run(run_id) == before  # neither front end changed the run


async def test_a_sample_opens_the_same_checkpoint_from_both(tiny_corpus, monkeypatch):
    from rnn_tui.cli.sample import _checkpoint_path

    run_id = stored_run(tiny_corpus, "finished", best=True)
    cli = _checkpoint_path(str(run_id))
    app = RnnTuiApp()
    opened: list[str] = []

    async def open_in_sample(checkpoint: str) -> None:
        opened.append(checkpoint)

    app.open_in_sample = open_in_sample  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        table = app.screen.query_one("#runs-table", DataTable)
        for _ in range(200):
            if table.row_count:
                break
            await pilot.pause(0.05)
        await pilot.press("p")
        await pilot.pause()
    assert opened == [cli] and cli.endswith("best.pt")


# --------------------------------------------------------------------------- the form


async def test_the_form_checks_only_the_field_that_changed(monkeypatch):
    """A keystroke checks its field once and builds the configs once; an event that changes
    no text (a field mounting) does neither."""
    from textual.widgets import Input

    from rnn_tui.ui.widgets import config_form

    checked: list[str] = []
    built: list[dict[str, str]] = []
    real_check, real_build = config_form.field_error, config_form.build_configs
    monkeypatch.setattr(
        config_form,
        "field_error",
        lambda name, text: checked.append(name) or real_check(name, text),
    )
    monkeypatch.setattr(
        config_form, "build_configs", lambda values: built.append(values) or real_build(values)
    )
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        form = pilot.app.screen.form
        hidden = form.query_one("#field-hidden", Input)
        hidden.focus()
        await pilot.pause()
        checked.clear(), built.clear()
        await pilot.press("end", "6")
        await pilot.pause()
        assert checked == ["hidden"] and len(built) == 1
        assert form.configs[0].hidden == int(hidden.value)
        await pilot.press("backspace", "x")
        await pilot.pause()
        assert checked == ["hidden", "hidden", "hidden"] and len(built) == 2  # x: no configs
        assert "hidden" in form.errors and not form.configs
        form.set_values(form.values())  # the same texts again: nothing to check
        assert len(checked) == 3 and len(built) == 2
