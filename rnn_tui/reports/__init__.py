"""What people read: the lines of a run, perplexity curves, comparisons and plots."""
