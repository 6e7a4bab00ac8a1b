"""A piece of work as the queue carries it to a worker (issue 25), and back into the job it is.

A job's arguments are JSON, so a spec holds settings and names, never objects: the kind of work (one run,
a race, a sweep, a group of seeds, the learning-rate finder, a search), its key (the control and live rows are keyed by it), the visitor, the workspace its runs
are kept in, and each run's RunConfig as a dict with its label and its record's tags (a group of seeds, a
class's share tick). The worker rebuilds the same TrainingJob, RaceJob, SweepJob, FinderJob or
SearchJob the page would have built (`build`), so work trained there is trained, saved and shown as local work. Never the database URL:
the worker has its own, and a job's arguments are readable by whoever reads the queue.
"""
from __future__ import annotations

import secrets

from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.serving.jobs import RaceJob, SweepJob, TaggedStore, TrainingJob
from nnlab.search.study import SearchPlan, parse_space
from nnlab.serving.lr_finder_job import FinderJob
from nnlab.serving.search_job import SearchJob
from nnlab.serving.scheduler import Scheduler
from nnlab.serving.slot_work import SlotWork
from nnlab.store.runs import RunStore

GROUPS = {"race": RaceJob, "sweep": SweepJob, "seeds": RaceJob}  # a group of seeds is a race of its seeds (SeedsJob)
KINDS = ("run", *GROUPS, "finder", "search")
CSV_HERE = ("A CSV file is kept on this computer, which workers on other machines cannot read: train CSV runs here "
            "(without --queue, or with NNLAB_TRAINING=in-process).")


def new_key() -> str:
    return secrets.token_hex(12)


def run_spec(config: RunConfig, *, owner: str = "", workspace: str, label: str = "", keep: bool = True,
             keep_model: bool = True, extra: dict | None = None) -> dict:
    """One run to train on a worker. Refused here, in words, if a worker could not read its data. `extra` tags
    its record (a class's share tick: a run kept off the board must be kept off wherever it trains)."""
    return work_spec("run", [(config, label, extra)], owner=owner, workspace=workspace, keep=keep,
                     keep_model=keep_model)


def finder_spec(config: RunConfig, *, owner: str = "", steps: int) -> dict:
    """The learning-rate finder (serving/lr_finder_job.FinderJob) of `config`, `steps` batches: nothing kept."""
    return {**work_spec("finder", [(config, "", None)], owner=owner, workspace="", keep=False), "steps": steps}


def search_spec(plan: SearchPlan, study: str, *, owner: str = "", workspace: str, keep: bool = True) -> dict:
    """A search (serving/search_job.SearchJob) of the study keyed `study`, its trials kept in `workspace`: ONE
    work, its trials one after another on one worker's slot, as on a page's."""
    plan_told = {"base": plan.base.to_dict(), "space": [found.text() for found in plan.space.values()],
                 "trials": plan.trials, "minutes": plan.minutes, "sampler": plan.sampler, "pruner": plan.pruner,
                 "sampler_seed": plan.sampler_seed}
    return {**work_spec("search", [(plan.base, "", None)], owner=owner, workspace=workspace, keep=keep),
            "plan": plan_told, "study": study}


def work_spec(kind: str, runs: list[tuple[RunConfig, str, dict | None]], *, owner: str = "", workspace: str,
              keep: bool = True, keep_model: bool = True) -> dict:
    """`kind` of work (KINDS) made of these runs, each (config, label, tags of its record)."""
    if kind not in KINDS or not runs or (kind in ("run", "finder", "search") and len(runs) != 1):
        raise ValueError(f"no work of kind {kind!r} with {len(runs)} runs")
    if any(config.dataset == "csv" for config, _, _ in runs):
        raise UserError(CSV_HERE)
    return {"kind": kind, "key": new_key(), "owner": owner, "workspace": workspace, "keep": keep,
            "keep_model": keep_model, "configs": [config.to_dict() for config, _, _ in runs],
            "labels": [label for _, label, _ in runs], "extras": [dict(extra or {}) for _, _, extra in runs]}


def build(spec: dict, url: str, scheduler: Scheduler, load) -> SlotWork:
    """The work the spec describes (a TrainingJob, or a RaceJob or SweepJob of them), kept in `url`'s store, on
    the worker's own `scheduler`."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise UserError(f"this worker cannot train work of kind {kind!r}: update it to this nnlab")
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
