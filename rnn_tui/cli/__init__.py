"""The `rnn-tui` command line: one module per command, plus the parser and its argument types.

`entry.main` is the console script; a command's module is imported only when it runs.
"""

from rnn_tui.cli.configs import configs_from_args
from rnn_tui.cli.entry import main
from rnn_tui.cli.parser import build_parser
from rnn_tui.cli.process import install_stop_handler

__all__ = ["build_parser", "configs_from_args", "install_stop_handler", "main"]
