"""What a piece of work trained in another process shows besides its runs' epochs (issue 25): which
worker trains it, its run, its status and message, the epoch in progress, the pause, the warnings.

One row per work (`nnlab_live`), made by whoever queues the work (`open_work`, in the same transaction
as the job itself), then written by the worker (`write`: at most every `WRITE_SECONDS` while it trains,
and at once on what changes the page: a status, a pause, the end) and read by whoever follows it
(`read`). The follower's touches go into `watched`: a worker stops work nobody follows as abandoned,
by the same rule as in the web process (serving/slot_work.py).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, insert, select, text, update

from nnlab.store import database
from nnlab.store.runs import RunStore
from nnlab.store.schema import live, live_views

WRITE_SECONDS = 0.25  # the worker writes the row at most this often while nothing important changes
CHANNEL = "nnlab_runs"  # pg_notify's channel, with the work's key, at each write


@dataclass(frozen=True)
class LiveState:
    work_key: str
    owner: str
    job_id: int | None
    watched: float
    version: int
    worker: str
    run_id: str | None
    state: dict = field(default_factory=dict)  # status, message, progress, paused, holding, steps_taken, …
    updated: float = 0.0


def open_work(connection: Connection, work_key: str, owner: str) -> None:
    """The row of a work about to be queued, in the caller's transaction (with its job)."""
    now = time.time()
    connection.execute(insert(live).values(work_key=work_key, owner=owner, created=now, watched=now, version=0,
                                           worker="", state=json.dumps({"status": "queued"}), updated=now))


def set_job(connection: Connection, work_key: str, job_id: int) -> None:
    connection.execute(update(live).where(live.c.work_key == work_key).values(job_id=job_id))


def write(url: str, work_key: str, *, worker: str, run_id: str | None, state: dict) -> None:
    """The worker's news of the work (its version grows), announced on PostgreSQL."""
    with database.writing(_engine(url)) as connection:
        connection.execute(update(live).where(live.c.work_key == work_key).values(
            worker=worker, run_id=run_id, state=json.dumps(state), version=live.c.version + 1, updated=time.time()))
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_notify(:channel, :key)"), {"channel": CHANNEL, "key": work_key})


def touch(url: str, work_key: str) -> None:
    """Someone still follows the work (a page's poll, the CLI)."""
    with database.writing(_engine(url)) as connection:
        connection.execute(update(live).where(live.c.work_key == work_key).values(watched=time.time()))


def read(url: str, work_key: str) -> LiveState | None:
    with _engine(url).connect() as connection:
        row = connection.execute(select(live).where(live.c.work_key == work_key)).first()
    return from_row(row) if row is not None else None


def read_with_job(url: str, work_key: str) -> tuple[LiveState | None, str | None]:
    """The work's row and its queue job's status (procrastinate's: todo, doing, succeeded…; PostgreSQL only), in one
    query: a follower's one read per look."""
    job = text("procrastinate_jobs")
    with _engine(url).connect() as connection:
        row = connection.execute(select(live, text("procrastinate_jobs.status AS job_status")).select_from(
            live.outerjoin(job, text("procrastinate_jobs.id = nnlab_live.job_id"))).where(
            live.c.work_key == work_key)).first()
    return (from_row(row), row.job_status) if row is not None else (None, None)


def from_row(row) -> LiveState:
    """A row of `live` (with any further columns a caller joined) as a LiveState."""
    return LiveState(row.work_key, row.owner, row.job_id, row.watched, row.version, row.worker, row.run_id,
                     json.loads(row.state or "{}"), row.updated)


def write_views(url: str, work_key: str, member: int, version: int, data: bytes) -> None:
    """A run's inside views as its worker sends them (training/end_views.encode), in the place of the last sent: one
    row a run, deleted with its work's live row."""
    with database.writing(_engine(url)) as connection:
        connection.execute(delete(live_views).where(live_views.c.work_key == work_key, live_views.c.member == member))
        connection.execute(insert(live_views).values(work_key=work_key, member=member, version=version, data=data))


def read_views(url: str, work_key: str, member: int) -> tuple[int, bytes] | None:
    """(version, bytes) of the views last sent for that run, or None."""
    with _engine(url).connect() as connection:
        row = connection.execute(select(live_views.c.version, live_views.c.data).where(
            live_views.c.work_key == work_key, live_views.c.member == member)).first()
    return (int(row.version), bytes(row.data)) if row is not None else None


def prune(url: str, older_than_seconds: float) -> int:
    """Forget the works (their live rows, requests and views) nobody has written or followed for this long; how many."""
    from nnlab.store.schema import controls

    before = time.time() - older_than_seconds
    with database.writing(_engine(url)) as connection:
        keys = select(live.c.work_key).where(live.c.updated < before, live.c.watched < before)
        connection.execute(delete(controls).where(controls.c.work_key.in_(keys)))
        connection.execute(delete(live_views).where(live_views.c.work_key.in_(keys)))
        return connection.execute(delete(live).where(live.c.updated < before, live.c.watched < before)).rowcount


def of_jobs(url: str, job_ids: list[int]) -> list[LiveState]:
    """The works of these queue jobs (the stalled-job sweep: which runs a dead worker left)."""
    if not job_ids:
        return []
    with _engine(url).connect() as connection:
        rows = connection.execute(select(live.c.work_key).where(live.c.job_id.in_(job_ids))).scalars().all()
    return [found for key in rows if (found := read(url, key)) is not None]


def _engine(url: str):
    return RunStore(url).engine()  # brought up to date on first use in this process
