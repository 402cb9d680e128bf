"""Which of the Train form's fields are built before the first frame: those in the rows the
form shows then (the screen's estimate). The rest are mounted right after it, in place of a
blank of their height (config_form.py): building and laying out fewer widgets brings the
first frame sooner, and the frame looks the same."""

from __future__ import annotations

from dataclasses import dataclass

HEAD_ROWS = 2  # the preset and the parameter count, above the groups


@dataclass(frozen=True)
class Part:
    """Some fields of a group: a Grid, under the group's title when `titled`."""

    group: str
    names: list[str]
    titled: bool  # False: the rest of a group whose first fields show

    @property
    def rows(self) -> int:
        return (2 if self.titled else 0) + len(self.names)  # a title sits under a blank line


def split_at_fold(
    groups: dict[str, list[str]], visible_rows: int | None
) -> tuple[list[Part], list[Part]]:
    """(now, later): the groups' parts in the form's first `visible_rows` rows, and those
    below them (None: every part now)."""
    now: list[Part] = []
    later: list[Part] = []
    top = HEAD_ROWS  # the rows above the group
    for group, names in groups.items():
        if visible_rows is not None and top + 1 >= visible_rows:  # its title is below too
            later.append(Part(group, names, titled=True))
        else:
            shown = len(names) if visible_rows is None else max(0, visible_rows - top - 2)
            now.append(Part(group, names[:shown], titled=True))
            if names[shown:]:
                later.append(Part(group, names[shown:], titled=False))
        top += 2 + len(names)
    return now, later
