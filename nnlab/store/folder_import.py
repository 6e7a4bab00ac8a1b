"""Runs an older nnlab kept as folders of files (`<runs dir>/shared/<run id>/run.json`, history.csv,
label.json, model.keras; `<runs dir>/workspaces/<name>/…` for private workspaces), brought into the
database the first time their workspace's store is opened. The folders are left as they are (nothing
is lost); a folder that cannot be read is reported on the Runs page, with the reason, until deleted.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from nnlab.core import deployment
from nnlab.store import database
from nnlab.core.jsonsafe import json_safe
from nnlab.store.files import HISTORY_FILE, MODEL_FILE, RUN_FILE, Damage, parse_json, read_history
from nnlab.store.record import now, read_run
from nnlab.store.schema import epochs, import_damage, imports, models, runs
from nnlab.store.runs import RUN_ID, SHARED, RunStore, clean_label
from nnlab.core.status import Status

log = logging.getLogger(__name__)

_DONE: set[tuple[str, str]] = set()  # (database, folder) this process has imported or found imported
_LOCK = threading.Lock()


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0  # already in the database (imported by another process, or a copy)
    damaged: list[tuple[str, str]] = field(default_factory=list)  # (folder name, reason)


def old_folder(runs_dir: Path, workspace: str) -> Path:
    """Where an older nnlab kept a workspace's runs."""
    return runs_dir / "shared" if workspace == SHARED else runs_dir / "workspaces" / workspace


def import_once(store: RunStore, folder: Path) -> ImportReport | None:
    """Import `folder` into `store` unless it was imported before (by any process); None then."""
    if not folder.is_dir():  # most workspaces never had files: a stat, and nothing remembered for them
        return None
    key = (store.url, str(folder.resolve()))
    if key in _DONE:  # every page of a visitor who had: no lock
        return None
    with _LOCK:
        if key in _DONE:
            return None
        engine = store.engine()
        with database.writing(engine) as connection:
            if connection.execute(select(imports.c.folder).where(imports.c.folder == key[1])).first():
                _DONE.add(key)
                return None
            report = _import(connection, store.workspace, folder)
            connection.execute(insert(imports).values(folder=key[1], imported=now(), runs=report.imported))
        _DONE.add(key)
    log.info("imported %d runs from %s (%d damaged, %d already there)", report.imported, folder,
             len(report.damaged), report.skipped)
    return report


def _import(connection, workspace: str, folder: Path) -> ImportReport:
    report = ImportReport()
    known = set(connection.execute(select(runs.c.id)).scalars())
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue  # drafts, trash, a workspace's uploads
        try:
            with connection.begin_nested():  # one folder's rows all or none: a refused value spoils only its own
                imported = _import_run(connection, workspace, Path(entry.path), known)
        except Damage as damage:
            _report(connection, workspace, entry.name, str(damage), report)
            continue
        except OSError as error:
            _report(connection, workspace, entry.name, f"cannot be read ({error.strerror or error})", report)
            continue
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
            _report(connection, workspace, entry.name, f"the database refused it ({reason})", report)
            continue
        if imported:
            report.imported += 1
        else:
            report.skipped += 1
    return report


def _import_run(connection, workspace: str, path: Path, known: set[str]) -> bool:
    """One old run folder into the database; False if its id is there already."""
    if not RUN_ID.fullmatch(path.name):
        raise Damage("not an nnlab run: its name is not a run id (like 20260101-120000-a1b2c3)")
    run = read_run(path, has_history=(path / HISTORY_FILE).is_file(), has_model=(path / MODEL_FILE).is_file())
    if run.id in known:
        return False
    meta = parse_json(path / RUN_FILE)
    history, problems = read_history(path / HISTORY_FILE)
    model = _model(path / MODEL_FILE)
    status = Status.INTERRUPTED if run.status in (Status.QUEUED, Status.RUNNING) else run.status
    meta = {**meta, "extra": meta.get("extra") or {}, "epochs_run": len(history), "status": status.value}
    if problems:
        meta["message"] = " ".join([str(meta.get("message") or ""), *problems]).strip()
    connection.execute(insert(runs).values(
        id=run.id, workspace=workspace, created=run.created, updated=run.updated or run.created,
        status=status.value, label=clean_label(run.label), heartbeat=0.0, has_model=model is not None,
        meta=json.dumps(json_safe(meta), allow_nan=False)))
    rows = history.to_dict("records")
    if rows:
        connection.execute(insert(epochs), [{"run_id": run.id, "epoch": int(row["epoch"]),
                                             "metrics": json.dumps(json_safe(row), allow_nan=False)} for row in rows])
    if model is not None:
        connection.execute(insert(models).values(run_id=run.id, data=model))
    known.add(run.id)
    return True


def _report(connection, workspace: str, name: str, reason: str, report: ImportReport) -> None:
    report.damaged.append((name, reason))
    with connection.begin_nested():
        connection.execute(delete(import_damage).where(import_damage.c.workspace == workspace,
                                                       import_damage.c.name == name[:200]))
        connection.execute(insert(import_damage).values(workspace=workspace, name=name[:200],
                                                        reason=f"not imported: {reason}"))


def _model(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > deployment.current().max_model_mb * 1e6:
            return None
        return path.read_bytes()
    except OSError:
        return None

