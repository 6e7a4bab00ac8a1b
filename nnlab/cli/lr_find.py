"""`python -m nnlab lr-find …`: the learning-rate finder without a browser (nnlab/training/lr_finder.py).

Takes every setting flag `train` takes (the network, optimizer, loss and batch size are what the
test runs with). Progress goes to stderr; the result to stdout: with --json, one JSON object as the
last line, {"suggested" (null when the curve shows no clear valley), "steepest", "minimum_tenth",
"clear_valley", "fall", "rule", "message", "curve": [{learning_rate, loss, smoothed}, …], "config"}.
"""
from __future__ import annotations

import argparse
import json
import sys

from nnlab.cli.settings_flags import add_setting_flags, config_from_args
from nnlab.training.lr_finder import END, START, STEPS


def add_parser(commands) -> None:
    finder = commands.add_parser("lr-find", help="suggest a learning rate (Smith's range test, as fastai's lr_find)")
    add_setting_flags(finder)
    finder.add_argument("--config", metavar="FILE", help="start from the settings in a JSON file; flags override them")
    finder.add_argument("--steps", type=int, default=STEPS, help=f"mini-batches, one per rate (default {STEPS})")
    finder.add_argument("--start", type=float, default=START, help=f"the first rate tried (default {START:g})")
    finder.add_argument("--end", type=float, default=END, help=f"the last rate tried (default {END:g})")
    finder.add_argument("--json", action="store_true", help="print the result as one JSON object (last line of stdout)")
    finder.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def run(args: argparse.Namespace) -> int:
    from nnlab.core.errors import UserError

    if not 10 <= args.steps <= 10_000:
        raise UserError(f"--steps must be 10 to 10000, got {args.steps}")
    if not 0 < args.start < args.end:
        raise UserError(f"--start must be above 0 and below --end, got {args.start:g} and {args.end:g}")
    config = config_from_args(args)
    from nnlab.data.datasets import load_dataset
    from nnlab.training.lr_finder import find_learning_rate
    from nnlab.training.stop_signal import StopSignal, stop_on_ctrl_c

    dataset = load_dataset(config)
    if not args.quiet:
        print(dataset.summary(), file=sys.stderr)
    stop = StopSignal()
    stop_on_ctrl_c(stop.set)  # Ctrl-C ends the test and suggests from what it saw
    every = max(1, args.steps // 10)
    on_step = None if args.quiet else lambda done, total: (
        print(f"batch {done}/{total}", file=sys.stderr, flush=True) if done % every == 0 else None)
    result = find_learning_rate(config, dataset, steps=args.steps, start=args.start, end=args.end, stop=stop,
                                on_step=on_step)
    if args.json:
        print(json.dumps({**result.to_dict(), "config": config.to_dict()}))
    else:
        print(result.message)
        if result.clear:
            print(f"suggested learning rate: {result.suggested:.3g} (steepest fall of the smoothed loss)")
            print(f"lowest loss / 10: {result.minimum_tenth:.3g}")
        else:
            print(f"no suggestion. {result.flat_text()}")
    return 0
