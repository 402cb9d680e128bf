"""The network: CharRNN, its recurrence, its shape from a config, its parameter counts and
the memory it needs."""
