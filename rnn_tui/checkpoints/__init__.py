"""Checkpoint files: written atomically, read without unpickling, checked part by part;
and which one of a run's checkpoints a sample opens."""
