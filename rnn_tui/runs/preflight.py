"""Check every run of a plan before the first one trains: corpus long enough, memory fits.

Without this, a sweep whose third config cannot train (a corpus too short for its batch,
a model too big for the memory) fails after the first two have spent their time. The check
needs only each corpus's length and vocabulary size (`corpus_stats`: read once, cached, no
torch), so the TUI runs it in its own process without loading the corpus into tensors. The
planner calls `check_configs`; the trainer checks the same two rules again when it builds the
run (a plan may run later, or elsewhere).
"""

from __future__ import annotations

from rnn_tui.config import TrainConfig
from rnn_tui.data.corpus import corpus_stats, corpus_too_short
from rnn_tui.errors import CorpusError, RnnTuiError
from rnn_tui.model.resources import check_memory
from rnn_tui.runs.sweep import sweep_label, varied_fields


def check_config(config: TrainConfig) -> None:
    """RnnTuiError in one line when this run cannot train: bad fields, corpus, memory."""
    config.checked()
    stats = corpus_stats(config.corpus, config.preprocess)
    reason = corpus_too_short(
        stats.chars, config.batch_size, config.num_steps, config.val_fraction, stats.source
    )
    if reason is not None:
        raise CorpusError(reason)
    check_memory(config, stats.vocab_size)


def check_configs(configs: list[TrainConfig] | tuple[TrainConfig, ...]) -> None:
    """RnnTuiError naming the first run that cannot train, and why, in one line."""
    configs = list(configs)
    varied = varied_fields(configs)
    for index, config in enumerate(configs):
        try:
            check_config(config)
        except RnnTuiError as exc:
            if len(configs) == 1:
                raise
            label = sweep_label(config, varied) if varied else ""
            where = f"run {index + 1} of {len(configs)}" + (f" ({label})" if label else "")
            raise RnnTuiError(f"{where}: {exc}") from None
