"""`python -m nnlab train …` and `python -m nnlab datasets`: the backend without a browser.

Every RunConfig field is a flag, generated from nnlab.config.settings (the table the controls and links use).
Progress goes to stderr, one line per epoch; results to stdout (with --json, one JSON object as the
last line). A bad setting or file exits with code 2 and one line on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys

from nnlab.cli import (lr_find as lr_find_cli, runs as runs_cli, search as search_cli, seeds as seeds_cli,
                       worker as worker_cli)
from nnlab.cli.settings_flags import add_setting_flags, config_from_args
from nnlab.core import deployment
from nnlab.core.deployment import DeploymentError
from nnlab.core.errors import UserError


PROG = "python -m nnlab"  # how it is run: the usage lines and the pointers to --help say so


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        self.exit(2, f"nnlab: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Train neural networks on real data, headless.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    parser.commands = commands.choices  # name → its parser, for main's word on an unknown flag
    commands.add_parser("datasets", help="list the data sets")
    search_cli.add_parser(commands)
    lr_find_cli.add_parser(commands)
    train = commands.add_parser("train", help="train one network and report its verdict")
    add_setting_flags(train)
    train.add_argument("--config", metavar="FILE", help="start from the settings in a JSON file; flags override them")
    train.add_argument("--json", action="store_true", help="print the result as one JSON object (last line of stdout)")
    train.add_argument("--save-model", metavar="FILE.keras", help="save the trained model")
    train.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    train.add_argument("--no-save", action="store_true", help="do not keep the run in the store")
    train.add_argument("--queue", action="store_true",
                       help="train on the workers of the PostgreSQL database (`python -m nnlab worker`), followed here")
    seeds_cli.add_flag(train)
    runs_cli.add_database_flags(train)
    runs_cli.add_parsers(commands)
    worker_cli.add_parser(commands)
    return parser


def _summary(result, specs) -> str:
    test = ", ".join(f"{k} {v:.2%}" if k == "accuracy" else f"{k} {v:.4g}" for k, v in result.test.items())
    lines = [
        f"{result.status}: {result.message}",
        f"test: {test}",
        f"parameters: {result.params:,}; {result.seconds_per_epoch:.2f} s per epoch",
        *(f"  {spec.name:<14} {spec.kind:<10} {spec.units:>5} {spec.activation:<8} {spec.params:>9,}  {spec.formula}"
          for spec in specs),
        f"verdict: {result.verdict.title} (best epoch {result.verdict.best_epoch}). {result.verdict.explanation}",
    ]
    steps = [step.text for step in result.verdict.next_steps] or result.verdict.remedies
    lines += ["next:"] + [f"  - {step}" for step in steps]
    return "\n".join(lines)


def cmd_datasets() -> int:
    from nnlab.data.datasets import DATASETS

    width = max(map(len, DATASETS))
    for name, info in DATASETS.items():
        print(f"{name:<{width}}  {info.task:<14}  {info.description}")
    print(f"{'csv':<{width}}  {'either':<14}  Your own CSV file: --csv FILE --target COLUMN")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    seeds_cli.check(args, config)
    if args.save_model and not args.save_model.endswith(".keras"):
        raise UserError(f"--save-model needs a file name ending in .keras, got {args.save_model!r}")
    if args.queue:
        from nnlab.cli.queued import train_queued

        return train_queued(args, config)
    store = None if args.no_save else runs_cli.store_of(args)  # an unusable database: said before any work
    from nnlab.data.datasets import load_dataset

    dataset = load_dataset(config)
    from nnlab.training.stop_signal import StopSignal, stop_on_ctrl_c

    if not args.quiet:
        print(dataset.summary(), file=sys.stderr)
        for note in dataset.notes:
            print(f"note: {note}", file=sys.stderr)
    stop = StopSignal()
    stop_on_ctrl_c(stop.set)  # Ctrl-C stops cleanly and keeps the epochs
    if args.seeds > 1:
        return seeds_cli.run(args, config, dataset, store, stop)
    result, run_id = runs_cli.train_recorded(config, dataset, store, stop, quiet=args.quiet)
    if args.save_model:
        try:
            result.model.save(args.save_model)
        except OSError as error:
            raise UserError(f"cannot save the model to {args.save_model}: {error.strerror or error}") from None
    if args.json:
        print(json.dumps({**result.to_dict(), "run_id": run_id}))
    else:
        from nnlab.training.model import model_specs

        print(_summary(result, model_specs(config, dataset)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command's own parser, so the pointer goes to that command's --help
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    try:  # the deployer's settings first: a bad one is said now, naming it, before any work
        deployment.current()
    except DeploymentError as error:
        print("\n".join(f"nnlab: {problem}" for problem in error.problems), file=sys.stderr)
        return 2
    try:
        if args.command == "search":
            return search_cli.run(args)
        if args.command == "lr-find":
            return lr_find_cli.run(args)
        if args.command == "runs":
            return runs_cli.run_list(args)
        if args.command == "export":
            return runs_cli.run_export(args)
        if args.command == "worker":
            return worker_cli.run(args)
        return cmd_datasets() if args.command == "datasets" else cmd_train(args)
    except UserError as error:
        print(f"nnlab: {error}", file=sys.stderr)
        return 2
