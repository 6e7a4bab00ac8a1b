"""A piece of work as the queue carries it to a worker (issue 25), and back into the job it is.

A job's arguments are JSON, so a spec holds settings and names, never objects: the kind of work, its
key (the control and live rows are keyed by it), the visitor, the workspace its runs are kept in, a
label, and each run's RunConfig as a dict. The worker rebuilds the same TrainingJob the page would
have built (`build`), so a run trained there is trained, saved and shown as a local one. Never the
database URL: the worker has its own, and a job's arguments are readable by whoever reads the queue.
"""
from __future__ import annotations

import secrets

from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.serving.jobs import TaggedStore, TrainingJob
from nnlab.serving.scheduler import Scheduler
from nnlab.store.runs import RunStore

KINDS = ("run",)  # races, sweeps, searches and the finder come next (issue 25, stage 4)


def new_key() -> str:
    return secrets.token_hex(12)


def run_spec(config: RunConfig, *, owner: str = "", workspace: str, label: str = "", keep: bool = True,
             keep_model: bool = True, extra: dict | None = None) -> dict:
    """One run to train on a worker. Refused here, in words, if a worker could not read its data. `extra` tags
    its record (a class's share tick: a run kept off the board must be kept off wherever it trains)."""
    if config.dataset == "csv":
        raise UserError("A CSV file is kept on this computer, which workers on other machines cannot read: "
                        "train CSV runs here (without --queue, or with NNLAB_TRAINING=in-process).")
    return {"kind": "run", "key": new_key(), "owner": owner, "workspace": workspace, "label": label,
            "keep": keep, "keep_model": keep_model, "configs": [config.to_dict()], "extra": dict(extra or {})}


def build(spec: dict, url: str, scheduler: Scheduler, load) -> TrainingJob:
    """The job the spec describes, kept in `url`'s store, on the worker's own `scheduler`."""
    if spec.get("kind") not in KINDS:
        raise UserError(f"this worker cannot train work of kind {spec.get('kind')!r}: update it to this nnlab")
    config = RunConfig.from_dict(spec["configs"][0])
    store = RunStore(url, spec["workspace"]) if spec.get("keep", True) else None
    if store is not None and spec.get("extra"):
        store = TaggedStore(store, spec["extra"])
    # Owner "": the visitor's one-at-a-time rule is the queue's (its lock), not this worker's scheduler.
    return TrainingJob(config, load, store=store, label=spec.get("label", ""), keep_model=spec.get("keep_model", True),
                       scheduler=scheduler)
