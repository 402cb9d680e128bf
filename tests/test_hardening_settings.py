"""A damaged settings file is moved aside (settings.json.damaged-<time>) before a new one is
written, and the notice says where; `--fresh` never writes the remembered settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnn_tui.settings import Settings, load_settings, save_settings, settings_path
from rnn_tui.ui.app import RnnTuiApp

# Five ways a settings file is damaged: the bytes it holds.
DAMAGED = {
    "not JSON": b'{"version": 1, "form": [',
    "not UTF-8": b'{"version": 1, "theme": "\xff"}',
    "a JSON list": b"[1, 2, 3]",
    "wrong types": json.dumps({"version": 1, "marks": ["a"], "log_y": "yes"}).encode(),
    "a newer version": json.dumps({"version": 99, "future": True}).encode(),
    "empty": b"",
    "nested too deep": b"[" * 100_000,
}


def _aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.damaged-*"))


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_file_is_moved_aside_and_the_notice_says_where(case, isolated_dirs):
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(DAMAGED[case])
    settings, notice = load_settings()
    assert settings == Settings()
    (moved,) = _aside(path)
    assert moved.read_bytes() == DAMAGED[case]  # every byte kept
    assert notice is not None and "\n" not in notice
    assert str(path) in notice and str(moved) in notice and "damaged" in notice
    assert not path.exists()
    assert save_settings(Settings(theme="nord")) is None
    assert json.loads(path.read_text())["theme"] == "nord"
    assert _aside(path) == [moved] and moved.read_bytes() == DAMAGED[case]


@pytest.mark.parametrize("case", list(DAMAGED))
def test_saving_over_a_file_damaged_since_it_was_read_keeps_it(case, isolated_dirs):
    path = settings_path()
    path.parent.mkdir(parents=True)
    assert load_settings() == (Settings(), None)
    path.write_bytes(DAMAGED[case])  # damaged while the app ran
    assert save_settings(Settings(theme="nord")) is None
    (moved,) = _aside(path)
    assert moved.read_bytes() == DAMAGED[case]
    assert json.loads(path.read_text())["theme"] == "nord"


def test_an_unreadable_settings_path_is_never_replaced(isolated_dirs):
    path = settings_path()
    path.mkdir(parents=True)  # a folder where the file should be: cannot be read
    (path / "keep.txt").write_text("mine", encoding="utf-8")
    settings, notice = load_settings()
    assert settings == Settings() and notice is not None and "not read" in notice
    problem = save_settings(Settings(theme="nord"))
    assert problem is not None and "\n" not in problem
    assert (path / "keep.txt").read_text(encoding="utf-8") == "mine"


async def test_the_app_moves_a_damaged_file_aside_and_says_where(isolated_dirs):
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(DAMAGED["not JSON"])
    app = RnnTuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        (moved,) = _aside(path)
        notices = [n.message for n in app._notifications]
        assert any(str(moved) in message for message in notices), notices
        app.exit()
    assert moved.read_bytes() == DAMAGED["not JSON"]
    assert json.loads(path.read_text())["version"] == 1


async def test_fresh_never_writes_the_remembered_settings(isolated_dirs):
    path = settings_path()
    path.parent.mkdir(parents=True)
    remembered = b'{"version": 1, "theme": "nord", "form": {"hidden": "48"}}\n'
    path.write_bytes(remembered)
    app = RnnTuiApp(fresh=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.theme = "gruvbox"  # a change that is saved at once without --fresh
        await pilot.pause()
        app.exit()
    assert path.read_bytes() == remembered
    assert not _aside(path)
