"""What a resume may change of a run's config: how long it runs and where, never the model or
the data. No torch here: the planner decides a resume in the TUI's process."""

from __future__ import annotations

from typing import Any

from rnn_tui.config import RESUME_OVERRIDES, TrainConfig
from rnn_tui.data.text import absolute_corpus_path
from rnn_tui.errors import ConfigError

# Besides RESUME_OVERRIDES, the corpus path may change on resume (a moved or copied file),
# as long as its preprocessed text is the same: check_same_corpus compares fingerprints.
RESUME_PATH_FIELDS = ("corpus",)


def resume_config(saved: TrainConfig, given: dict[str, Any]) -> TrainConfig:
    """The checkpoint's config with the given values a resume may change (resume_changes),
    checked."""
    return saved.replace(**resume_changes(saved, given)).checked()


def resume_changes(saved: TrainConfig, given: dict[str, Any]) -> dict[str, Any]:
    """The given values a resume may change that differ from the checkpoint's config.

    `given` holds only values the user set (field name -> value). A value equal to the
    checkpoint's is accepted; any other change of a field a resume cannot change (the model,
    the data, the optimizer) is a ConfigError naming every such field.
    """
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in given.items():
        if name in RESUME_PATH_FIELDS:
            value = absolute_corpus_path(value)
            if value == absolute_corpus_path(saved.corpus):
                continue
        if value == getattr(saved, name):
            continue
        if name in RESUME_OVERRIDES or name in RESUME_PATH_FIELDS:
            changes[name] = value
        else:
            errors[name] = (
                f"cannot change when resuming (the checkpoint has {getattr(saved, name)!r}); "
                "start a new run to change it"
            )
    if errors:
        raise ConfigError(errors)
    return changes
