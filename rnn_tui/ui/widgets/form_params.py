"""The form's live "parameters: N" line (`ParamCount`): the model shapes of its configs and
the vocabulary size of its corpus, measured in a thread worker into the engine's one cache
of corpus measurements (`rnn_tui.data.corpus.corpus_stats`), which the planner reads too.
The form tells it what to count (`show`); it measures and paints by itself."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
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


def model_configs(
    values: dict[str, str], configs: list[TrainConfig], errors: dict[str, str]
) -> list[TrainConfig] | None:
    """The distinct model shapes of the form (a sweep may hold several): its `configs`
    when it is valid, else those of its model fields alone; None if they are invalid."""
    if configs:
        return configs
    if any(name in errors for name in MODEL_FIELDS):
        return None
    try:
        return build_configs({name: values[name] for name in MODEL_FIELDS})
    except RnnTuiError:
        return None


def vocab_key(values: dict[str, str]) -> tuple[str | None, str]:
    """(corpus, preprocess) of the form's values: what the vocabulary depends on."""
    return (values.get("corpus", "").strip() or None, values.get("preprocess") or "clean")


class ParamCount(Static):
    """The parameter count of the form's model(s), with the vocabulary it was counted with."""

    DEFAULT_CSS = """
    ParamCount {
        color: $accent;
        text-style: bold;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's spelling
        super().__init__("parameters: …", id=id, markup=False)
        self._may_measure = False
        self._pending_vocab: tuple[str | None, str] | None = None
        self._vocab_problem: tuple[tuple[str | None, str], str] | None = None  # why unknown
        self._shown: tuple[tuple[str | None, str], list[TrainConfig] | None] | None = None

    @property
    def text(self) -> str:
        return str(self.render())

    def start_measuring(self) -> None:
        """Allow the vocabulary to be measured from now on (and measure it now).

        Measuring reads the corpus in a thread: the screen calls this once its first frame
        is complete, so the read does not delay it.
        """
        if not self._may_measure:
            self._may_measure = True
            if self._shown is not None:
                self._paint(*self._shown)

    def show(self, values: dict[str, str], configs: list[TrainConfig] | None) -> None:
        """Count the parameters of `configs` (None: the model fields have a problem)."""
        self._shown = (vocab_key(values), configs)
        self._paint(*self._shown)

    def forget_vocab(self) -> None:
        """Measure the corpus again (after the file changed)."""
        if self._shown is not None:
            forget_corpus_stats(*self._shown[0])
            self._vocab_problem = None
            self._pending_vocab = None
            self._paint(*self._shown)

    def _paint(self, key: tuple[str | None, str], configs: list[TrainConfig] | None) -> None:
        if configs is None:
            self.update("parameters: – (fix the model fields)")
            return
        size = self._known_vocab(key)
        if size is None:
            self.update("parameters: …")
            if self._may_measure and self._pending_vocab != key:
                self._pending_vocab = key
                self._measure_vocab(key)
            return
        if isinstance(size, str):
            self.update(f"parameters: … ({size})")
            return
        counts = sorted({report_for_config(c, size).total_pytorch for c in configs})
        text = f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,} – {counts[-1]:,}"
        self.update(f"parameters: {text}  (vocab {size})")

    def _known_vocab(self, key: tuple[str | None, str]) -> int | str | None:
        """The corpus's vocabulary size if measured as it is now, why it cannot be, or None."""
        if self._vocab_problem is not None and self._vocab_problem[0] == key:
            return self._vocab_problem[1]
        stats = measured_corpus_stats(*key)
        return None if stats is None else stats.vocab_size

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
        if self.is_mounted and self._shown is not None:
            self._paint(*self._shown)
