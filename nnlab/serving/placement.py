"""Where a page's training happens (issue 25): in this web process (the fair queue of its slots,
serving/scheduler.py) or on the workers fed by the queue in PostgreSQL (serving/remote_work.py).

With PostgreSQL (`NNLAB_TRAINING=auto`, the default, or `workers`) the pages' training goes to the workers:
Train's run or group of seeds, a race, a sweep, the learning-rate finder, a search (each ONE work, its runs on
one worker slot as here). With the embedded SQLite file (`auto`), or with `in-process` (a single PostgreSQL
server training itself), it stays in this process, as before the workers; `workers` with SQLite is refused.
Universal approximation's fit stays here: a lesson's seconds-long fit drawn at every epoch.
"""
from __future__ import annotations

from nnlab.core import deployment
from nnlab.core.errors import UserError
from nnlab.serving.jobs import RaceJob, SweepJob
from nnlab.serving.remote_work import RemoteTrainingJob, start_group
from nnlab.serving.search_job import SearchJob
from nnlab.serving.slot_work import SlotWork
from nnlab.store import database

MIXED = ("Some of these runs would train here and others on the workers: race them separately, or all in one place "
         "(NNLAB_TRAINING).")


def runs_on_workers(url: str) -> bool:
    """Whether a page's run goes to the workers: with PostgreSQL unless NNLAB_TRAINING=in-process; a UserError
    for workers asked of an SQLite database."""
    training = deployment.current().training
    if training == "in-process":
        return False
    if database.is_sqlite(url):
        if training == "workers":
            raise UserError("NNLAB_TRAINING=workers needs a PostgreSQL database (NNLAB_DATABASE_URL) that the "
                            "workers share; with the embedded SQLite file, unset NNLAB_TRAINING to train here.")
        return False
    return True


def start(work: SlotWork) -> SlotWork:
    """Start `work` where its runs were made to train (serving/remote_work.RemoteTrainingJob: on the workers): a
    race's or sweep's runs as one work on the workers, else as `work.start()`. A UserError if refused."""
    if isinstance(work, (RaceJob, SweepJob)) and not isinstance(work, SearchJob):  # a search picks its own runs
        remote = [isinstance(job, RemoteTrainingJob) for job in work.jobs]
        if all(remote):
            return start_group(work)
        if any(remote):
            raise UserError(MIXED)
    return work.start()
