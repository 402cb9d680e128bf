"""Learning quality: preset `best` against a plain fp32 recipe, same budget, same machine.

The two are trained alternately (best, reference, best, ...) for each seed, so a
machine that gets busier slows both alike, and each corpus reports the median over
seeds of the held-out perplexity of each, with the training perplexity beside it.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from rnn_tui.config import TrainConfig, from_strings, preset
from rnn_tui.data.corpus import Corpus, load_corpus
from rnn_tui.training.trainer import Trainer, perplexity

# The plain recipe of issue 11: a 2x384 LSTM, 64-d embedding, dropout 0.3, 32x64
# batches with carried state, AdamW 4e-3 with weight decay 0.05, cosine to 5%.
REFERENCE = dict(
    cell="lstm",
    layers=2,
    hidden=384,
    embedding="64",
    dropout=0.3,
    input_dropout=0.0,
    weight_dropout=0.0,
    dropout_mask="step",
    optimizer="adamw",
    lr=4e-3,
    weight_decay=0.05,
    schedule="cosine",
    warmup=0.0,
    lr_floor=0.05,
    ema=0.0,
    clip=1.0,
    batch_size=32,
    num_steps=64,
    batching="sequential",
    precision="fp32",
)


def quality_configs(budget: float | None = None, device: str = "cpu") -> dict[str, TrainConfig]:
    """Preset best and the reference, with the same data settings and time budget."""
    best = preset("best").replace(device=device, sample_length=0)
    if budget is not None:
        best = best.replace(time_budget=budget)
    reference = best.replace(**REFERENCE)
    return {"best": best, "reference": reference}


def screen_configs(
    candidates: dict[str, str], budget: float | None = None, steps: int | None = None
) -> dict[str, TrainConfig]:
    """The reference and each candidate: preset best with "name=value ..." changed.

    With `steps`, every config trains that many steps instead of for the budget: on a
    loaded machine a budget measures the load more than the recipe.
    """
    base = quality_configs(budget)
    configs = {"reference": base["reference"]}
    for name, settings in candidates.items():
        values = dict(item.split("=", 1) for item in settings.split())
        configs[name] = from_strings(values, base["best"])
    if steps is None:
        return configs
    return {name: c.replace(steps=steps, time_budget=None) for name, c in configs.items()}


def config_summary(config: TrainConfig) -> str:
    """The fields that differ from TrainConfig's defaults, as flags."""
    defaults = TrainConfig().to_dict()
    return " ".join(
        f"--{name.replace('_', '-')} {value}"
        for name, value in config.to_dict().items()
        if value != defaults[name] and name not in ("corpus", "seed")
    )


def train_once(config: TrainConfig, corpus: Corpus) -> dict[str, Any]:
    """One timed run: its best held-out perplexity, and the final model's perplexity on
    as much training text as is held out (the end of the training part), both in eval mode."""
    trainer = Trainer(config, corpus=corpus)
    end = trainer.run()
    held_out = len(corpus.val)
    train_slice = dataclasses.replace(corpus, val=corpus.train[-held_out:])
    final_val = trainer.evaluate()
    trainer.corpus = train_slice
    train_loss = trainer.evaluate()
    trainer.corpus = corpus
    return {
        "val_ppl": end.best_val_ppl,
        "final_val_ppl": perplexity(final_val) if final_val is not None else None,
        "train_ppl": perplexity(train_loss) if train_loss is not None else None,
        "steps": end.step,
        "elapsed_s": end.elapsed,
        "precision": trainer.config.precision,
        "reason": end.reason,
    }


def compare_on_corpus(
    source: str | None,
    configs: dict[str, TrainConfig],
    seeds: Sequence[int],
    say: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    first = next(iter(configs.values()))
    corpus = load_corpus(source, first.preprocess, first.val_fraction)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    for seed in seeds:
        for name, config in configs.items():
            result = train_once(config.replace(corpus=source, seed=seed), corpus)
            runs[name].append(result)
            say(
                f"    {corpus.source}, seed {seed}, {name}: val {result['val_ppl']:.3f}, "
                f"train {result['train_ppl']:.3f} ({result['steps']} steps, "
                f"{result['elapsed_s']:.1f} s, {result['precision']})"
            )
    summary: dict[str, Any] = {"corpus": corpus.source, "chars": corpus.chars, "runs": runs}
    for name, results in runs.items():
        summary[name] = {
            "val_ppl_median": statistics.median(r["val_ppl"] for r in results),
            "train_ppl_median": statistics.median(r["train_ppl"] for r in results),
            "steps_median": statistics.median(r["steps"] for r in results),
        }
    if "best" in runs and "reference" in runs:
        summary["best_minus_reference"] = (
            summary["best"]["val_ppl_median"] - summary["reference"]["val_ppl_median"]
        )
    return summary


def quality(
    device: str,
    corpora: Sequence[str | None] = (None,),
    seeds: Sequence[int] = (0, 1, 2),
    budget: float | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    configs = quality_configs(budget, device)
    return {
        "configs": {name: config_summary(config) for name, config in configs.items()},
        "time_budget_s": configs["best"].time_budget,
        "seeds": list(seeds),
        "corpora": [compare_on_corpus(source, configs, seeds, say) for source in corpora],
    }
