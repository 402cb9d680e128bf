"""Command palette (ctrl+p): training, screens, presets and the current screen's keys.

Added next to Textual's system commands (themes, keys, quit), which the app keeps.
Every command runs an action by name, so the palette and the keys do the same thing;
commands whose action the app does not have (yet) are left out rather than failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from rnn_tui.config import PRESETS

SCREENS = (
    ("train", "Train", "F2: configure and watch a training run"),
    ("sample", "Sample", "F3: generate text from a checkpoint"),
    ("params", "Parameters", "F4: parameter counts, textbook vs PyTorch"),
    ("runs", "Runs", "F5: past runs, compare and export"),
    ("sweeps", "Sweeps", "F6: searches: leaderboard, trials' curves, parameter importances"),
)


@dataclass(frozen=True)
class PaletteCommand:
    name: str
    help: str
    action: str  # an action string, run on `target`
    target: str = "app"  # "app" or "screen"


def _has_action(node: object, action: str) -> bool:
    name = action.split("(", 1)[0].strip()
    if name.startswith("app."):
        name = name.removeprefix("app.")
    return callable(getattr(node, f"action_{name}", None))


class RnnTuiCommands(Provider):
    """The app's own commands, plus the keys of the screen the palette was opened on."""

    def commands(self) -> Iterator[PaletteCommand]:
        app = self.app
        if _has_action(app, "start_training"):
            yield PaletteCommand(
                "Start training", "Train the model in the Train form", "start_training"
            )
        if _has_action(app, "stop_training"):
            yield PaletteCommand(
                "Stop training", "Stop the run, keeping a checkpoint", "stop_training"
            )
        for mode, title, help_text in SCREENS:
            yield PaletteCommand(f"Screen: {title}", help_text, f"switch_mode({mode!r})")
        if _has_action(app, "apply_preset"):
            for name, values in PRESETS.items():
                summary = ", ".join(
                    f"{key} {values[key]}" for key in ("cell", "layers", "hidden") if key in values
                )
                yield PaletteCommand(
                    f"Preset: {name}",
                    f"Fill the Train form with the {name} preset ({summary})",
                    f"apply_preset({name!r})",
                )
        if _has_action(app, "help"):
            yield PaletteCommand("Help: keys", "Every key of the app and this screen", "help")
        yield from self._screen_commands()

    def _screen_commands(self) -> Iterator[PaletteCommand]:
        """The shown bindings of the screen the palette was opened on, e.g. "Sample: Generate"."""
        screen = self.screen
        title = type(screen).__name__.removesuffix("Screen")
        title = {"Params": "Parameters"}.get(title, title)
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if active.node is not screen:
                continue
            if not binding.show or not binding.description or binding.action in seen:
                continue
            if binding.action.startswith("app."):
                continue  # app actions are offered above
            seen.add(binding.action)
            if _has_action(screen, binding.action):
                yield PaletteCommand(
                    f"{title}: {binding.description}",
                    f"the {binding.key} key on this screen",
                    binding.action,
                    target="screen",
                )

    async def _run(self, command: PaletteCommand) -> None:
        node = self.screen if command.target == "screen" else self.app
        await node.run_action(command.action)

    async def discover(self) -> Hits:
        for command in self.commands():
            yield DiscoveryHit(command.name, partial(self._run, command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.name),
                    partial(self._run, command),
                    text=command.name,
                    help=command.help,
                )
