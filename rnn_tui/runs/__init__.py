"""A run end to end and as a process: the session that trains it, launching and stopping it,
following it live, sweeps and searches, the checks before it starts."""
