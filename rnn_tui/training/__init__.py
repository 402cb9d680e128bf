"""The trainer and its parts: one step, its state, evaluation, optimizers, schedules, weight
averaging, divergence, the time budget, the hardware it runs on and the events it reports."""
