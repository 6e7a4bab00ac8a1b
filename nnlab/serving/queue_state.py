"""What the queue in PostgreSQL says about a piece of work (issue 25): its job's status, its place in
line, whether any worker is running — read from procrastinate's tables with one short query each
(a place: 0.07 ms of execution, measured), in procrastinate's own order (priority, then arrival)."""
from __future__ import annotations

import json
import time

from sqlalchemy import Connection, text

from nnlab.core.status import FINISHED
from nnlab.store import workers
from nnlab.store.runs import RunStore

ENDED = ("succeeded", "failed", "cancelled", "aborted")  # a job in one of these will not train again

_PLACE = text("""
SELECT count(*) + 1 FROM procrastinate_jobs other, procrastinate_jobs me
 WHERE me.id = :id AND other.status = 'todo' AND other.queue_name = me.queue_name
   AND (other.priority > me.priority OR (other.priority = me.priority AND other.id < me.id))""")


def busy_job(connection: Connection, lock: str) -> int | None:
    """The job of this lock (a visitor's) queued or training, if any: in the caller's transaction. A job
    whose work the worker has already told ended (stopped, completed…) is not: it is still `doing` while
    the worker saves and returns, and a visitor who pressed Stop may start the next run at once (the queue's
    lock lets it begin once the last one has returned)."""
    rows = connection.execute(text("SELECT j.id, l.state FROM procrastinate_jobs j LEFT JOIN nnlab_live l ON l.job_id = j.id "
                                   "WHERE j.lock = :lock AND j.status IN ('todo', 'doing')"), {"lock": lock})
    for job_id, state in rows:
        if json.loads(state or "{}").get("status") not in FINISHED:
            return job_id
    return None


def job_status(url: str, job_id: int) -> str | None:
    """todo, doing, succeeded, failed, cancelled, aborted (procrastinate's), or None for no such job."""
    with RunStore(url).engine().connect() as connection:
        return connection.execute(text("SELECT status FROM procrastinate_jobs WHERE id = :id"),
                                  {"id": job_id}).scalar()


def place(url: str, job_id: int) -> int | None:
    """1 = the next job a worker takes; None once it is no longer waiting."""
    with RunStore(url).engine().connect() as connection:
        status = connection.execute(text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}).scalar()
        return int(connection.execute(_PLACE, {"id": job_id}).scalar()) if status == "todo" else None


def started_count(url: str, job_id: int) -> int:
    """How many times a worker began this job (never more than once: nnlab never retries)."""
    with RunStore(url).engine().connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM procrastinate_events WHERE job_id = :id AND "
                                           "type = 'started'"), {"id": job_id}).scalar())


RECENT_JOBS = 20  # finished jobs averaged into the typical time a job holds a worker's slot

_TYPICAL = text("""
SELECT avg(extract(epoch FROM ended.at - started.at)) FROM (
  SELECT id FROM procrastinate_jobs WHERE queue_name = :queue AND status IN ('succeeded', 'failed', 'aborted')
   ORDER BY id DESC LIMIT :recent) last
  JOIN procrastinate_events started ON started.job_id = last.id AND started.type = 'started'
  JOIN procrastinate_events ended ON ended.job_id = last.id AND ended.type IN ('succeeded', 'failed', 'aborted')""")


def wait_estimate(url: str, job_id: int) -> float | None:
    """Seconds until a worker should take this job, by the web queue's rule (serving/scheduler.wait_estimate)
    with the queue's data: the live workers' slots, the running works' times left (their workers' word),
    the typical hold of the last RECENT_JOBS finished jobs. None once it is not waiting, with no worker
    running, or before anything has finished."""
    from nnlab.serving.scheduler import wait_estimate as estimate

    ahead = place(url, job_id)
    slots = workers.slots(url)
    if ahead is None or slots == 0:
        return None
    with RunStore(url).engine().connect() as connection:
        queue = connection.execute(text("SELECT queue_name FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}).scalar()
        typical = connection.execute(_TYPICAL, {"queue": queue, "recent": RECENT_JOBS}).scalar()
        states = connection.execute(text(
            "SELECT live.state FROM procrastinate_jobs job LEFT JOIN nnlab_live live ON live.job_id = job.id "
            "WHERE job.queue_name = :queue AND job.status = 'doing'"), {"queue": queue}).scalars().all()
    remaining = [json.loads(state).get("eta") if state else None for state in states]
    return estimate(slots, remaining, ahead - 1, float(typical) if typical is not None else None)


def unwatched_in_line(url: str, abandon_seconds: float) -> list[tuple[str, int]]:
    """(work key, job id) of the works waiting in line that nobody has followed for `abandon_seconds`
    (the page was closed): they leave the line instead of training for nobody."""
    with RunStore(url).engine().connect() as connection:
        rows = connection.execute(text(
            "SELECT live.work_key, live.job_id FROM nnlab_live live JOIN procrastinate_jobs job ON job.id = live.job_id "
            "WHERE job.status = 'todo' AND live.watched < :before"), {"before": time.time() - abandon_seconds}).all()
    return [(row.work_key, row.job_id) for row in rows]


def workers_alive(url: str) -> int:
    """The slots of the workers running now (0: nobody will take a job)."""
    return workers.slots(url)


NO_WORKER = ("No worker is running on this deployment: the run waits in line until one starts "
             "(`python -m nnlab worker` on a machine that reaches the database). To train in the web process "
             "instead, set NNLAB_TRAINING=in-process.")
NO_LAST_WORD = ("Its worker ended it without a last word (it lost the database, or was killed); the epochs it "
                "saved are kept. Train again to continue.")
