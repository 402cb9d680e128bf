"""Sample screen: generate text from a checkpoint, streamed in as it is produced.

The checkpoint is loaded and sampled in a thread worker (torch is imported there, never on
the UI thread); the worker posts small messages with the text in chunks, a few times a
second, so a long sample never blocks the UI. Loaded models are cached per path + mtime.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static, TextArea
from textual.worker import get_current_worker

from rnn_tui.plural import plural
from rnn_tui.ui.typed_app import app_of

if TYPE_CHECKING:
    from rnn_tui.checkpoint import LoadedModel

NO_CHECKPOINT = "Train a model first (F2) or enter a checkpoint path"
MAX_LENGTH = 100_000
MAX_SEED = 2**63 - 1
CHUNK_SECONDS = 0.05  # the worker posts what it has at most this often
CACHE_SIZE = 2  # loaded models kept in memory


@dataclass(frozen=True)
class SampleRequest:
    path: str
    prompt: str
    length: int
    temperature: float
    top_k: int | None
    seed: int | None  # None: a random seed, chosen and shown


@dataclass(frozen=True)
class ModelInfo:
    path: str
    summary: str  # e.g. "LSTM 2×384 · vocab 28 · val ppl 4.21 · step 1200"
    chars: tuple[str, ...]  # the vocabulary, to check a prompt before generating
    preprocess: str = "raw"  # the run's preprocessing: a prompt goes through it too


def prompt_note(typed: str, prepared: str, mode: str) -> str:
    """One line saying how the prompt was changed to match the run's corpus ('' if not)."""
    if typed == prepared:
        return ""
    what = "letters and spaces only" if mode == "d2l" else "lowercased"
    return f"prompt {what}, as the run's {mode!r} preprocessing did to its corpus"


def describe_model(loaded: LoadedModel) -> str:
    config = loaded.config
    parts = [
        f"{config.cell.upper()} {config.layers}×{config.hidden}",
        f"vocab {len(loaded.vocab)}",
    ]
    progress = loaded.payload.get("progress") or {}
    ppl = progress.get("best_val_ppl")
    if isinstance(ppl, (int, float)) and math.isfinite(ppl):
        parts.append(f"val ppl {ppl:.2f}")
    step = progress.get("step")
    if isinstance(step, int):
        parts.append(f"step {step:,}")
    return " · ".join(parts)


def list_chars(chars: list[str]) -> str:
    """Characters as the user can read them: repr for whitespace and the like."""
    return ", ".join(repr(c) for c in chars)


def unknown_chars_message(missing: list[str]) -> str:
    return (
        f"The model does not know {list_chars(missing)}: "
        "change the prompt or sample from a model trained on them"
    )


class ModelCache:
    """Loaded checkpoints keyed by resolved path, mtime and size; thread-safe."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int, int], LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str) -> LoadedModel:
        """Raises CheckpointError (missing, corrupt, foreign file)."""
        from rnn_tui.checkpoint import load_model
        from rnn_tui.errors import CheckpointError

        file = Path(path).expanduser()
        try:
            stat = file.stat()
        except OSError:
            raise CheckpointError(f"checkpoint not found: {path}") from None
        key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        loaded = load_model(file)
        with self._lock:
            self._items[key] = loaded
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return loaded


def _parse_int(text: str, label: str, minimum: int, maximum: int, optional: bool) -> int | None:
    from rnn_tui.config import parse_int

    if not text.strip():
        if optional:
            return None
        raise ValueError(f"{label} is required")
    try:
        return parse_int(text, minimum, maximum)
    except ValueError as exc:
        raise ValueError(f"{label} {exc}") from None


def _parse_temperature(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("temperature must be a number (0 = greedy)") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError("temperature must be 0 or more (0 = greedy)")
    return value


class SampleScreen(Screen):
    """Prompt, sampling options and checkpoint in; streamed text out."""

    # Letter keys act while no text field has focus: the output has it first, escape
    # returns to it from any field, and enter in a field generates.
    AUTO_FOCUS = "#output"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "generate", "Generate", id="sample.generate"),
        Binding("s", "stop", "Stop", id="sample.stop"),
        Binding("c", "copy", "Copy", id="sample.copy"),
        Binding("l", "latest", "Latest checkpoint", id="sample.latest"),
        Binding(
            "o,escape", "focus_output", "Focus the output", id="sample.focus_output", show=False
        ),
        Binding("p", "focus_prompt", "Focus the prompt", id="sample.focus_prompt", show=False),
    ]

    DEFAULT_CSS = """
    SampleScreen {
        #sample-form {
            height: auto;
            padding: 0 1;
            background: $panel;
            border-bottom: hkey $primary 50%;
        }
        .row { height: 1; }
        .row Label { width: auto; margin: 0 1 0 1; color: $text-muted; }
        .row Label.wide { width: 11; margin: 0 1 0 0; }
        .row Input { background: $boost; }
        .row Input.-invalid { background: $error 25%; }
        #length { width: 8; }
        #temperature { width: 6; }
        #top_k { width: 6; }
        #seed { width: 1fr; min-width: 6; max-width: 14; }
        #generate { margin-left: 1; min-width: 10; }
        #sample-errors { color: $error; height: auto; display: none; }
        #sample-errors.-shown { display: block; }
        #prompt-note { color: $text-muted; height: 1; text-style: italic; }
        #prompt-note.-empty { display: none; }
        #model-info { height: auto; padding: 0 1; color: $text-primary; }
        #model-info.-missing { color: $text-warning; }
        #model-info.-error { color: $text-error; }
        #output { height: 1fr; border: round $primary 40%; }
        #output:focus { border: round $primary; }
        #sample-status { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
        #sample-status.-error { color: $text-error; }
        #sample-status.-busy { color: $text-accent; }
    }
    """

    # -- worker → UI messages --------------------------------------------------------------

    class Loaded(Message):
        def __init__(self, info: ModelInfo) -> None:
            super().__init__()
            self.info = info

    class LoadFailed(Message):
        def __init__(self, path: str, error: str) -> None:
            super().__init__()
            self.path = path
            self.error = error

    class Chunk(Message):
        def __init__(self, run: int, text: str) -> None:
            super().__init__()
            self.run = run
            self.text = text

    class Finished(Message):
        def __init__(self, run: int, chars: int, seconds: float, note: str) -> None:
            super().__init__()
            self.run = run
            self.chars = chars
            self.seconds = seconds
            self.note = note

    class LatestFound(Message):
        def __init__(self, path: str, run_id: int, name: str) -> None:
            super().__init__()
            self.path = path
            self.run_id = run_id
            self.name = name

    class Failed(Message):
        def __init__(self, run: int, error: str, field: str | None = None) -> None:
            super().__init__()
            self.run = run
            self.error = error
            self.field = field

    def __init__(self) -> None:
        super().__init__()
        self.models = ModelCache()
        self.model_info: ModelInfo | None = None
        self.generating = False
        self._run = 0
        self._auto_path: str = ""  # the path we filled in from app.latest_checkpoint
        self._auto_run: str = ""  # which stored run that path belongs to, when known
        self._errors: dict[str, str] = {}
        self._preload_timer: Any = None

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="sample-form"):
            with Horizontal(classes="row"):
                yield Label("checkpoint", classes="wide")
                yield Input(placeholder="path to a .pt file", compact=True, id="checkpoint")
            with Horizontal(classes="row"):
                yield Label("prompt", classes="wide")
                yield Input("the time traveller", compact=True, id="prompt")
            with Horizontal(classes="row"):
                yield Label("length", classes="wide")
                yield Input("200", compact=True, id="length")
                yield Label(
                    "temperature",
                )
                yield Input("0.8", compact=True, id="temperature")
                yield Label("top-k")
                yield Input(placeholder="off", compact=True, id="top_k")
                yield Label("seed")
                yield Input(placeholder="random", compact=True, id="seed")
                yield Button("Generate", compact=True, variant="primary", id="generate")
            yield Static(id="sample-errors", markup=False)
            yield Static("", id="prompt-note", markup=False)
        yield Static(NO_CHECKPOINT, id="model-info", classes="-missing", markup=False)
        yield TextArea("", read_only=True, soft_wrap=True, show_line_numbers=False, id="output")
        yield Static("", id="sample-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#output", TextArea).border_title = "output"
        self._validate()

    def on_screen_resume(self) -> None:
        """Follow the latest run's checkpoint unless the user typed another path; from a cold
        start (no run trained in this session), the store's latest run's."""
        latest = app_of(self).latest_checkpoint or ""
        field = self.query_one("#checkpoint", Input)
        if latest and field.value.strip() in ("", self._auto_path) and latest != field.value:
            self._auto_path = latest
            self._auto_run = ""
            with self.prevent(Input.Changed):
                field.value = latest
        if not latest and not field.value.strip():
            self._find_latest()
        self._preload()

    @work(thread=True, exclusive=True, exit_on_error=False, group="latest")
    def _find_latest(self, notify: bool = False) -> None:
        """The newest stored run with a checkpoint (read in a thread: the store is SQLite)."""
        from rnn_tui.errors import RnnTuiError
        from rnn_tui.run_checkpoint import latest_sample_checkpoint
        from rnn_tui.store import RunStore

        try:
            with RunStore(app_of(self).store_path) as store:
                found = latest_sample_checkpoint(store.list_runs())
        except RnnTuiError as exc:
            found = None
            self.app.call_from_thread(self.notify, str(exc), severity="warning", markup=False)
        if found is not None:
            run, path = found
            self.post_message(self.LatestFound(path, run.id, run.name))
        elif notify:
            self.app.call_from_thread(self.notify, NO_CHECKPOINT, severity="warning")

    @on(LatestFound)
    def _latest_found(self, message: LatestFound) -> None:
        field = self.query_one("#checkpoint", Input)
        if field.value.strip() not in ("", self._auto_path):
            return  # the user typed a path meanwhile
        self._auto_path = message.path
        self._auto_run = f"run #{message.run_id} {message.name}"
        with self.prevent(Input.Changed):
            field.value = message.path
        self._set_info(None)
        self._preload()
        self._validate()

    # -- form -----------------------------------------------------------------------------

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def _checkpoint_path(self) -> str:
        return self._value("checkpoint").strip() or app_of(self).latest_checkpoint or ""

    def _validate(self) -> SampleRequest | None:
        """Check every field, show the problems beside them; the request when all are fine."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        parsers = {
            "length": lambda t: _parse_int(t, "length", 1, MAX_LENGTH, False),
            "temperature": _parse_temperature,
            "top_k": lambda t: _parse_int(t, "top-k", 1, 1_000_000, True),
            "seed": lambda t: _parse_int(t, "seed", 0, MAX_SEED, True),
        }
        for field_id, parse in parsers.items():
            try:
                values[field_id] = parse(self._value(field_id))
            except ValueError as exc:
                errors[field_id] = str(exc)
        typed = self._value("prompt")
        prompt = self._prepared_prompt(typed)
        note = self.query_one("#prompt-note", Static)
        text = prompt_note(typed, prompt, self.model_info.preprocess if self.model_info else "")
        note.update(text)
        note.set_class(not text, "-empty")
        if not prompt:
            errors["prompt"] = "the prompt needs at least one character"
        elif self.model_info is not None and self.model_info.path == self._checkpoint_path():
            missing = sorted(set(prompt).difference(self.model_info.chars))
            if missing:
                errors["prompt"] = unknown_chars_message(missing)
        self._errors = errors
        for field_id in ("prompt", *parsers):
            self.query_one(f"#{field_id}", Input).set_class(field_id in errors, "-invalid")
        shown = self.query_one("#sample-errors", Static)
        shown.update("\n".join(errors.values()))
        shown.set_class(bool(errors), "-shown")
        self.query_one("#generate", Button).disabled = bool(errors)
        self.refresh_bindings()
        if errors:
            return None
        return SampleRequest(path=self._checkpoint_path(), prompt=prompt, **values)

    def _prepared_prompt(self, typed: str) -> str:
        """The prompt through the loaded run's preprocessing (as typed until one is loaded)."""
        from rnn_tui.corpus import prepare_prompt
        from rnn_tui.errors import CorpusError

        info = self.model_info
        if info is None or info.path != self._checkpoint_path():
            return typed
        try:
            return prepare_prompt(typed, info.preprocess)
        except CorpusError:
            return typed

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "checkpoint":
            if event.value.strip() != self._auto_path:
                self._auto_run = ""
            self._set_info(None)
            if self._preload_timer is not None:
                self._preload_timer.stop()
            self._preload_timer = self.set_timer(0.4, self._preload)
        self._validate()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_generate()

    @on(Button.Pressed, "#generate")
    def _generate_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_generate()

    # -- model info -----------------------------------------------------------------------

    def _set_info(self, info: ModelInfo | None, error: str | None = None) -> None:
        self.model_info = info
        widget = self.query_one("#model-info", Static)
        widget.remove_class("-missing", "-error")
        if info is not None:
            named = self._auto_run and info.path == self._auto_path
            run = f"{self._auto_run}  ·  " if named else ""
            widget.update(f"{run}{info.path}  ·  {info.summary}")
        elif error:
            widget.update(error)
            widget.add_class("-error")
        elif self._checkpoint_path():
            widget.update(f"{self._checkpoint_path()}  ·  loading…")
        else:
            widget.update(NO_CHECKPOINT)
            widget.add_class("-missing")

    def _preload(self) -> None:
        path = self._checkpoint_path()
        if not path:
            self._set_info(None)
            return
        if self.model_info is None or self.model_info.path != path:
            self._set_info(None)
            self._load(path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load(self, path: str) -> None:
        from rnn_tui.errors import RnnTuiError

        try:
            loaded = self.models.get(path)
        except RnnTuiError as exc:
            self.post_message(self.LoadFailed(path, str(exc)))
            return
        except Exception as exc:  # an unexpected failure must not take the app down
            self.post_message(self.LoadFailed(path, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Loaded(_info(path, loaded)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.info.path == self._checkpoint_path():
            self._set_info(message.info)
            self._validate()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        if message.path == self._checkpoint_path():
            self._set_info(None, message.error)

    # -- generation -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "generate":
            return None if self._errors else True
        if action == "stop":
            return True if self.generating else None
        if action == "copy":
            return True if self.query("#output") and self._output_text() else None
        return True

    def _output_text(self) -> str:
        return self.query_one("#output", TextArea).text

    def action_generate(self) -> None:
        request = self._validate()
        if request is None:
            self._set_status(
                "Fix the fields first: " + "; ".join(self._errors.values()), kind="error"
            )
            return
        if not request.path:
            self._set_info(None)
            self._set_status(NO_CHECKPOINT, kind="error")
            return
        self._run += 1
        self.generating = True
        self.refresh_bindings()
        output = self.query_one("#output", TextArea)
        output.load_text("")
        self._set_status("Loading the checkpoint…", kind="busy")
        self._generate(self._run, request)

    def action_stop(self) -> None:
        if self.generating:
            self.workers.cancel_group(self, "generate")

    def action_copy(self) -> None:
        text = self._output_text()
        if not text:
            self.notify("Nothing to copy yet: generate first (g)", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {plural(len(text), 'character')} to the clipboard")

    def open_checkpoint(self, path: str) -> None:
        """Show this checkpoint: fill the field and load its model info now.

        The user chose it (e.g. from the Runs screen), so the field stops following the
        latest run's checkpoint until `l` is pressed.
        """
        self._auto_path = ""
        field = self.query_one("#checkpoint", Input)
        if field.value != path:
            with self.prevent(Input.Changed):
                field.value = path
        if self._preload_timer is not None:
            self._preload_timer.stop()
        self._preload()
        self._validate()

    def action_latest(self) -> None:
        latest = app_of(self).latest_checkpoint
        if not latest:
            with self.prevent(Input.Changed):
                self.query_one("#checkpoint", Input).value = ""
            self._auto_path = ""
            self._find_latest(notify=True)
            return
        self._auto_path = latest
        self._auto_run = ""
        self.query_one("#checkpoint", Input).value = latest

    def action_focus_output(self) -> None:
        self.query_one("#output", TextArea).focus()

    def action_focus_prompt(self) -> None:
        self.query_one("#prompt", Input).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="generate")
    def _generate(self, run: int, request: SampleRequest) -> None:
        from rnn_tui.errors import RnnTuiError
        from rnn_tui.sample import generate

        worker = get_current_worker()
        try:
            loaded = self.models.get(request.path)
        except RnnTuiError as exc:
            self.post_message(self.LoadFailed(request.path, str(exc)))
            self.post_message(self.Failed(run, str(exc), field="checkpoint"))
            return
        except Exception as exc:
            self.post_message(self.Failed(run, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Loaded(_info(request.path, loaded)))
        from rnn_tui.corpus import prepare_prompt

        request = replace(request, prompt=prepare_prompt(request.prompt, loaded.config.preprocess))
        missing = loaded.vocab.missing(request.prompt)
        if missing:
            self.post_message(self.Failed(run, unknown_chars_message(missing), field="prompt"))
            return
        seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
        note = f"seed {seed}" + ("" if request.seed is not None else " (random)")
        note += f" · temperature {request.temperature:g}"
        if request.top_k is not None:
            note += f" · top-k {request.top_k}"
        self.post_message(self.Chunk(run, request.prompt))
        start = time.perf_counter()
        buffer: list[str] = []
        count = 0
        last_post = start
        try:
            for char in generate(
                loaded.model,
                loaded.vocab,
                request.prompt,
                request.length,
                temperature=request.temperature,
                top_k=request.top_k,
                seed=seed,
            ):
                if worker.is_cancelled:
                    break
                buffer.append(char)
                count += 1
                now = time.perf_counter()
                if now - last_post >= CHUNK_SECONDS:
                    self.post_message(self.Chunk(run, "".join(buffer)))
                    buffer.clear()
                    last_post = now
        except Exception as exc:  # VocabError, a model that does not run, …
            self.post_message(self.Failed(run, str(exc) or type(exc).__name__))
            return
        if buffer:
            self.post_message(self.Chunk(run, "".join(buffer)))
        if worker.is_cancelled:
            note = f"stopped early ({request.length:,} asked) · {note}"
        self.post_message(self.Finished(run, count, time.perf_counter() - start, note))

    @on(Chunk)
    def _chunk(self, message: Chunk) -> None:
        if message.run != self._run:
            return
        output = self.query_one("#output", TextArea)
        output.insert(message.text, output.document.end, maintain_selection_offset=False)
        output.scroll_end(animate=False)
        if self.generating:
            self._set_status(f"Generating… {plural(len(output.text), 'character')}", kind="busy")

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        if message.run != self._run:
            return
        self.generating = False
        self.refresh_bindings()
        rate = message.chars / message.seconds if message.seconds > 0 else 0.0
        self._set_status(
            f"{plural(message.chars, 'character')} in {message.seconds:.2f} s ({rate:,.0f}/s) · "
            f"{message.note} · g again, c to copy"
        )

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        if message.run != self._run:
            return
        self.generating = False
        self.refresh_bindings()
        self._set_status(message.error, kind="error")
        if message.field == "prompt":
            self._validate()  # the vocabulary is known now: the message shows by the prompt

    def _set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#sample-status", Static)
        status.update(text)
        status.set_class(kind == "error", "-error")
        status.set_class(kind == "busy", "-busy")


def _info(path: str, loaded: LoadedModel) -> ModelInfo:
    return ModelInfo(
        path, describe_model(loaded), tuple(loaded.vocab.chars), loaded.config.preprocess
    )
