"""`python -m nnlab train … --seeds N`: the same settings trained with N seeds (the settings' seed and
the next ones), one after another, kept as one group; prints each seed's figure, then the mean ± the
spread and the verdict read from the mean curves (`--json`: every run and the summary).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from nnlab.cli import runs as runs_cli
from nnlab.core.errors import UserError
from nnlab.core.jsonsafe import json_safe
from nnlab.store.groups import group_extra, new_group_id
from nnlab.verdict.seeds import MAX_SEEDS, MIN_SEEDS, group_verdict, seeds_from, spread_of_tests


def add_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=int, default=1, metavar="N",
                        help=f"repeat with N seeds ({MIN_SEEDS}–{MAX_SEEDS}: the settings' seed and the next ones) "
                             "and print the mean ± spread; kept as one group")


def check(args: argparse.Namespace, config) -> None:
    """A bad count, or a flag that means one run, is said before any work."""
    if args.seeds == 1:
        return
    if not MIN_SEEDS <= args.seeds <= MAX_SEEDS:
        raise UserError(f"--seeds must be 1 (one run) or {MIN_SEEDS} to {MAX_SEEDS}, got {args.seeds}")
    if args.save_model:
        raise UserError("--save-model keeps one model: with --seeds every run's model is kept in the store; "
                        "write one out with `python -m nnlab export RUN_ID`")
    if config.seed + args.seeds - 1 > 2**31 - 1:
        raise UserError(f"--seed must be at most {2**31 - args.seeds} with --seeds {args.seeds}")


def run(args: argparse.Namespace, config, dataset, store, stop) -> int:
    group = new_group_id() if store is not None else None
    results = []
    for index, seed in enumerate(seeds_from(config.seed, args.seeds)):
        if stop.is_set():  # Ctrl-C: the seeds done so far are the group
            break
        if not args.quiet:
            print(f"seed {seed} ({index + 1} of {args.seeds})", flush=True, file=sys.stderr)
        extra = group_extra(group, "", args.seeds, index) if group else None
        result, run_id = runs_cli.train_recorded(dataclasses.replace(config, seed=seed), dataset, store, stop,
                                                 quiet=args.quiet, extra=extra)
        results.append((seed, result, run_id))
    summary = summarise(config, dataset.task, [result for _, result, _ in results])
    if args.json:
        runs = [{**result.to_dict(), "seed": seed, "run_id": run_id} for seed, result, run_id in results]
        print(json.dumps(json_safe({"group": group, "seeds": [seed for seed, _, _ in results], "runs": runs,
                                    "summary": summary}), allow_nan=False))
    else:
        print(summary_text(results, summary, group))
    return 0


def summarise(config, task: str, results: list) -> dict:
    """The group's figures: each test figure's mean, sd, lowest and highest; the verdict of the mean
    curves; each seed's verdict and whether they agree."""
    judged = group_verdict([result.history for result in results], config=config, task=task,
                           recorded=[result.verdict.to_dict() for result in results])
    return {"test": {name: spread.to_dict() for name, spread in spread_of_tests([r.test for r in results]).items()},
            "spread": "sd (n − 1) over the seeds; min and max the lowest and highest seed",
            "verdict": judged.verdict.to_dict(), "verdicts": list(judged.kinds), "seeds_agree": judged.agree,
            "verdict_text": judged.text}


def summary_text(results: list, summary: dict, group: str | None) -> str:
    lines = []
    for seed, result, run_id in results:
        test = ", ".join(f"{k} {v:.2%}" if k == "accuracy" else f"{k} {v:.4g}" for k, v in result.test.items()
                         if v is not None)
        lines.append(f"seed {seed}: {result.status}, {result.verdict.title.lower()}; test {test}"
                     + (f" (run {run_id})" if run_id else ""))
    count = len(results)
    for name, figures in sorted(summary["test"].items(), key=lambda item: item[0] == "loss"):  # the metric first
        if figures["mean"] is None:
            continue
        percent = name == "accuracy"
        show = (lambda v: f"{v:.2%}") if percent else (lambda v: f"{v:.4g}")  # noqa: E731
        spread = f"{figures['sd'] * 100:.2f} pt" if percent else f"{figures['sd']:.3g}"
        lines.append(f"test {name}: {show(figures['mean'])} ± {spread} (mean ± sd of {figures['n']} seeds; "
                     f"lowest {show(figures['min'])}, highest {show(figures['max'])})")
    lines.append(f"verdict: {summary['verdict_text']}")
    steps = [step["text"] for step in summary["verdict"]["next_steps"]] or summary["verdict"]["remedies"]
    lines += ["next:"] + [f"  - {step}" for step in steps]
    if group:
        lines.append(f"group {group}: {count} runs kept (`python -m nnlab runs` lists them)")
    return "\n".join(lines)
