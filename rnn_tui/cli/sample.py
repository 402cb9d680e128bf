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
    """A checkpoint path, or a run id from the run store."""
    from rnn_tui.store import looks_like_run_id, parse_run_id

    if looks_like_run_id(value):
        from rnn_tui.store import RunStore

        run_id = parse_run_id(value)
        with RunStore() as store:
            run = store.get_run(run_id)
        path = (run.best_checkpoint if best else None) or run.checkpoint or run.best_checkpoint
        if not path:
            raise RnnTuiError(f"run {value} has no checkpoint")
        return path
    return value
