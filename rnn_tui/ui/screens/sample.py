"""Sample screen: generate text from a checkpoint, streamed in as it is produced.

The checkpoint is loaded and sampled in a thread worker (torch is imported there, never on
the UI thread); the worker posts small messages with the text in chunks, a few times a
second, so a long sample never blocks the UI. Loaded models are cached per path + mtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static, TextArea
from textual.worker import get_current_worker

from rnn_tui.plural import plural
from rnn_tui.ui.screens.sample_model import (
    MAX_LENGTH,
    MAX_SEED,
    ModelCache,
    ModelInfo,
    SampleRequest,
    info_of,
    parse_field_int,
    parse_temperature,
    prompt_note,
    unknown_chars_message,
)
from rnn_tui.ui.screens.sample_worker import (
    Chunk,
    Failed,
    Finished,
    LatestFound,
    Loaded,
    LoadFailed,
    generate_sample,
)
from rnn_tui.ui.typed_app import app_of

if TYPE_CHECKING:
    pass

NO_CHECKPOINT = "Train a model first (F2) or enter a checkpoint path"


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
            self.post_message(LatestFound(path, run.id, run.name))
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
            "length": lambda t: parse_field_int(t, "length", 1, MAX_LENGTH, False),
            "temperature": parse_temperature,
            "top_k": lambda t: parse_field_int(t, "top-k", 1, 1_000_000, True),
            "seed": lambda t: parse_field_int(t, "seed", 0, MAX_SEED, True),
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
            self.post_message(LoadFailed(path, str(exc)))
            return
        except Exception as exc:  # an unexpected failure must not take the app down
            self.post_message(LoadFailed(path, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(Loaded(info_of(path, loaded)))

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
        worker = get_current_worker()
        generate_sample(self.post_message, self.models, run, request, lambda: worker.is_cancelled)

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
