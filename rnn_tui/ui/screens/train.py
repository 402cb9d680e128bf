"""Placeholder: replaced by the train screen."""

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class TrainScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("train")
        yield Footer()
