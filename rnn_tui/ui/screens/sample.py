"""Placeholder: replaced by the sample screen."""

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class SampleScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("sample")
        yield Footer()
