"""What the app remembers between launches: a small JSON file in the user config directory.

The Train form's values (the corpus path among them), the theme, the chart options and the
Runs screen's marks and sort order. `$RNN_TUI_CONFIG_DIR` overrides the directory (tests use
it). The file is written atomically; a damaged one is ignored with a notice and never stops
the app.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rnn_tui import strict_json
from rnn_tui.atomic import atomic_file

ENV_CONFIG_DIR = "RNN_TUI_CONFIG_DIR"
FILE_NAME = "settings.json"
VERSION = 1
X_AXES = ("step", "epoch")


@dataclass
class Settings:
    """Everything remembered; the defaults are what a first launch (or --fresh) gets."""

    form: dict[str, str] = field(default_factory=dict)  # field name -> text, as typed
    theme: str | None = None
    log_y: bool = False
    x_axis: str = "step"
    marks: list[int] = field(default_factory=list)  # run ids marked on the Runs screen
    runs_sort: str | None = None  # the Runs screen's sort column (None: its default)
    runs_sort_reverse: bool = False
    store: str | None = None  # the run store (path or URL) when neither --store nor env names one

    def to_dict(self) -> dict[str, Any]:
        return {"version": VERSION, **asdict(self)}


def config_dir() -> Path:
    """$RNN_TUI_CONFIG_DIR, else the platform's user config directory for rnn-tui."""
    override = os.environ.get(ENV_CONFIG_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("rnn-tui"))


def settings_path() -> Path:
    return config_dir() / FILE_NAME


class DamagedSettings(ValueError):
    """The settings file exists but does not hold what this version writes."""


def settings_from_dict(data: object) -> Settings:
    """Settings from parsed JSON; raises DamagedSettings naming what is wrong."""
    if not isinstance(data, dict):
        raise DamagedSettings("not a JSON object")
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise DamagedSettings(f"unknown version {version!r}")
    form = data.get("form", {})
    if not isinstance(form, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in form.items()
    ):
        raise DamagedSettings("'form' is not a map of texts")
    theme = data.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise DamagedSettings("'theme' is not a text")
    log_y = data.get("log_y", False)
    if not isinstance(log_y, bool):
        raise DamagedSettings("'log_y' is not true or false")
    x_axis = data.get("x_axis", "step")
    if x_axis not in X_AXES:
        raise DamagedSettings(f"'x_axis' is not one of {', '.join(X_AXES)}")
    marks = data.get("marks", [])
    if not isinstance(marks, list) or not all(
        isinstance(m, int) and not isinstance(m, bool) for m in marks
    ):
        raise DamagedSettings("'marks' is not a list of run ids")
    runs_sort = data.get("runs_sort")
    if runs_sort is not None and not isinstance(runs_sort, str):
        raise DamagedSettings("'runs_sort' is not a text")
    runs_sort_reverse = data.get("runs_sort_reverse", False)
    if not isinstance(runs_sort_reverse, bool):
        raise DamagedSettings("'runs_sort_reverse' is not true or false")
    store = data.get("store")
    if store is not None and not isinstance(store, str):
        raise DamagedSettings("'store' is not a text")
    return Settings(
        form=dict(form),
        theme=theme,
        log_y=log_y,
        x_axis=x_axis,
        marks=list(marks),
        runs_sort=runs_sort,
        runs_sort_reverse=runs_sort_reverse,
        store=store,
    )


class UnreadableSettings(OSError):
    """The settings file exists but cannot be read (permissions, a folder, an I/O error)."""


def read_settings(path: Path) -> Settings | None:
    """The settings in `path`; None when there is no file. DamagedSettings when it does not
    hold settings, UnreadableSettings when it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnreadableSettings(exc.strerror or type(exc).__name__) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DamagedSettings("not UTF-8 text") from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DamagedSettings(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise DamagedSettings("JSON nested too deep") from None
    return settings_from_dict(parsed)


def set_aside(path: Path) -> Path:
    """Move a damaged settings file to `<name>.damaged-<time>` beside it; where it went.
    OSError when it cannot be moved."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while target.exists() or target.is_symlink():
        number += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    os.rename(path, target)
    return target


def load_settings(path: str | Path | None = None) -> tuple[Settings, str | None]:
    """The remembered settings and a one-line notice when the file could not be used.

    No file: the defaults and no notice. A damaged file is moved aside first
    (`settings.json.damaged-<time>`), and the notice says where; an unreadable one is left
    where it is, and `save_settings` will not replace it.
    """
    path = Path(path) if path is not None else settings_path()
    try:
        return read_settings(path) or Settings(), None
    except UnreadableSettings as exc:
        return Settings(), f"settings not read from {path} ({exc}); using defaults"
    except DamagedSettings as exc:
        reason = str(exc)
    try:
        moved = set_aside(path)
    except OSError as error:
        return Settings(), (
            f"settings file {path} is damaged ({reason}) and could not be moved aside "
            f"({error.strerror or error}); using defaults, and it is not overwritten"
        )
    return Settings(), f"settings file {path} is damaged ({reason}); moved to {moved}"


def save_settings(settings: Settings, path: str | Path | None = None) -> str | None:
    """Write the settings atomically; a one-line reason when that failed, else None.

    The file there is never lost: a damaged one is moved aside first, and an unreadable one
    is not replaced. Saving is never worth a crash (the app saves on its way out), so
    errors come back as text.
    """
    path = Path(path) if path is not None else settings_path()
    try:
        read_settings(path)
    except UnreadableSettings as exc:
        return f"settings not saved: {path} cannot be read ({exc}) and is kept as it is"
    except DamagedSettings as exc:
        try:
            set_aside(path)
        except OSError as error:
            return (
                f"settings not saved: {path} is damaged ({exc}) and could not be moved aside "
                f"({error.strerror or error})"
            )
    data = strict_json.dumps(settings.to_dict(), indent=2, sort_keys=True).encode("utf-8")
    try:
        with atomic_file(path) as handle:
            handle.write(data + b"\n")
    except OSError as exc:
        return f"settings not saved to {path}: {exc.strerror or exc}"
    return None
