"""RunStore: every run kept in a database (nnlab.store.database: SQLite by default, PostgreSQL for a class
or many machines), written epoch by epoch, each write one transaction.

A store is one workspace of that database: every read and write names it, so a visitor reaches only
their own workspace's runs (a run id from a link of another workspace is "no longer exists").

    nnlab_runs     one row per run: its workspace, status, label, heartbeat, and its recorded fields
                   (settings, test figures, verdict, message, timing, best epoch) as JSON
    nnlab_epochs   one row per completed epoch
    nnlab_models   the trained .keras model's bytes, when kept

Liveness: the trainer beats (sets the run's heartbeat time) every HEARTBEAT_SECONDS; a run marked
running whose heartbeat is older than STALE_SECONDS was cut off (its process died) and is shown as
interrupted, with its completed epochs. The trainer and the user's actions write different columns
(the label is the user's), so a rename during training is never overwritten by the next epoch.

Old nnlab versions kept runs as folders of files: nnlab.store.folder_import brings them in, once.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import secrets
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from nnlab.store import database

from nnlab.core import deployment
from nnlab.config.run_config import RunConfig
from nnlab.store.database import StoreUnavailable
from nnlab.core.errors import UserError
from nnlab.core.jsonsafe import json_safe
from nnlab.store.cache import RecentlyRead
from nnlab.store.files import Damage
from nnlab.store.record import FORMAT, DamagedRun, Run, best_epoch, best_json, new_meta, now, run_from_meta
from nnlab.store.schema import end_views, epochs, import_damage, migrate, models, runs
from nnlab.core.status import Status
from nnlab.core.tasks import CLASSIFICATION

__all__ = ["RunStore", "Run", "DamagedRun", "best_epoch", "FORMAT", "open_store", "STORE_ERRORS",
           "HEARTBEAT_SECONDS", "STALE_SECONDS", "LIVE", "SHARED"]

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0  # a training job calls RunStore.beat this often
STALE_SECONDS = 30.0  # a run marked running without a beat for this long was cut off: interrupted
LIVE = frozenset({Status.QUEUED, Status.RUNNING})  # states that need a heartbeat to be believed
SHARED = "shared"  # the workspace of the shared store (localhost, the CLI)
# The deployment's bounds on models (nnlab/core/deployment.py): a model bigger than NNLAB_MAX_MODEL_MB
# is not kept (a 10 × 2048 network is ≈160 MB): the database would carry it on every backup and a
# class's server would hold it in memory while saving. The models kept, in all, are bounded per
# workspace (one visitor) and per database (the server): a sweep of 12 runs of a 6 × 2048 network
# wrote 1.1 GB of models; over a quota, a model is not kept and the run says so (its figures and
# curves are kept). "0" = no quota.
RUN_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{6}")
_WORKSPACE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_PARSED = RecentlyRead(10_000)  # a class's runs (50 × 50) several times over
_MIGRATED: set[str] = set()  # URLs this process has brought up to date

# What saving can raise: the disk or the database is the trouble, or the run was deleted meanwhile
# (UserError, of which StoreUnavailable is one). A job notes it and trains on.
STORE_ERRORS = (OSError, UserError)


def open_store(url: str | None = None, workspace: str = SHARED, *, stale_seconds: float = STALE_SECONDS) -> RunStore:
    """The store of `workspace` in the database `url` names (None: nnlab.store.database's default)."""
    return RunStore(database.database_url(url), workspace, stale_seconds=stale_seconds)


class RunStore:
    def __init__(self, url: str, workspace: str = SHARED, *, stale_seconds: float = STALE_SECONDS):
        if not _WORKSPACE.fullmatch(workspace):
            raise UserError(f"{workspace[:70]!r} is not a workspace name (lower-case letters, digits and dashes)")
        self.url, self.workspace, self.stale_seconds = url, workspace, stale_seconds

    def __repr__(self) -> str:
        return f"RunStore({database.shown(self.url)!r}, {self.workspace!r})"

    # --- writing (the trainer) ---------------------------------------------------------------

    def create(self, config: RunConfig, *, dataset_title: str = "", task: str = CLASSIFICATION,
               params: int = 0, label: str = "", train_examples: int = 0, extra: dict | None = None) -> str:
        """A new run with status 'running'; returns its id."""
        meta = new_meta(config, dataset_title=dataset_title, task=task, params=params,
                        train_examples=train_examples, extra=extra)
        for _attempt in range(5):
            run_id = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
            try:
                with self._writing(new_id=True) as connection:
                    connection.execute(insert(runs).values(
                        id=run_id, workspace=self.workspace, created=meta["created"], updated=meta["updated"],
                        status=meta["status"], label=clean_label(label), heartbeat=time.time(), has_model=False,
                        meta=_to_json(meta)))
                return run_id
            except IntegrityError:  # the same id drawn twice in one second: draw again
                continue
        raise StoreUnavailable("could not find a free run id; try again")

    def beat(self, run_id: str) -> bool:
        """Say the run's training is alive (call every HEARTBEAT_SECONDS). False if the run is gone
        (deleted) or the database refuses; never raises."""
        if not RUN_ID.fullmatch(str(run_id)):
            return False
        try:
            with self._writing() as connection:
                done = connection.execute(update(runs).where(*self._this(run_id)).values(heartbeat=time.time()))
            return done.rowcount == 1
        except (UserError, SQLAlchemyError) as error:
            log.warning("run %s: heartbeat not recorded: %s", run_id, error)
            return False

    def save_history(self, run_id: str, history: list[dict]) -> None:
        """Record the epochs not yet recorded (after each epoch: one row) and the run's summary, in
        one transaction, and beat."""
        with self._writing() as connection:
            meta = self._meta_for_update(connection, run_id)
            self._write_epochs(connection, run_id, history, _count(meta.get("epochs_run")))
            meta.update(updated=now(), epochs_run=len(history), best=best_json(history, meta.get("task")),
                        seconds=float(sum(row.get("seconds", 0) for row in history)))
            connection.execute(update(runs).where(*self._this(run_id)).values(
                updated=meta["updated"], meta=_to_json(meta), heartbeat=time.time()))

    def finish(self, run_id: str, *, status: str, message: str = "", test: dict | None = None,
               verdict: dict | None = None, history: list[dict] | None = None, model=None,
               views: bytes | None = None) -> str:
        """The run's final state (and its model, unless bigger than NNLAB_MAX_MODEL_MB or over the
        workspace's or the server's quota of models; its end views, training/end_views.py, bounded there),
        in one transaction; the run's message as
        saved (it says when the model was not kept). Raises UserError (StoreUnavailable among them)
        or OSError; call mark_failed then."""
        status = Status(status)
        blob = _model_bytes(model) if model is not None else None
        max_model_mb = deployment.current().max_model_mb
        if blob is not None and len(blob) > max_model_mb * 1e6:
            message = (f"{message} The model ({len(blob) / 1e6:.0f} MB) was not kept: this server keeps models up to "
                       f"{max_model_mb:g} MB.").strip()
            blob = None
        with self._writing() as connection:
            if blob is not None:  # the model and the end views count together against the quotas
                refusal = self._over_model_quota(connection, run_id, len(blob) + len(views or b""))
                if refusal:
                    message, blob = f"{message} {refusal}".strip(), None
            if views is not None and self._over_model_quota(connection, run_id, len(views)):
                views = None  # its page then shows what the run's figures alone show
                message = f"{message} Its test predictions and inside views were not kept either.".strip()
            meta = self._meta_for_update(connection, run_id)
            if history is not None:
                self._write_epochs(connection, run_id, history, 0, rewrite=True)
                meta.update(epochs_run=len(history), best=best_json(history, meta.get("task")),
                            seconds=float(sum(row.get("seconds", 0) for row in history)))
            if blob is not None:
                connection.execute(delete(models).where(models.c.run_id == run_id))
                connection.execute(insert(models).values(run_id=run_id, data=blob))
            if views is not None:
                connection.execute(delete(end_views).where(end_views.c.run_id == run_id))
                connection.execute(insert(end_views).values(run_id=run_id, data=views))
            meta.update(status=status.value, message=message, test=json_safe(test or {}),
                        verdict=json_safe(verdict or {}), updated=now())
            values = {"status": status.value, "updated": meta["updated"], "meta": _to_json(meta)}
            if blob is not None:
                values["has_model"] = True
            connection.execute(update(runs).where(*self._this(run_id)).values(**values))
        return message

    def models_bytes(self, connection: Connection | None = None, *, everyone: bool = False) -> int:
        """Bytes of the models and end views (a worker's runs keep both) kept in this workspace (`everyone`: in
        the whole database): what NNLAB_WORKSPACE_MODELS_MB and NNLAB_SERVER_MODELS_MB bound."""
        total = 0
        for table in (models, end_views):
            query = select(func.coalesce(func.sum(func.length(table.c.data)), 0))
            if not everyone:
                query = query.join(runs, runs.c.id == table.c.run_id).where(runs.c.workspace == self.workspace)
            if connection is not None:
                total += int(connection.execute(query).scalar())
            else:
                with self._reading() as reading:
                    total += int(reading.execute(query).scalar())
        return total

    def _over_model_quota(self, connection: Connection, run_id: str, size: int) -> str:
        """Why a model (and end views) of `size` bytes cannot be kept (a quota would be passed), or ""."""
        replaced = sum(connection.execute(select(func.coalesce(func.length(table.c.data), 0)).where(
            table.c.run_id == run_id)).scalar() or 0 for table in (models, end_views))
        settings = deployment.current()
        quotas = ((settings.workspace_models_mb, False, "your runs' models",
                   "delete runs whose models you no longer need on the Runs page"),
                  (settings.server_models_mb, True, "the models of everyone on this server",
                   "the server's keeper can make room (NNLAB_SERVER_MODELS_MB, or old runs deleted)"))
        for quota, everyone, whose, remedy in quotas:
            used = self.models_bytes(connection, everyone=everyone) - replaced
            if quota and used + size > quota * 1e6:
                return (f"The model ({size / 1e6:.3g} MB) was not kept: {whose} already take {used / 1e6:.3g} MB of "
                        f"the {quota:g} MB this server allows. Its figures and curves are kept; to keep models "
                        f"again, {remedy}.")
        return ""

    def mark_failed(self, run_id: str, message: str) -> bool:
        """Record that the run failed; True if it was recorded. Never raises: it is what a job calls
        when saving has already gone wrong."""
        return self.mark_ended(run_id, Status.FAILED, message)

    def mark_ended(self, run_id: str, status: Status, message: str) -> bool:
        """Record that the run ended with `status` (failed; interrupted, when the worker training it is
        gone), its epochs as saved; True if it was recorded. Never raises."""
        try:
            self._check_id(run_id)
            with self._writing() as connection:
                meta = self._meta_for_update(connection, run_id)
                meta.update(status=Status(status).value, message=str(message), updated=now())
                connection.execute(update(runs).where(*self._this(run_id)).values(
                    status=meta["status"], updated=meta["updated"], meta=_to_json(meta)))
            return True
        except (UserError, SQLAlchemyError) as error:
            log.warning("run %s: could not mark it %s: %s", run_id, status, error)
            return False

    # --- the user's actions -------------------------------------------------------------------

    def rename(self, run_id: str, label: str) -> None:
        self._check_id(run_id)
        with self._writing() as connection:
            done = connection.execute(update(runs).where(*self._this(run_id)).values(label=clean_label(label)))
        if done.rowcount != 1:
            raise UserError(f"run {run_id} no longer exists (deleted?)")

    def delete(self, run_id: str) -> None:
        """Delete a run (or a damaged entry the import reported); nothing if it is gone already."""
        with self._writing() as connection:
            connection.execute(delete(import_damage).where(import_damage.c.workspace == self.workspace,
                                                           import_damage.c.name == str(run_id)[:200]))
            if not RUN_ID.fullmatch(str(run_id)):
                return
            if connection.execute(select(runs.c.id).where(*self._this(run_id))).first() is None:
                return
            # Children first: SQLite enforces ON DELETE CASCADE only on connections that enabled it.
            connection.execute(delete(epochs).where(epochs.c.run_id == run_id))
            connection.execute(delete(models).where(models.c.run_id == run_id))
            connection.execute(delete(end_views).where(end_views.c.run_id == run_id))
            connection.execute(delete(runs).where(*self._this(run_id)))

    # --- reading ------------------------------------------------------------------------------

    def list(self) -> tuple[list[Run], list[DamagedRun]]:
        """All runs, newest first (without their histories), and the entries that could not be read,
        each with the reason. A run marked running whose heartbeat has stopped is shown as interrupted."""
        with self._reading() as connection:
            rows = connection.execute(
                select(runs.c.id, runs.c.updated, runs.c.status, runs.c.label, runs.c.heartbeat, runs.c.has_model,
                       runs.c.meta).where(runs.c.workspace == self.workspace).order_by(runs.c.created.desc())).all()
            reported = connection.execute(select(import_damage.c.name, import_damage.c.reason).where(
                import_damage.c.workspace == self.workspace).order_by(import_damage.c.name)).all()
        found, damaged = [], [DamagedRun(name, reason) for name, reason in reported]
        for row in rows:
            try:
                found.append(self._alive(_PARSED.run((self.url, row.id, row.updated, row.status, row.label,
                                                      row.has_model), lambda: _parse(row)), row.heartbeat))
            except Damage as error:
                damaged.append(DamagedRun(row.id, str(error)))
        return found, damaged

    def load(self, run_id: str) -> Run:
        """One run with its history as a DataFrame; a UserError if it is gone or unreadable."""
        self._check_id(run_id)
        with self._reading() as connection:
            row = connection.execute(
                select(runs.c.id, runs.c.updated, runs.c.status, runs.c.label, runs.c.heartbeat, runs.c.has_model,
                       runs.c.meta).where(*self._this(run_id))).first()
            if row is None:
                raise UserError(f"run {run_id} no longer exists (deleted?)")
            recorded = connection.execute(select(epochs.c.epoch, epochs.c.metrics).where(
                epochs.c.run_id == run_id).order_by(epochs.c.epoch)).all()
        try:
            run = self._alive(_parse(row), row.heartbeat)
        except Damage as error:
            raise UserError(f"run {run_id} cannot be read: {error}. Delete it on the Runs page.") from None
        run.history, run.layer_stats, problems = _history(recorded)
        run.problems = tuple(dict.fromkeys(run.problems + problems))
        return run

    def epochs_after(self, run_id: str, after: int) -> tuple[list[dict], list[dict]]:
        """The run's epochs numbered above `after`, as history rows (NaN where a figure is missing), and their
        layers' statistics: what a follower of a run trained elsewhere has not read yet, in one query."""
        self._check_id(run_id)
        with self._reading() as connection:
            recorded = connection.execute(select(epochs.c.epoch, epochs.c.metrics).join(
                runs, runs.c.id == epochs.c.run_id).where(*self._this(run_id), epochs.c.epoch > after).order_by(
                epochs.c.epoch)).all()
        frame, layer_stats, _ = _history(recorded)
        return [{**row, "epoch": int(row["epoch"])} for row in frame.to_dict("records")], layer_stats

    def has_model(self, run_id: str) -> bool:
        if not RUN_ID.fullmatch(str(run_id)):
            return False
        with self._reading() as connection:
            return bool(connection.execute(select(runs.c.has_model).where(*self._this(run_id))).scalar())

    def model_bytes(self, run_id: str) -> bytes | None:
        """The run's .keras model, if it was kept."""
        if not RUN_ID.fullmatch(str(run_id)):
            return None
        with self._reading() as connection:
            return connection.execute(select(models.c.data).join(runs, runs.c.id == models.c.run_id).where(
                *self._this(run_id))).scalar()

    def end_views(self, run_id: str) -> bytes | None:
        """The run's end views (training/end_views.py), if its trainer kept them (a worker does)."""
        if not RUN_ID.fullmatch(str(run_id)):
            return None
        with self._reading() as connection:
            return connection.execute(select(end_views.c.data).join(runs, runs.c.id == end_views.c.run_id).where(
                *self._this(run_id))).scalar()

    # --- the database -------------------------------------------------------------------------

    @contextmanager
    def _writing(self, *, new_id: bool = False) -> Iterator[Connection]:
        """A write transaction. An id taken already (`new_id`: the caller draws another) passes through;
        a run deleted meanwhile is "no longer exists"; a value the database refuses is named;
        anything else means the database cannot be used."""
        try:
            with database.writing(self.engine()) as connection:
                yield connection
        except IntegrityError as error:
            if new_id:
                raise
            raise UserError("the run no longer exists (deleted?)") from error
        except DataError as error:
            raise UserError(f"the database refused a value ({_first_line(error)}); shorten or change it") from None
        except (DBAPIError, SQLAlchemyTimeout) as error:
            raise database.unavailable(self.url, error) from None

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self.engine().connect() as connection:
                yield connection
        except (DBAPIError, SQLAlchemyTimeout) as error:
            raise database.unavailable(self.url, error) from None

    def engine(self):
        """The database's engine, the store brought up to date on first use in this process."""
        engine = database.engine(self.url)
        if self.url not in _MIGRATED:
            try:
                migrate(engine)
            except DBAPIError as error:
                raise database.unavailable(self.url, error) from None
            _MIGRATED.add(self.url)
        return engine

    def _this(self, run_id: str):
        return runs.c.id == run_id, runs.c.workspace == self.workspace

    def _meta_for_update(self, connection: Connection, run_id: str) -> dict:
        # FOR UPDATE (PostgreSQL): a delete waits for this write instead of cutting under it.
        found = connection.execute(select(runs.c.meta).where(*self._this(run_id)).with_for_update()).scalar()
        if found is None:
            raise UserError(f"run {run_id} no longer exists (deleted?)")
        try:
            meta = json.loads(found)
        except (ValueError, RecursionError):
            meta = None
        if not isinstance(meta, dict):
            raise UserError(f"run {run_id} cannot be updated: its record is damaged")
        return meta

    def _write_epochs(self, connection: Connection, run_id: str, history: list[dict], recorded: int, *,
                      rewrite: bool = False) -> None:
        """The history is appended to epoch by epoch: write the rows after the `recorded` ones (the run's
        epochs_run, kept in the same transaction as its rows), and drop recorded ones the history no
        longer has. `rewrite` writes them all again (at the end of a run, whose earlier rows may have
        changed: a restored best epoch is marked on its row)."""
        if rewrite or recorded > len(history):
            connection.execute(delete(epochs).where(epochs.c.run_id == run_id))
            recorded = 0
        new = [{"run_id": run_id, "epoch": int(row["epoch"]), "metrics": _to_json(row)} for row in history[recorded:]]
        if new:
            connection.execute(insert(epochs), new)

    def _alive(self, run: Run, heartbeat: float) -> Run:
        if run.status in LIVE and time.time() - heartbeat >= self.stale_seconds:
            run.status = Status.INTERRUPTED
            run.message = run.message or ("Its training stopped without finishing (the server restarted?); "
                                          "the completed epochs are kept.")
        return run

    def _check_id(self, run_id: str) -> None:
        # Ids come back from the browser: a clear message for anything that is not one.
        if not RUN_ID.fullmatch(str(run_id)):
            raise UserError(f"{str(run_id)[:60]!r} is not a run id (they look like 20260101-120000-a1b2c3)")


def _parse(row) -> Run:
    try:
        meta = json.loads(row.meta)
    except (ValueError, RecursionError):
        raise Damage("its record is not valid JSON") from None
    run = run_from_meta(row.id, meta, label=row.label, has_model=bool(row.has_model))
    run.status = Status(row.status) if row.status in set(Status) else run.status
    return run


def _history(recorded) -> tuple[pd.DataFrame, list[dict], tuple[str, ...]]:
    """The epochs as a table of numbers, and their layers' statistics (`Run.layer_stats`) apart."""
    rows, layer_stats, bad = [], [], 0
    for epoch, metrics in recorded:
        try:
            row = json.loads(metrics)
            layers = row.pop("layers", None) if isinstance(row, dict) else None
            rows.append({**{key: (math.nan if value is None else value) for key, value in row.items()}, "epoch": epoch})
        except (ValueError, RecursionError, AttributeError):
            bad += 1
            continue
        if isinstance(layers, list):  # anything else is not what nnlab writes: left out
            layer_stats += [{**stats, "epoch": epoch} for stats in layers
                            if isinstance(stats, dict) and isinstance(stats.get("layer"), str)]
    problems = (f"{bad} epoch(s) could not be read and were left out",) if bad else ()
    if not rows:
        return pd.DataFrame(), layer_stats, problems
    frame = pd.DataFrame(rows)
    frame = frame[["epoch", *[c for c in frame.columns if c != "epoch"]]]
    for column in frame.columns:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame["epoch"] = frame["epoch"].astype(int)
    return frame, layer_stats, problems


def _model_bytes(model) -> bytes:
    """Keras saves to a path ending in .keras: save to a temporary file, read it back."""
    handle, path = tempfile.mkstemp(suffix=".keras")
    os.close(handle)
    try:
        model.save(path)
        with open(path, "rb") as saved:
            return saved.read()
    finally:
        os.unlink(path)


def clean_label(label: str) -> str:
    """A run's name as kept: printable characters only (PostgreSQL refuses NUL), at most 120."""
    return "".join(c for c in str(label) if c.isprintable()).strip()[:120]


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _first_line(error: Exception) -> str:
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]


def _to_json(data: dict) -> str:
    return json.dumps(json_safe(data), allow_nan=False)
