"""What a run is, as listed and loaded (`Run`, `DamagedRun`), and run.json's fields: the ones a new
run starts with, and the check of each when it is read back, since a file on disk may hold anything.
"""
from __future__ import annotations

import errno
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from nnlab.config.run_config import RunConfig
from nnlab.verdict.diagnose import KINDS
from nnlab.core.jsonsafe import json_safe
from nnlab.store.files import HISTORY_FILE, LABEL_FILE, RUN_FILE, Damage, parse_json, preview, read_label
from nnlab.core.status import Status
from nnlab.core.tasks import CLASSIFICATION, REGRESSION, metric_name

FORMAT = 1  # bumped if the layout of run.json changes


@dataclass
class Run:
    """One saved run, as listed and loaded."""

    id: str
    label: str
    config: RunConfig
    status: Status
    created: str  # ISO time, UTC
    updated: str
    dataset_title: str = ""
    task: str = CLASSIFICATION
    params: int = 0
    train_examples: int = 0  # examples trained on (train_size 0 means "all": this says how many); 0 = unknown
    test: dict = field(default_factory=dict)
    verdict: dict = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0  # training time so far
    epochs_run: int = 0
    has_model: bool = False
    recorded_best: tuple[int, float] | None = None  # from run.json, so lists need no history
    extra: dict = field(default_factory=dict)  # where it came from, e.g. {"study": …, "trial": …} for a search
    problems: tuple[str, ...] = ()  # parts that could not be read and were left out
    history: pd.DataFrame | None = None  # filled by RunStore.load
    # Per epoch and Dense layer: gradient norm and weight percentiles (nnlab.training.train.Trainer.layer_stats),
    # filled by RunStore.load; empty for runs from before they were recorded
    layer_stats: list[dict] = field(default_factory=list)

    @property
    def metric(self) -> str:
        return metric_name(self.task)

    @property
    def best(self) -> tuple[int, float] | None:
        """(epoch, validation metric) at the lowest validation loss."""
        if self.history is None:
            return self.recorded_best
        return best_epoch(self.history, self.metric)


@dataclass
class DamagedRun:
    id: str
    reason: str


def best_epoch(history: pd.DataFrame, metric: str) -> tuple[int, float] | None:
    """(epoch, validation metric) at the lowest validation loss of a history, if it has one."""
    if history.empty or "val_loss" not in history or "epoch" not in history:
        return None
    losses = pd.to_numeric(history["val_loss"], errors="coerce")
    losses = losses[np.isfinite(losses)]
    if losses.empty:
        return None
    row = history.loc[losses.idxmin()]
    value = pd.to_numeric(row.get(f"val_{metric}", math.nan), errors="coerce")
    return int(row["epoch"]), float(value)


def best_json(history: list[dict], task) -> list | None:
    """The recorded "best" ([epoch, validation metric] at the lowest validation loss), kept after each
    epoch so that lists need no history. Plain Python: it runs after every epoch of every run."""
    metric = f"val_{metric_name(task if task in (CLASSIFICATION, REGRESSION) else CLASSIFICATION)}"
    best = None
    for row in history:
        loss = row.get("val_loss")
        if isinstance(loss, (int, float)) and math.isfinite(loss) and (best is None or loss < best.get("val_loss")):
            best = row
    return json_safe([int(best["epoch"]), float(best.get(metric, math.nan))]) if best else None


def new_meta(config: RunConfig, *, dataset_title: str, task: str, params: int, train_examples: int,
             extra: dict | None = None) -> dict:
    """The recorded fields of a run that has just begun."""
    created = now()
    return {"format": FORMAT, "config": config.to_dict(), "status": Status.RUNNING.value, "created": created,
            "updated": created, "dataset_title": dataset_title, "task": task, "params": params,
            "train_examples": train_examples, "test": {},
            "verdict": {}, "message": "", "seconds": 0.0, "epochs_run": 0, "best": None,
            "extra": json_safe(extra or {})}


def now() -> str:
    # Microseconds, so that runs made in the same second still sort in the order they began.
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def read_run(folder: Path, *, has_history: bool, has_model: bool) -> Run:
    """The run an old nnlab's folder describes (run.json and label.json, without its history), for
    the import. Damage if run.json cannot be used; a damaged label or a missing history are listed
    in `problems`."""
    meta = parse_json(folder / RUN_FILE)
    label, problems = read_label(folder / LABEL_FILE)
    if not has_history:
        problems += (f"{HISTORY_FILE} is missing: the epochs are lost",)
    if problems and not folder.is_dir():  # deleted while being read: gone, not damaged
        raise FileNotFoundError(errno.ENOENT, "deleted while being read", str(folder))
    return run_from_meta(folder.name, meta, label=label, has_model=has_model, problems=problems)


def run_from_meta(run_id: str, meta: Any, *, label: str = "", has_model: bool = False,
                  problems: tuple[str, ...] = ()) -> Run:
    """A Run from its recorded fields, each checked (a store may hold what an older or a damaged
    nnlab wrote): Damage naming the first field that cannot be used."""
    if not isinstance(meta, dict):
        raise Damage(f"{RUN_FILE} holds {_kind(meta)}, not a run's settings")
    if meta.get("format") != FORMAT:
        raise Damage(f"{RUN_FILE} has format {preview(meta.get('format'))}; this nnlab reads format {FORMAT}")
    try:
        config = RunConfig.from_dict(_field(meta, "config", dict, "settings (a mapping)"))
    except (ValueError, TypeError) as error:  # ConfigError mostly; TypeError for e.g. a list as a name
        raise Damage(f"{RUN_FILE} holds a setting this nnlab cannot use: {error}") from None
    status = Status(_field(meta, "status", lambda v: v in set(Status), f"one of {', '.join(Status)}"))
    task = _field(meta, "task", lambda v: v in (CLASSIFICATION, REGRESSION), "classification or regression",
                  CLASSIFICATION)
    return Run(
        id=run_id, label=label, config=config, status=status,
        created=_field(meta, "created", _is_time, "a date and time like 2026-01-01T12:00:00+00:00"),
        updated=_field(meta, "updated", _is_time, "a date and time like 2026-01-01T12:00:00+00:00", ""),
        dataset_title=_field(meta, "dataset_title", str, "text", ""), task=task,
        params=_field(meta, "params", _is_count, "a whole number of at least 0", 0),
        train_examples=_field(meta, "train_examples", _is_count, "a whole number of at least 0", 0),
        test=_field(meta, "test", _is_figures, "a mapping of names to numbers", {}),
        verdict=_field(meta, "verdict", _is_verdict, f"empty or a verdict of a kind in {', '.join(KINDS)}", {}),
        message=_field(meta, "message", str, "text", ""),
        seconds=float(_field(meta, "seconds", _is_number, "a number of seconds", 0.0)),
        epochs_run=_field(meta, "epochs_run", _is_count, "a whole number of at least 0", 0),
        has_model=has_model,
        recorded_best=_recorded_best(_field(meta, "best", _is_best, "null or [epoch, value]", None)),
        extra=_field(meta, "extra", dict, "a mapping", {}),
        problems=problems,
    )


# --- checking run.json's fields ---------------------------------------------------------------

_REQUIRED = object()


def _field(meta: dict, name: str, check: type | Callable[[Any], bool], wanted: str, default=_REQUIRED):
    if name not in meta:
        if default is _REQUIRED:
            raise Damage(f"{RUN_FILE} has no {name!r}")
        return default
    value = meta[name]
    ok = isinstance(value, check) if isinstance(check, type) else _safely(check, value)
    if not ok:
        raise Damage(f"{RUN_FILE}: {name} should be {wanted}, found {preview(value)}")
    return value


def _safely(check: Callable[[Any], bool], value) -> bool:
    try:
        return bool(check(value))
    except TypeError:  # e.g. an unhashable list where a name was expected
        return False


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_time(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_figures(value) -> bool:
    return isinstance(value, dict) and all(v is None or _is_number(v) for v in value.values())


def _is_verdict(value) -> bool:
    return isinstance(value, dict) and (not value or value.get("kind") in KINDS)


def _is_best(value) -> bool:
    return value is None or (isinstance(value, list) and len(value) == 2 and _is_count(value[0])
                             and (value[1] is None or _is_number(value[1])))


def _recorded_best(value) -> tuple[int, float] | None:
    return (value[0], math.nan if value[1] is None else float(value[1])) if value else None


def _kind(value) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")
