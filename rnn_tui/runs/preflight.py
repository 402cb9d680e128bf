"""Check every run of a queue or sweep before the first one trains.

Without this, a sweep whose third config cannot train (a corpus too short for its batch,
a model too big for the memory) fails after the first two have spent their time. Each
distinct corpus is read once; every config is checked against it and against the memory
the machine has. Front ends (the CLI, the TUI) call `check_configs` before starting.
"""

from __future__ import annotations

from rnn_tui.config import TrainConfig
from rnn_tui.data.corpus import load_corpus, min_corpus_chars
from rnn_tui.errors import CorpusError, RnnTuiError
from rnn_tui.model.resources import check_memory
from rnn_tui.runs.sweep import sweep_label, varied_fields


def check_configs(configs: list[TrainConfig]) -> None:
    """RnnTuiError naming the first run that cannot train, and why, in one line."""
    varied = varied_fields(configs)
    corpora: dict[tuple[str | None, str, float], tuple[int, int, str]] = {}
    for index, config in enumerate(configs):
        try:
            config.checked()
            key = (config.corpus, config.preprocess, config.val_fraction)
            if key not in corpora:
                corpus = load_corpus(*key)
                corpora[key] = (corpus.chars, len(corpus.vocab), corpus.source)
                del corpus
            chars, vocab_size, source = corpora[key]
            need = min_corpus_chars(config.batch_size, config.num_steps, config.val_fraction)
            if chars < need:
                raise CorpusError(
                    f"corpus too short: {chars:,} characters after preprocessing; "
                    f"batch {config.batch_size} x {config.num_steps} steps needs at least "
                    f"{need:,} ({source})"
                )
            check_memory(config, vocab_size)
        except RnnTuiError as exc:
            if len(configs) == 1:
                raise
            label = sweep_label(config, varied) if varied else ""
            where = f"run {index + 1} of {len(configs)}" + (f" ({label})" if label else "")
            raise RnnTuiError(f"{where}: {exc}") from None
