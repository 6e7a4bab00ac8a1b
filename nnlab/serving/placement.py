"""Where a page's training happens (issue 25): in this web process (the fair queue of its slots,
serving/scheduler.py) or on the workers fed by the queue in PostgreSQL (serving/remote_work.py).

`NNLAB_TRAINING=workers` sends Train's runs to the workers. `auto` keeps them in the web process for now,
with PostgreSQL too: races, sweeps, searches and the finder do not go to workers yet, and an upgraded
PostgreSQL deployment must not start waiting for workers it does not have. `in-process` keeps them here.
"""
from __future__ import annotations

from nnlab.core import deployment
from nnlab.core.errors import UserError
from nnlab.store import database


def runs_on_workers(url: str) -> bool:
    """Whether a page's run goes to the workers; a UserError for workers asked of an SQLite database."""
    if deployment.current().training != "workers":
        return False
    if database.is_sqlite(url):
        raise UserError("NNLAB_TRAINING=workers needs a PostgreSQL database (NNLAB_DATABASE_URL) that the "
                        "workers share; with the embedded SQLite file, unset NNLAB_TRAINING to train here.")
    return True
