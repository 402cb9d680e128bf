"""The one question quitting asks while a run goes: leave it running, stop it, or cancel."""

from __future__ import annotations

from rnn_tui.ui.screens.dialogs import Answer, ConfirmModal

LEAVE, STOP = "leave", "stop"


def quit_question(run_id: int | None = None) -> ConfirmModal:
    """Leave it running (the default: enter or l), stop it and quit (s), or cancel (c or
    escape); dismisses with LEAVE, STOP or None."""
    which = f"Run {run_id}" if run_id is not None else "A run"
    question = (
        f"{which} is going. It can go on without this window "
        "(follow it later with rnn-tui runs watch), or stop now and save its checkpoint."
    )
    answers = [
        Answer("l", "Leave it running", LEAVE, "primary"),
        Answer("s", "Stop and quit", STOP, "warning"),
        Answer("c", "Cancel", None),
    ]
    return ConfirmModal(question, answers)
