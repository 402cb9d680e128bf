"""Placeholder: replaced by the params screen."""

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class ParamsScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("params")
        yield Footer()
