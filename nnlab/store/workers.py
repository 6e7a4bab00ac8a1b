"""The worker processes that train work from the queue (issue 25), as the pages count them: each beats
its row while it lives, and says how many pieces of work it trains at once, which procrastinate's own
table of workers does not hold. The slots of a deployment are the sum over the rows beating lately."""
from __future__ import annotations

import time

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from nnlab.store import database
from nnlab.store.runs import RunStore
from nnlab.store.schema import workers

BEAT_SECONDS = 2.0  # a worker beats this often
ALIVE_SECONDS = 6.0  # a row with no beat for this long is a worker that is gone (3 beats missed)


def register(url: str, name: str, concurrency: int) -> None:
    now = time.time()
    engine = RunStore(url).engine()
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    with database.writing(engine) as connection:
        connection.execute(dialect.insert(workers).values(name=name, concurrency=concurrency, started=now, beat=now)
                           .on_conflict_do_update(index_elements=["name"],
                                                  set_={"concurrency": concurrency, "started": now, "beat": now}))


def beat(url: str, name: str) -> None:
    with database.writing(RunStore(url).engine()) as connection:
        connection.execute(update(workers).where(workers.c.name == name).values(beat=time.time()))


def unregister(url: str, name: str) -> None:
    with database.writing(RunStore(url).engine()) as connection:
        connection.execute(delete(workers).where(workers.c.name == name))


def slots(url: str) -> int:
    """The pieces of work the live workers train at once, all together (0: no worker is running)."""
    with RunStore(url).engine().connect() as connection:
        return int(connection.execute(select(func.coalesce(func.sum(workers.c.concurrency), 0))
                                      .where(workers.c.beat > time.time() - ALIVE_SECONDS)).scalar())


def alive(url: str) -> list[str]:
    """The names of the live workers."""
    with RunStore(url).engine().connect() as connection:
        return list(connection.execute(select(workers.c.name).where(workers.c.beat > time.time() - ALIVE_SECONDS)
                                       .order_by(workers.c.name)).scalars())
