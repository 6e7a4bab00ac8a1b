"""The job queue in the class's PostgreSQL (issue 25): procrastinate's `App`, its one task
`nnlab.train_work` and the settings nnlab's workers run with.

Imported only where training goes to workers (serving/worker.py, serving/remote_work.py): with SQLite
nothing of procrastinate is loaded. A web server or the CLI defers through its own SQLAlchemy
connection, in its own transaction (`connection=`), so it opens no pool of procrastinate's; a worker
opens the app (one small pool) and runs it. The measurements behind each setting are in
/work/notes/issue25-design.md.
"""
from __future__ import annotations

from collections.abc import Callable

import procrastinate
from sqlalchemy.engine import make_url

QUEUE = "training"
TASK = "nnlab.train_work"
VISITOR_LOCK = "visitor:"  # + the visitor: procrastinate's `lock`, so one visitor's works never train at once

WORKER_OPTIONS = dict(
    queues=[QUEUE],
    update_heartbeat_interval=2,  # a killed worker's job is found in seconds, not the default 30–40
    stalled_worker_timeout=10,
    fetch_job_polling_interval=1,  # LISTEN is not restored after a lost connection: the poll is the fallback
    abort_job_polling_interval=5,  # nnlab's controls do not use abort; only a shutdown does
    shutdown_graceful_timeout=10,  # SIGTERM: running work is stopped as interrupted within this, its epochs kept
    delete_jobs="never",  # finished jobs' events feed the queue's estimate (pruned by age instead)
    listen_notify=True,
    install_signal_handlers=False,  # the worker's own (serving/worker.py): a stop is told from a lost database
)
STALLED_SECONDS = 10  # a job whose worker has not beaten for this long is stalled (the worker is gone)


def conninfo(url: str) -> str:
    """libpq's form of a SQLAlchemy URL (psycopg takes `postgresql://…`, not `postgresql+psycopg://…`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(url: str | None = None, run: Callable | None = None) -> procrastinate.App:
    """The App for `url` (a worker's; None for one that only defers through a connection of its own),
    with `run(context, spec)` as the body of `nnlab.train_work` (a worker's; the others never run it)."""
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=4) if url else \
        procrastinate.PsycopgConnector()
    app = procrastinate.App(connector=connector)

    def train_work(context: procrastinate.JobContext, spec: dict) -> None:
        if run is None:
            raise RuntimeError("this process defers work; it does not train it")
        run(context, spec)

    app.task(name=TASK, queue=QUEUE, pass_context=True)(train_work)
    return app
