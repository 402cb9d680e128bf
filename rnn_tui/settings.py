"""What the app remembers between launches: a small JSON file in the user config directory.

The Train form's values (the corpus path among them), the theme, the chart options and the
Runs screen's marks and sort order. `$RNN_TUI_CONFIG_DIR` overrides the directory (tests use
it). The file is written atomically; a damaged one is ignored with a notice and never stops
the app.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
    return Settings(
        form=dict(form),
        theme=theme,
        log_y=log_y,
        x_axis=x_axis,
        marks=list(marks),
        runs_sort=runs_sort,
        runs_sort_reverse=runs_sort_reverse,
    )


def load_settings(path: str | Path | None = None) -> tuple[Settings, str | None]:
    """The remembered settings and a one-line notice when the file could not be used.

    No file: the defaults and no notice. An unreadable or damaged file: the defaults and a
    notice naming the file (it is left as it is until the next save replaces it).
    """
    path = Path(path) if path is not None else settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings(), None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return Settings(), f"settings not read from {path} ({reason}); using defaults"
    try:
        return settings_from_dict(json.loads(text)), None
    except json.JSONDecodeError as exc:
        reason = f"not JSON: {exc.msg} at line {exc.lineno}"
    except DamagedSettings as exc:
        reason = str(exc)
    return Settings(), f"settings file {path} is damaged ({reason}); using defaults"


def save_settings(settings: Settings, path: str | Path | None = None) -> str | None:
    """Write the settings atomically; a one-line reason when that failed, else None.

    Saving is never worth a crash (the app saves on its way out), so errors come back as text.
    """
    path = Path(path) if path is not None else settings_path()
    data = json.dumps(settings.to_dict(), indent=2, sort_keys=True).encode("utf-8")
    try:
        with atomic_file(path) as handle:
            handle.write(data + b"\n")
    except OSError as exc:
        return f"settings not saved to {path}: {exc.strerror or exc}"
    return None
