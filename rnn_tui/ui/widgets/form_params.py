"""The form's live "parameters: N" line: the model shapes of its configs and the vocabulary
size of its corpus, measured in a thread worker into the engine's one cache of corpus
measurements (`rnn_tui.data.corpus.corpus_stats`), which the planner reads too."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from rnn_tui.config import TrainConfig
from rnn_tui.data.corpus import forget_corpus_stats, measured_corpus_stats
from rnn_tui.errors import RnnTuiError
from rnn_tui.model.params import report_for_config
from rnn_tui.ui.widgets.form_fields import MODEL_FIELDS, build_configs


@dataclass
class VocabMeasured(Message):
    key: tuple[str | None, str]
    result: int | str  # the size, or why it is unknown


class FormParams(VerticalScroll):
    """The parameter-count part of ConfigForm (which holds the fields and their texts)."""

    _configs: list[TrainConfig]
    _errors: dict[str, str]
    _may_measure: bool
    _pending_vocab: tuple[str | None, str] | None
    _vocab_problem: tuple[tuple[str | None, str], str] | None = None  # why it is unknown

    def values(self) -> dict[str, str]:
        raise NotImplementedError

    def _model_configs(self, values: dict[str, str]) -> list[TrainConfig] | None:
        """The distinct model shapes of the form (a sweep may hold several); None if invalid."""
        if self._configs:
            return self._configs
        if any(name in self._errors for name in MODEL_FIELDS):
            return None
        try:
            return build_configs({name: values[name] for name in MODEL_FIELDS})
        except RnnTuiError:
            return None

    def _update_params(self, values: dict[str, str]) -> None:
        label = self.query_one("#param-count", Static)
        configs = self._model_configs(values)
        if configs is None:
            label.update("parameters: – (fix the model fields)")
            return
        corpus = values.get("corpus", "").strip() or None
        mode = values.get("preprocess") or "clean"
        key = (corpus, mode)
        size = self._known_vocab(key)
        if size is None:
            label.update("parameters: …")
            if self._may_measure and self._pending_vocab != key:
                self._pending_vocab = key
                self._measure_vocab(key)
            return
        if isinstance(size, str):
            label.update(f"parameters: … ({size})")
            return
        counts = sorted({report_for_config(c, size).total_pytorch for c in configs})
        text = f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,} – {counts[-1]:,}"
        label.update(f"parameters: {text}  (vocab {size})")

    def _known_vocab(self, key: tuple[str | None, str]) -> int | str | None:
        """The corpus's vocabulary size if measured as it is now, why it cannot be, or None."""
        if self._vocab_problem is not None and self._vocab_problem[0] == key:
            return self._vocab_problem[1]
        stats = measured_corpus_stats(*key)
        return None if stats is None else stats.vocab_size

    @property
    def param_count_text(self) -> str:
        return str(self.query_one("#param-count", Static).render())

    def refresh_vocab(self) -> None:
        """Measure the corpus again (after the file changed)."""
        key = self._current_vocab_key()
        forget_corpus_stats(*key)
        self._vocab_problem = None
        self._pending_vocab = None
        self._update_params(self.values())

    def _current_vocab_key(self) -> tuple[str | None, str]:
        values = self.values()
        return (values.get("corpus", "").strip() or None, values.get("preprocess") or "clean")

    @work(thread=True, exclusive=True, group="vocab", exit_on_error=False)
    def _measure_vocab(self, key: tuple[str | None, str]) -> None:
        from rnn_tui.data.corpus import vocab_size  # reads the file; never imports torch

        try:
            result: int | str = vocab_size(*key)
        except RnnTuiError as exc:
            result = str(exc)
        except OSError as exc:
            result = exc.strerror or str(exc)
        self.post_message(VocabMeasured(key, result))

    def on_vocab_measured(self, message: VocabMeasured) -> None:
        message.stop()
        # A size is in the engine's cache now; a reason is kept here until the key changes.
        if isinstance(message.result, str):
            self._vocab_problem = (message.key, message.result)
        elif self._vocab_problem is not None and self._vocab_problem[0] == message.key:
            self._vocab_problem = None
        if self._pending_vocab == message.key:
            self._pending_vocab = None
        if self.is_mounted:
            self._update_params(self.values())
