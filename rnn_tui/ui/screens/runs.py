"""Placeholder: replaced by the runs screen."""

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class RunsScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("runs")
        yield Footer()
