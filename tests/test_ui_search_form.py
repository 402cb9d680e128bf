"""The Train form's Search group: a range in a field with the flags' words under it when it
is bad, and a search started from the form as the flags start one (a detached child whose
study gets its trials; the TUI imports neither torch nor Optuna for it)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_calls import call_cli
from run_processes import TINY_VALUES, Children, async_wait_until, tracked_children

from rnn_tui.runs.study import load_study, open_storage
from rnn_tui.store import RunStore, default_db_path
from rnn_tui.ui.app import RnnTuiApp
from rnn_tui.ui.screens import search_start
from rnn_tui.ui.screens.sweeps import SweepsScreen
from rnn_tui.ui.screens.train import TrainScreen
from rnn_tui.ui.widgets.choice_field import ChoiceField
from rnn_tui.ui.widgets.config_form import ConfigForm
from rnn_tui.ui.widgets.search_group import SearchGroup

TINY = {**TINY_VALUES, "epochs": "1"}


@pytest.fixture
def children() -> Iterator[Children]:
    """The search's child and, at the end, any trial run a failed test left running."""
    tracked = tracked_children()
    found = next(tracked)
    yield found
    for child in search_start.launched:
        found.add(child.pid)
    search_start.launched.clear()
    path = default_db_path()
    if path.exists():
        with RunStore(path) as store:
            for run in store.list_runs():
                if run.status == "running" and run.pid:
                    try:
                        os.killpg(run.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
    next(tracked, None)


def form_of(app: RnnTuiApp) -> ConfigForm:
    assert isinstance(app.screen, TrainScreen)
    return app.screen.form


def error_under(form: ConfigForm, name: str) -> str:
    lines = form.query(f"#error-{name}")
    return str(lines.first().render()) if lines and lines.first().display else ""


async def test_a_bad_range_shows_the_flags_message_under_its_field(tiny_corpus: Path) -> None:
    async with RnnTuiApp().run_test(size=(120, 40)) as pilot:
        form = form_of(pilot.app)
        form.set_values({**TINY, "corpus": str(tiny_corpus), "hidden": "128..64"})
        await pilot.pause()
        assert not form.is_valid and form.search is None
        message = form.errors["hidden"]
        assert message.startswith("range 128..64 is empty")
        assert error_under(form, "hidden") == message
        assert len(message.splitlines()) == 1
        # The same words as the flag's one line: one rule (runs.space) says both.
        flags = ["train", "--corpus", str(tiny_corpus), "--hidden", "128..64"]
        done = call_cli(flags, cwd=tiny_corpus.parent)
        assert done.returncode == 2
        assert done.stderr == f"rnn-tui: error: --hidden: {message}\n"

        # A good range makes the form a search (tpe: the sampler a range implies)...
        form.set_values({"hidden": "64..512", "lr": "1e-4..1e-2:log"})
        await pilot.pause()
        assert form.is_valid and form.search is not None
        assert (form.search.sampler, form.search.trials) == ("tpe", 20)
        assert error_under(form, "hidden") == ""
        # ...and a range with the grid sampler is refused under the field, as the flag is.
        group = form.query_one(SearchGroup)
        group.query_one("#search-sampler", ChoiceField).value = "grid"
        await pilot.pause()
        assert form.errors["hidden"].startswith("range 64..512 needs --sampler random or tpe")

        # The Sweeps screen's `n` comes back here with the Search group open on the sampler.
        group.collapsed = True
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(pilot.app.screen, TrainScreen) and not group.collapsed
        assert pilot.app.focused is group.query_one("#search-sampler")


async def test_a_search_started_from_the_form_runs_its_trials(
    tiny_corpus: Path, children: Children
) -> None:
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        form = form_of(app)
        form.set_values({**TINY, "corpus": str(tiny_corpus), "hidden": "8..16"})
        group = form.query_one(SearchGroup)
        group.query_one("#search-sampler", ChoiceField).value = "random"
        group.query_one("#search-trials").value = "2"
        await pilot.pause()
        assert form.is_valid and form.search is not None, form.errors
        assert (form.search.sampler, form.search.trials) == ("random", 2)
        await pilot.press("ctrl+r")
        await async_wait_until(lambda: search_start.launched, 10, "the search's child", pilot)
        child = search_start.launched[-1]
        children.add(child.pid)
        await async_wait_until(
            lambda: isinstance(app.screen, SweepsScreen), 10, "the Sweeps screen", pilot
        )
        screen = app.screen
        assert isinstance(screen, SweepsScreen)
        name = screen.study_name
        assert name and name.startswith("sweep-")

        def ended_trials() -> int:
            path = default_db_path()
            try:
                study, _ = load_study(name, open_storage(path), wait_s=0)
            except Exception:  # noqa: BLE001 - not created yet
                return 0
            return sum(1 for t in study.get_trials() if t.state.is_finished())

        await async_wait_until(lambda: ended_trials() == 2, 300, "the study's 2 trials", pilot)
        await async_wait_until(lambda: child.returncode is not None, 60, "the child's end", pilot)
        assert child.returncode == 0, child.log_tail(10)
        await async_wait_until(
            lambda: (
                screen.board.row_count == 2
                and all(t.status == "finished" for t in screen.board.trials)
            ),
            30,
            "both trials on the leaderboard",
            pilot,
        )
        for trial in screen.board.trials:
            assert 8 <= trial.params["hidden"] <= 16 and trial.best_val_ppl > 1


def test_starting_a_search_needs_neither_torch_nor_optuna(tmp_path: Path) -> None:
    import subprocess
    import sys

    from cli_calls import REPO

    code = (
        "import sys\n"
        "import rnn_tui.ui.app, rnn_tui.ui.screens.search_start, rnn_tui.ui.widgets.search_group\n"
        "from rnn_tui.runs.search_spec import SearchOptions, search_argv, search_spec\n"
        "from rnn_tui.ui.widgets.search_group import check_search\n"
        "spec = search_spec({'hidden': '8..16'}, SearchOptions())\n"
        "check_search({'hidden': '8..16'}, {})\n"
        "search_argv(spec, name='x', store_path='runs.db')\n"
        "print(sorted(m for m in ('torch', 'optuna') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"
