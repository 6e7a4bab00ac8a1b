"""`python -m nnlab worker [--database URL] [--concurrency N] [--name NAME]`: a worker process that
trains the work web servers (and `train --queue`) hand to the queue in PostgreSQL (serving/worker.py).
Start any number, on any machine that reaches the database; Ctrl-C or SIGTERM stops one, its running
work kept as interrupted."""
from __future__ import annotations

import argparse
import logging

from nnlab.core.errors import UserError
from nnlab.store import database


def add_parser(commands) -> None:
    worker = commands.add_parser("worker", help="train the work queued in the class's PostgreSQL database")
    worker.add_argument("--database", metavar="URL", default=None,
                        help="the PostgreSQL database the web servers use (default: NNLAB_DATABASE_URL, "
                             "then .streamlit/secrets.toml)")
    worker.add_argument("--concurrency", type=int, default=1, metavar="N",
                        help="pieces of work trained at once in this process (default 1: one per core is right, "
                             "and one process per core holds the same)")
    worker.add_argument("--name", default=None, help="the name pages show for this worker (default: host:pid)")


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.concurrency <= 64:
        raise UserError(f"--concurrency must be a whole number from 1 to 64, got {args.concurrency}")
    if args.name is not None and not (0 < len(args.name.strip()) <= 100):
        raise UserError("--name must be 1 to 100 characters")
    url = database.database_url(args.database)
    if database.is_sqlite(url):
        raise UserError("workers need the PostgreSQL database the web servers use (an SQLite file is one "
                        "computer's): give --database postgresql://user:password@host/name or NNLAB_DATABASE_URL")
    from nnlab.store.runs import RunStore
    from nnlab.serving.worker import Worker

    RunStore(url).engine()  # an unusable database: one line now, before TensorFlow loads
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    return Worker(url, concurrency=args.concurrency, name=args.name and args.name.strip()).run()
