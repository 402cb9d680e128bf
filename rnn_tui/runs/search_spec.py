"""A search from string values and its options (the train flags, or the Train form's fields
and its Search group): whether one is asked for, its StudySpec, and the command line that
runs it. One rule for both front ends; ranges and lists are read by runs.space.

Errors are ConfigError naming each bad field: a setting's name, `sampler`, `pruner`,
`trials`, or `sweep` for the search as a whole. No Optuna and no torch here: the TUI starts
a search by launching `rnn-tui train` with these flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rnn_tui.config import FieldSpec
from rnn_tui.errors import ConfigError
from rnn_tui.plural import plural
from rnn_tui.runs.processes import train_argv
from rnn_tui.runs.space import PRUNERS, SAMPLERS, SearchSpace, is_range, parse_space
from rnn_tui.runs.study import StudySpec

DEFAULT_TRIALS = 20
AUTO = "auto"  # the Search group's sampler when none is chosen: as the flags without --sampler

# The Search group's fields, defined as the config's are (a form builds them the same way).
SEARCH_FIELDS = (
    FieldSpec(
        "sampler", "Search", "auto: tpe with a range (64..512), else a plain run or sweep; "
        "grid: every point of the lists; random or tpe: trials points of lists and ranges",
        choices=(AUTO, *SAMPLERS),
    ),
    FieldSpec(
        "pruner", "Search", "stop bad trials early on validation perplexity: median rule or "
        "asha (successive halving)", choices=PRUNERS,
    ),
    FieldSpec(
        "trials", "Search", "finished, pruned and failed trials to run (empty: the grid's "
        f"points, else {DEFAULT_TRIALS})", minimum=1, optional=True,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class SearchOptions:
    """What the flags --sampler, --pruner and --trials say (None: not given)."""

    sampler: str | None = None
    pruner: str | None = None
    trials: int | None = None
    keep_checkpoints: bool = False

    @classmethod
    def from_strings(cls, texts: dict[str, str]) -> SearchOptions:
        """The Search group's texts; ConfigError names a bad one."""
        sampler = texts.get("sampler", AUTO).strip() or AUTO
        pruner = texts.get("pruner", "none").strip() or "none"
        errors: dict[str, str] = {}
        if sampler != AUTO and sampler not in SAMPLERS:
            errors["sampler"] = f"one of {', '.join((AUTO, *SAMPLERS))}"
        if pruner not in PRUNERS:
            errors["pruner"] = f"one of {', '.join(PRUNERS)}"
        text = texts.get("trials", "").strip().replace("_", "")
        trials = None
        if text:
            try:
                trials = int(text)
            except ValueError:
                errors["trials"] = f"must be a whole number, got {text!r}"
            else:
                if trials < 1:
                    errors["trials"] = "must be at least 1"
        if errors:
            raise ConfigError(errors)
        return cls(
            None if sampler == AUTO else sampler, None if pruner == "none" else pruner, trials
        )


def search_wanted(values: dict[str, str], options: SearchOptions) -> bool:
    """Whether the values and options ask for a search rather than a run or a comma-list
    sweep: a sampler, a pruner or a trial count, or a range in a setting."""
    if options.sampler or options.pruner or options.trials is not None:
        return True
    return any(is_range(str(text)) for text in values.values())


def implied_sampler(values: dict[str, str], sampler: str | None) -> str:
    """The sampler when none is given: tpe with a range, else grid."""
    return sampler or ("tpe" if any(is_range(t) for t in values.values()) else "grid")


def grid_trial_count(space: SearchSpace, trials: int | None) -> int:
    """A grid runs each point once; ValueError when `trials` says otherwise."""
    points = space.grid_size()
    if trials is not None and trials != points:
        raise ValueError(f"the grid has {plural(points, 'point')}")
    return points


def lacks_validation_split(space: SearchSpace) -> bool:
    """A search minimizes validation perplexity: a zero validation fraction cannot."""
    text = space.fixed.get("val_fraction")
    zero = text is not None and text.strip() not in ("", "none") and float(text) == 0
    zero = zero or any(float(v) == 0 for v in space.choices.get("val_fraction", []))
    span = space.ranges.get("val_fraction")
    return zero or (span is not None and span.low == 0)


def search_spec(values: dict[str, str], options: SearchOptions) -> StudySpec:
    """The study that values and options stand for; ConfigError naming each bad field."""
    sampler = implied_sampler(values, options.sampler)
    space = parse_space(values, sampler)
    if not space.searched:
        raise ConfigError(
            {"sweep": "a search needs a list (gru,lstm) or a range (64..512) in a setting"}
        )
    if lacks_validation_split(space):
        raise ConfigError({"val_fraction": "a search needs a validation split to compare trials"})
    if sampler == "grid":
        try:
            trials = grid_trial_count(space, options.trials)
        except ValueError as exc:
            raise ConfigError({"trials": f"{exc}; leave trials empty"}) from None
    else:
        trials = options.trials if options.trials is not None else DEFAULT_TRIALS
    return StudySpec(
        space.to_dict(),
        sampler,
        options.pruner or "none",
        trials,
        keep_checkpoints=options.keep_checkpoints,
    )


def search_argv(spec: StudySpec, *, name: str, store_path: Path | str | None) -> list[str]:
    """`rnn-tui train` that creates study `name` from `spec` and runs it (one worker): the
    same process the flags start, so the child validates the values once more."""
    space = spec.search_space()
    values = {**space.fixed}
    values.update({k: ",".join(v) for k, v in space.choices.items()})
    values.update({k: r.text() for k, r in space.ranges.items()})
    argv = [a for a in train_argv(values, store_path=store_path) if a != "--log-to-run"]
    argv += [f"--sweep={name}", f"--sampler={spec.sampler}", f"--pruner={spec.pruner}"]
    argv.append(f"--trials={spec.trials}")
    if spec.keep_checkpoints:
        argv.append("--keep-checkpoints")
    return argv
