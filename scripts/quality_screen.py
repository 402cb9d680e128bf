"""Screen candidate recipes against the plain fp32 reference, alternately, same budget.

    python scripts/quality_screen.py --budget 60 --seeds 0,1 [--corpus PATH] \
        --candidate awd="weight_dropout=0.2 dropout_mask=locked input_dropout=0.1" \
        --candidate best=""

Each candidate is preset `best` with the given settings changed (names as in TrainConfig);
"reference" is always run too. Runs alternate (seed 0: reference, a, b, ...; seed 1: ...)
so a machine that gets busier slows all alike. Prints one JSON line per run and a
summary per candidate: the median held-out and training perplexity over the seeds.
Use a shorter budget for screening; confirm a winner with `rnn-tui bench --quality`.

On a machine others are loading, a time budget measures the load more than the recipe:
`--steps N` trains every config for N optimizer steps instead (the schedules run over the
steps), and OMP_NUM_THREADS=1 keeps torch's threads from spinning against other work.
Per-step cost then has to be compared on its own, side by side.
"""

from __future__ import annotations

import argparse
import json

from rnn_tui.bench.quality import compare_on_corpus, config_summary, screen_configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--steps", type=int, default=None, help="N steps instead of a budget")
    parser.add_argument("--corpus", default=None, help="default: The Time Machine")
    parser.add_argument("--candidate", action="append", default=[], metavar='NAME="k=v ..."')
    args = parser.parse_args()
    candidates = dict(spec.partition("=")[::2] for spec in args.candidate)
    configs = screen_configs(candidates, args.budget, args.steps)
    for name, config in configs.items():
        print(f"# {name}: {config_summary(config)}", flush=True)
    seeds = [int(seed) for seed in args.seeds.split(",")]
    row = compare_on_corpus(args.corpus, configs, seeds, say=lambda line: print(line, flush=True))
    summary = {name: row[name] for name in configs}
    print(
        json.dumps(
            {"corpus": row["corpus"], "budget_s": args.budget, "steps": args.steps, **summary},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
