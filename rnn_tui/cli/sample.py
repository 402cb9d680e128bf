"""`rnn-tui sample`: text from a checkpoint or a stored run, one character at a time."""

from __future__ import annotations

import argparse
import sys

from rnn_tui.errors import RnnTuiError


def cmd_sample(args: argparse.Namespace) -> int:
    from rnn_tui.checkpoints.files import load_model
    from rnn_tui.sampling.generate import generate_from, prepared_prompt

    if not args.prefix:
        raise RnnTuiError("--prefix needs at least one character to start from")
    path = _checkpoint_path(args.checkpoint, last=args.last)
    loaded = load_model(path)
    prompt = prepared_prompt(loaded, args.prefix)
    if args.length < 0:
        raise RnnTuiError("--length must be 0 or more")
    if args.temperature < 0:
        raise RnnTuiError("--temperature must be 0 or more")
    out = sys.stdout
    out.write(prompt)
    out.flush()
    for char in generate_from(
        loaded, prompt, args.length, temperature=args.temperature, top_k=args.top_k, seed=args.seed
    ):
        out.write(char)
        out.flush()
    out.write("\n")
    return 0


def _checkpoint_path(value: str, last: bool = False) -> str:
    """A checkpoint path, or a run id from the run store: the checkpoint the planner opens by
    default (its best, else its last: the rule the Sample screen uses too), or with --last
    its last one."""
    from rnn_tui.store import looks_like_run_id, parse_run_id

    if not looks_like_run_id(value):
        return value
    from rnn_tui.checkpoints.choice import sample_checkpoint
    from rnn_tui.runs.planner import default_sample_checkpoint
    from rnn_tui.store import RunStore

    with RunStore(readonly=True) as store:
        run = store.get_run(parse_run_id(value))
    return sample_checkpoint(run, prefer="last") if last else default_sample_checkpoint(run)
