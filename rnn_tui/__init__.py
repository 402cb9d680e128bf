"""rnn-tui: train, watch, compare and sample character-level recurrent language models."""

__version__ = "0.1.0"
