"""`python -m nnlab search …`: a hyperparameter search without a browser, on one or many machines.

Run the same command with the same --study and --database on several machines (or several times on
one): the processes share one Optuna study in that database, each trial trained once and kept as an
nnlab run. Progress goes to stderr, one line per trial; with --json the last line of stdout is one
JSON object: the study, this process's trials and the study's best trial. A bad space exits with 2.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

from nnlab.cli.settings_flags import settings_file
from nnlab.store import database
from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.search.study import PRUNERS, SAMPLERS, SearchPlan, default_space, parse_space, study_key
from nnlab.core.status import Status

WORKSPACE = "shared"  # the CLI's runs and studies: those a localhost page shows


def add_parser(commands) -> None:
    search = commands.add_parser("search", help="search several knobs at once (Optuna), each trial kept as a run")
    search.add_argument("--dataset", default="digits", help="the data set (`python -m nnlab datasets`)")
    search.add_argument("--trials", type=int, default=30, help="trials this process trains (default 30)")
    search.add_argument("--epochs", type=int, default=10, help="epochs of each trial at most (default 10)")
    search.add_argument("--minutes", type=float, default=None, help="stop after this many minutes")
    search.add_argument("--space", action="append", default=[], metavar="KNOB=RANGE",
                        help="a knob's range, repeatable: learning_rate=1e-4..1e-1:log, layers=1..3, "
                             "neurons=16..256:log, activation=relu,tanh, optimizer=adam,sgd, dropout=0..0.5, "
                             "l2=1e-6..1e-2:log, batch_size=16..256:log (default: a space for the data set)")
    search.add_argument("--sampler", choices=list(SAMPLERS), default="tpe", help="how trials are chosen (default tpe)")
    search.add_argument("--pruner", choices=list(PRUNERS), default="median",
                        help="how hopeless trials are cut (default median)")
    search.add_argument("--study", default=None, help="the study's name; the same name on several machines shares "
                                                      "it (default: <dataset>-search)")
    search.add_argument("--database", default=None, metavar="URL",
                        help="where the study and its runs live: postgresql://user:password@host/name for many "
                             "machines (default: NNLAB_DATABASE_URL, else the embedded SQLite file)")
    search.add_argument("--config", metavar="FILE", help="the other settings of every trial, from a JSON file")
    search.add_argument("--train-size", type=int, default=None, help="training examples to keep (0 = all)")
    search.add_argument("--seed", type=int, default=None, help="the data split's and the weights' seed")
    search.add_argument("--sampler-seed", type=int, default=None, help="fix the sampler's choices (reproducible)")
    search.add_argument("--json", action="store_true", help="the result as one JSON object (last line of stdout)")
    search.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def run(args: argparse.Namespace) -> int:
    try:
        return _search(args)
    except UserError as error:
        print(f"nnlab: {' '.join(str(error).split())}", file=sys.stderr)
        return 2


def _search(args: argparse.Namespace) -> int:
    plan = SearchPlan(_base(args), parse_space(args.space) if args.space else default_space(args.dataset),
                      trials=args.trials, minutes=args.minutes, sampler=args.sampler, pruner=args.pruner,
                      sampler_seed=args.sampler_seed)
    url = database.database_url(args.database)
    name = args.study or f"{plan.base.dataset}-search"
    key = study_key(WORKSPACE, name)
    from nnlab.store.runs import open_store
    from nnlab.serving.scheduler import Scheduler
    from nnlab.serving.search_job import SearchJob
    from nnlab.training.stop_signal import stop_on_ctrl_c

    job = SearchJob(plan, url=url, key=key, load=_load, store=open_store(url, WORKSPACE), page_limits=False,
                    scheduler=Scheduler(1), abandon_seconds=math.inf, on_trial=None if args.quiet else _progress)
    if not args.quiet:
        print(f"study {name!r} in {database.shown(url)}: {plan.trials} trials of up to {plan.base.epochs} epochs, "
              f"{plan.sampler} sampler, {plan.pruner} pruning; space: "
              f"{' '.join(r.text() for r in plan.space.values())}", file=sys.stderr)
    job.start()
    stop_on_ctrl_c(job.stop)  # Ctrl-C: the trial in progress ends, finished ones stay
    while not job.done:
        job.join(0.5)
    if job.failed:
        raise UserError(job.message)
    best = job.best()
    if not args.quiet:
        print(job.message, file=sys.stderr)
    if args.json:
        print(json.dumps({"study": name, "trials": len(job.trials), "best": best}))
    elif best:
        settings = ", ".join(f"{k}={_short(v)}" for k, v in best["params"].items())
        print(f"best: trial {best['trial']}, {job.objective.words} {job.objective.shown(best['value'])} "
              f"({settings}); run {best['run_id']}")
    else:
        print("no trial finished")
    return 0


def _load(config: RunConfig):
    """Each trial's data: derived from one loaded copy per data set (nnlab.data.cache)."""
    from nnlab.data.cache import DATA_CACHE

    return DATA_CACHE.load(config)


def _base(args: argparse.Namespace) -> RunConfig:
    values = settings_file(args.config)
    values.update(dataset=args.dataset, epochs=args.epochs)
    if args.train_size is not None:
        values["train_size"] = args.train_size
    if args.seed is not None:
        values["seed"] = args.seed
    return RunConfig.from_dict(values)


def _progress(job, params: dict, value: float | None) -> None:
    settings = " ".join(f"{k}={_short(v)}" for k, v in params.items())
    ended = job.message if job.status in (Status.PRUNED, Status.FAILED) else f"{job.status}, {len(job.history)} epochs"
    figure = "" if value is None or job.status == Status.PRUNED else f", best {value:.4g}"
    print(f"{job.label}: {ended}{figure}  [{settings}]", file=sys.stderr, flush=True)


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
