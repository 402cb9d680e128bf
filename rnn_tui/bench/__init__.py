"""The benchmarks behind `rnn-tui bench`; imported only by that command, never by the app."""
