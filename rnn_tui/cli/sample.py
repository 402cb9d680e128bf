"""`rnn-tui sample`: text from a checkpoint or a stored run, one character at a time."""

from __future__ import annotations

import argparse
import sys

from rnn_tui.errors import RnnTuiError


def cmd_sample(args: argparse.Namespace) -> int:
    from rnn_tui.checkpoint import load_model
    from rnn_tui.sample import generate

    if not args.prefix:
        raise RnnTuiError("--prefix needs at least one character to start from")
    path = _checkpoint_path(args.checkpoint, best=args.best)
    loaded = load_model(path)
    from rnn_tui.corpus import prepare_prompt  # the prefix as the run saw its corpus

    args.prefix = prepare_prompt(args.prefix, loaded.config.preprocess)
    missing = loaded.vocab.missing(args.prefix)
    if missing:
        from rnn_tui.errors import VocabError

        raise VocabError(
            "prefix has characters not in the model's vocabulary: "
            + ", ".join(repr(c) for c in missing)
        )
    if args.length < 0:
        raise RnnTuiError("--length must be 0 or more")
    if args.temperature < 0:
        raise RnnTuiError("--temperature must be 0 or more")
    out = sys.stdout
    out.write(args.prefix)
    out.flush()
    for char in generate(
        loaded.model,
        loaded.vocab,
        args.prefix,
        args.length,
        temperature=args.temperature,
        top_k=args.top_k,
        seed=args.seed,
    ):
        out.write(char)
        out.flush()
    out.write("\n")
    return 0


def _checkpoint_path(value: str, best: bool = False) -> str:
    """A checkpoint path, or a run id from the run store: its last checkpoint, or with
    --best its best one (run_checkpoint.sample_checkpoint, the rule the TUI uses too)."""
    from rnn_tui.store import looks_like_run_id, parse_run_id

    if not looks_like_run_id(value):
        return value
    from rnn_tui.run_checkpoint import sample_checkpoint
    from rnn_tui.store import RunStore

    with RunStore() as store:
        run = store.get_run(parse_run_id(value))
    return sample_checkpoint(run, prefer="best" if best else "last")
