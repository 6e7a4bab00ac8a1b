"""CSV files kept in the database for the workers (issue 25).

A run on an uploaded CSV file trains on a worker, which cannot read the web server's disk: the web server puts
the file's bytes here as it queues the run (`keep`), named as an upload is, by the start of their SHA-256 (the
same file is kept once), and the worker copies them to a folder of its own (`local_copy`), checked against
that name. A work spec names the file by that id only: a worker never reads a path a job names.

Bounded: each file by the CSV loader's limit (data/csv_files.MAX_BYTES), all of them together by
NNLAB_SERVER_UPLOAD_QUOTA_MB (the least lately queued go first), and a file nobody queued for NNLAB_UPLOAD_DAYS
goes; the worker's copies by LOCAL_BYTES.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from nnlab.core import deployment
from nnlab.core.atomic_file import write_atomic
from nnlab.core.errors import DataError, UserError
from nnlab.data.csv_files import MAX_BYTES
from nnlab.data.uploads import content_id as file_id, is_id
from nnlab.store.database import writing
from nnlab.store.runs import RunStore
from nnlab.store.schema import csv_files

LOCAL_BYTES = 500_000_000  # a worker's copies: the least lately used go beyond this


def keep(url: str, data: bytes) -> str:
    """Keep `data` (a CSV file's bytes) for the workers; its id. Older files go to stay within the server's
    quota; a UserError if this one alone does not fit."""
    if not data or len(data) > MAX_BYTES:
        raise UserError(f"a CSV file for the workers must hold 1 byte to {MAX_BYTES // 2**20} MB")
    settings = deployment.current()
    quota, found = settings.server_upload_quota_bytes, file_id(data)
    if len(data) > quota:
        raise UserError("this CSV file is larger than this server keeps for its workers (NNLAB_SERVER_UPLOAD_QUOTA_MB)")
    now = time.time()
    with writing(RunStore(url).engine()) as connection:
        connection.execute(delete(csv_files).where(csv_files.c.used < now - settings.upload_keep_seconds))
        if connection.execute(update(csv_files).where(csv_files.c.id == found).values(used=now)).rowcount == 0:
            connection.execute(insert(csv_files).values(id=found, data=data, size=len(data), used=now))
        total = connection.execute(select(func.coalesce(func.sum(csv_files.c.size), 0))).scalar()
        for oldest, size in connection.execute(select(csv_files.c.id, csv_files.c.size).where(csv_files.c.id != found)
                                               .order_by(csv_files.c.used)).all():
            if total <= quota:
                break
            connection.execute(delete(csv_files).where(csv_files.c.id == oldest))
            total -= size
    return found


def fetch(url: str, wanted: str) -> bytes | None:
    """The bytes kept under `wanted`, or None (never kept, or gone since)."""
    if not is_id(wanted):
        return None
    with RunStore(url).engine().connect() as connection:
        return connection.execute(select(csv_files.c.data).where(csv_files.c.id == wanted)).scalar()


def local_copy(url: str, wanted: str, folder: Path | None = None) -> Path:
    """A worker's copy of the file kept under `wanted` (made once, checked against its id); a DataError saying
    what to do when the database no longer holds it."""
    if not is_id(wanted):
        raise DataError("this run names no CSV file a worker can read: train it again")
    folder = Path(folder or Path(tempfile.gettempdir()) / "nnlab-worker-csv")
    path = folder / f"{wanted}.csv"
    if path.is_file():
        os.utime(path)
        return path
    data = fetch(url, wanted)
    if data is None or file_id(data) != wanted:
        raise DataError("its CSV file is no longer kept for the workers (files not used for a while, or beyond the "
                        "server's quota, are removed): upload it again and train again")
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    _trim(folder, keep=path)
    return path


def _trim(folder: Path, keep: Path) -> None:
    """The worker's copies within LOCAL_BYTES, the least lately used going first."""
    try:
        copies = sorted(folder.glob("*.csv"), key=lambda path: path.stat().st_mtime, reverse=True)
        total = 0
        for path in copies:
            total += path.stat().st_size
            if total > LOCAL_BYTES and path != keep:
                path.unlink(missing_ok=True)
    except OSError:  # a copy removed meanwhile: the next trim sees the folder as it is
        pass
