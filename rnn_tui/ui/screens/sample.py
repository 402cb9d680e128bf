"""Sample screen: generate text from a checkpoint, streamed in as it is produced.

Which checkpoint, and its model's info, is the CheckpointPicker's part
(widgets/checkpoint_picker.py). The sample is drawn
in a thread worker (torch is imported there, never on the UI thread); the worker posts small
messages with the text in chunks, a few times a second, so a long sample never blocks the UI.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Static, TextArea
from textual.worker import get_current_worker

from rnn_tui.plural import plural
from rnn_tui.ui.screens.sample_model import (
    ModelInfo,
    SampleRequest,
    parse_sample_field,
    prompt_note,
    unknown_chars_message,
)
from rnn_tui.ui.screens.sample_worker import (
    Chunk,
    Failed,
    Finished,
    Loaded,
    LoadFailed,
    generate_sample,
)
from rnn_tui.ui.widgets.app_footer import AppFooter
from rnn_tui.ui.widgets.checkpoint_picker import NO_CHECKPOINT, CheckpointPicker
from rnn_tui.ui.widgets.key_order import KeysInOrder
from rnn_tui.ui.widgets.text_field import TextField

__all__ = ["NO_CHECKPOINT", "SampleScreen"]


class SampleScreen(KeysInOrder, Screen):
    """Prompt, sampling options and checkpoint in; streamed text out."""

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
    # The letter keys act while no text field has focus: the output has it first, escape
    # returns to it from any field, and enter in a field generates.
    AUTO_FOCUS = "#output"

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
        /* the focused field stands out: a compact Input has no border to light */
        .row Input:focus { background: $accent 35%; text-style: bold; }
        .row Input.-invalid:focus { background: $error 45%; }
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
        self.generating = False
        self.model_info: ModelInfo | None = None
        self._run = 0
        self._errors: dict[str, str] = {}

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="sample-form"):
            yield CheckpointPicker(id="checkpoint-row", classes="row")
            with Horizontal(classes="row"):
                yield Label("prompt", classes="wide")
                yield TextField("the time traveller", compact=True, id="prompt")
            with Horizontal(classes="row"):
                yield Label("length", classes="wide")
                yield TextField("200", compact=True, id="length")
                yield Label(
                    "temperature",
                )
                yield TextField("0.8", compact=True, id="temperature")
                yield Label("top-k")
                yield TextField(placeholder="off", compact=True, id="top_k")
                yield Label("seed")
                yield TextField(placeholder="random", compact=True, id="seed")
                yield Button("Generate", compact=True, variant="primary", id="generate")
            yield Static(id="sample-errors", markup=False)
            yield Static("", id="prompt-note", markup=False)
        yield Static(NO_CHECKPOINT, id="model-info", classes="-missing", markup=False)
        yield TextArea("", read_only=True, soft_wrap=True, show_line_numbers=False, id="output")
        yield Static("", id="sample-status", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one("#output", TextArea).border_title = "output"
        self._validate()

    # -- the checkpoint (the picker's) --------------------------------------------------

    @property
    def picker(self) -> CheckpointPicker:
        return self.query_one("#checkpoint-row", CheckpointPicker)

    def _checkpoint_path(self) -> str:
        return self.picker.path

    def on_screen_resume(self) -> None:
        self.picker.follow_latest()

    def open_checkpoint(self, path: str) -> None:
        """Show this checkpoint (chosen on the Runs screen): it stops following the latest."""
        self.picker.open(path)
        self._validate()

    def action_latest(self) -> None:
        self.picker.use_latest()

    @on(Loaded)
    @on(LoadFailed)
    def _sample_worker_loaded(self, message: Loaded | LoadFailed) -> None:
        """The sample worker loaded the model itself (generate before the picker did)."""
        self.picker.loaded(message)

    @on(CheckpointPicker.ModelShown)
    def _model_shown(self, message: CheckpointPicker.ModelShown) -> None:
        self.model_info = message.info  # the model whose line shows
        widget = self.query_one("#model-info", Static)
        widget.update(message.line)
        widget.set_class(message.kind == "missing", "-missing")
        widget.set_class(message.kind == "error", "-error")
        self._validate()

    # -- form -----------------------------------------------------------------------------

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def _validate(self) -> SampleRequest | None:
        """Check every field, show the problems beside them; the request when all are fine."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        parsers = ("length", "temperature", "top_k", "seed")
        for field_id in parsers:
            try:
                values[field_id] = parse_sample_field(field_id, self._value(field_id))
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
        from rnn_tui.data.corpus import prepare_prompt
        from rnn_tui.errors import CorpusError

        info = self.model_info
        if info is None or info.path != self._checkpoint_path():
            return typed
        try:
            return prepare_prompt(typed, info.preprocess)
        except CorpusError:
            return typed

    @on(Input.Changed)
    def _input_changed(self) -> None:
        self._validate()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_generate()

    @on(Button.Pressed, "#generate")
    def _generate_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_generate()

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
            self.picker.show_info(None)
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

    def action_focus_output(self) -> None:
        self.query_one("#output", TextArea).focus()

    def action_focus_prompt(self) -> None:
        self.query_one("#prompt", Input).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="generate")
    def _generate(self, run: int, request: SampleRequest) -> None:
        worker = get_current_worker()
        models = self.picker.models
        generate_sample(self.post_message, models, run, request, lambda: worker.is_cancelled)

    @on(Chunk)
    def _chunk(self, message: Chunk) -> None:
        if message.run != self._run:
            return
        output = self.query_one("#output", TextArea)
        output.insert(message.text, output.document.end, maintain_selection_offset=False)
        output.scroll_end(animate=False)
        if self.generating:
            self._set_status(f"Generating… {plural(len(output.text), 'character')}", kind="busy")

    def _generation_ended(self, message: Finished | Failed) -> bool:
        """Whether this message ends the current generation (not one that was replaced)."""
        if message.run != self._run:
            return False
        self.generating = False
        self.refresh_bindings()
        return True

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        if not self._generation_ended(message):
            return
        rate = message.chars / message.seconds if message.seconds > 0 else 0.0
        self._set_status(
            f"{plural(message.chars, 'character')} in {message.seconds:.2f} s ({rate:,.0f}/s) · "
            f"{message.note} · g again, c to copy"
        )

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        if not self._generation_ended(message):
            return
        self._set_status(message.error, kind="error")
        if message.field == "prompt":
            self._validate()  # the vocabulary is known now: the message shows by the prompt

    def _set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#sample-status", Static)
        status.update(text)
        status.set_class(kind == "error", "-error")
        status.set_class(kind == "busy", "-busy")
