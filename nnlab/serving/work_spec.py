"""A piece of work as the queue carries it to a worker (issue 25), and back into the job it is.

A job's arguments are JSON, so a spec holds settings and names, never objects: the kind of work (one run,
a race, a sweep, a group of seeds, the learning-rate finder, a search), its key (the control and live rows are keyed by it), the visitor, the workspace its runs
are kept in, and each run's RunConfig as a dict with its label and its record's tags (a group of seeds, a
class's share tick). A run on a CSV file: the file's bytes go into the database (store/csv_files.py) and the
spec maps the file's path to their id; the worker reads that id, never a path. The worker rebuilds the same TrainingJob, RaceJob, SweepJob, FinderJob or
SearchJob the page would have built (`build`), so work trained there is trained, saved and shown as local work. Never the database URL:
the worker has its own, and a job's arguments are readable by whoever reads the queue.
"""
from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path

from nnlab.config.run_config import RunConfig
from nnlab.data.csv_files import file_bytes
from nnlab.core.errors import UserError
from nnlab.serving.jobs import RaceJob, SweepJob, TaggedStore, TrainingJob
from nnlab.search.study import SearchPlan, parse_space
from nnlab.serving.lr_finder_job import FinderJob
from nnlab.serving.search_job import SearchJob
from nnlab.serving.scheduler import Scheduler
from nnlab.serving.slot_work import SlotWork
from nnlab.store import csv_files
from nnlab.store.runs import RunStore

GROUPS = {"race": RaceJob, "sweep": SweepJob, "seeds": RaceJob}  # a group of seeds is a race of its seeds (SeedsJob)
KINDS = ("run", *GROUPS, "finder", "search")
CSV_HERE = "a CSV run goes to the workers through a database: give its URL"  # a caller's slip, not a visitor's


def new_key() -> str:
    return secrets.token_hex(12)


def run_spec(config: RunConfig, *, owner: str = "", workspace: str, label: str = "", keep: bool = True,
             keep_model: bool = True, extra: dict | None = None, url: str | None = None) -> dict:
    """One run to train on a worker. `extra` tags its record (a class's share tick: a run kept off the board must
    be kept off wherever it trains); `url`: the database its CSV file goes into, if it has one."""
    return work_spec("run", [(config, label, extra)], owner=owner, workspace=workspace, keep=keep,
                     keep_model=keep_model, url=url)


def finder_spec(config: RunConfig, *, owner: str = "", steps: int, url: str | None = None) -> dict:
    """The learning-rate finder (serving/lr_finder_job.FinderJob) of `config`, `steps` batches: nothing kept."""
    return {**work_spec("finder", [(config, "", None)], owner=owner, workspace="", keep=False, url=url), "steps": steps}


def search_spec(plan: SearchPlan, study: str, *, owner: str = "", workspace: str, keep: bool = True,
                url: str | None = None) -> dict:
    """A search (serving/search_job.SearchJob) of the study keyed `study`, its trials kept in `workspace`: ONE
    work, its trials one after another on one worker's slot, as on a page's."""
    plan_told = {"base": plan.base.to_dict(), "space": [found.text() for found in plan.space.values()],
                 "trials": plan.trials, "minutes": plan.minutes, "sampler": plan.sampler, "pruner": plan.pruner,
                 "sampler_seed": plan.sampler_seed}
    return {**work_spec("search", [(plan.base, "", None)], owner=owner, workspace=workspace, keep=keep, url=url),
            "plan": plan_told, "study": study}


def work_spec(kind: str, runs: list[tuple[RunConfig, str, dict | None]], *, owner: str = "", workspace: str,
              keep: bool = True, keep_model: bool = True, url: str | None = None) -> dict:
    """`kind` of work (KINDS) made of these runs, each (config, label, tags of its record). Their CSV files (read
    here, where the page read them) go into `url`'s database for the worker."""
    if kind not in KINDS or not runs or (kind in ("run", "finder", "search") and len(runs) != 1):
        raise ValueError(f"no work of kind {kind!r} with {len(runs)} runs")
    files = {}
    for path in {config.csv_path for config, _, _ in runs if config.dataset == "csv"}:
        if url is None:
            raise ValueError(CSV_HERE)
        files[path] = csv_files.keep(url, file_bytes(Path(path)))
    return {"kind": kind, "key": new_key(), "owner": owner, "workspace": workspace, "keep": keep,
            "keep_model": keep_model, "configs": [config.to_dict() for config, _, _ in runs],
            "labels": [label for _, label, _ in runs], "extras": [dict(extra or {}) for _, _, extra in runs],
            "csv": files}


def with_csv_files(spec: dict, url: str, load):
    """`load` (a config → Dataset) for the work `spec` describes: a CSV run's data from the worker's copy of the
    file its spec names by id (store/csv_files.local_copy); its config, as recorded, keeps the page's path."""
    files = spec.get("csv") or {}

    def loading(config: RunConfig):
        if config.dataset != "csv":
            return load(config)
        return load(dataclasses.replace(config, csv_path=str(csv_files.local_copy(url, files.get(config.csv_path)))))
    return loading


def build(spec: dict, url: str, scheduler: Scheduler, load) -> SlotWork:
    """The work the spec describes (a TrainingJob, or a RaceJob or SweepJob of them), kept in `url`'s store, on
    the worker's own `scheduler`."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise UserError(f"this worker cannot train work of kind {kind!r}: update it to this nnlab")
    load = with_csv_files(spec, url, load)
    # Owner "": the visitor's one-at-a-time rule is the queue's (its lock), not this worker's scheduler.
    if kind == "finder":
        return FinderJob(RunConfig.from_dict(spec["configs"][0]), load, scheduler=scheduler, steps=int(spec["steps"]))
    if kind == "search":
        told = spec["plan"]
        plan = SearchPlan(RunConfig.from_dict(told["base"]), parse_space(told["space"]), trials=told["trials"],
                          minutes=told["minutes"], sampler=told["sampler"], pruner=told["pruner"],
                          sampler_seed=told["sampler_seed"])
        return SearchJob(plan, url=url, key=spec["study"], load=load, scheduler=scheduler,
                         store=RunStore(url, spec["workspace"]) if spec.get("keep", True) else None)
    jobs = [TrainingJob(RunConfig.from_dict(config), load, store=_store(spec, url, extra), label=label,
                        keep_model=spec.get("keep_model", True), scheduler=scheduler, keep_views=True)
            for config, label, extra in zip(spec["configs"], spec["labels"], spec["extras"])]
    return jobs[0] if kind == "run" else GROUPS[kind](jobs, scheduler=scheduler)


def _store(spec: dict, url: str, extra: dict):
    store = RunStore(url, spec["workspace"]) if spec.get("keep", True) else None
    return TaggedStore(store, extra) if store is not None and extra else store
