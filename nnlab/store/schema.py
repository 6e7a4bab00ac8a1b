"""The run store's tables, and the migrations that bring any older store up to this version.

Versioned by a one-row table (`nnlab_schema`) and a list of numbered steps, rather than Alembic: the
schema is a few tables, a step is a few lines, and every process that opens a store can bring it up to
date itself (under a lock, so two servers starting at once migrate it once). Table names start with
`nnlab_`, so Optuna's tables (its studies live in the same database) never collide with them.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (Boolean, Column, Connection, Engine, Float, ForeignKey, Index, Integer, LargeBinary, MetaData,
                        String, Table, Text, UniqueConstraint, inspect, select, text)

from nnlab.store.database import StoreUnavailable, writing

metadata = MetaData()

schema_version = Table("nnlab_schema", metadata, Column("version", Integer, nullable=False))

runs = Table(
    "nnlab_runs", metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace", String(64), nullable=False),
    Column("created", String(40), nullable=False),  # ISO time in UTC: sorts as text
    Column("updated", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("label", String(200), nullable=False, default=""),
    Column("heartbeat", Float, nullable=False),  # Unix time of the trainer's last sign of life
    Column("has_model", Boolean, nullable=False, default=False),
    Column("meta", Text, nullable=False),  # JSON: settings, test figures, verdict, message, timing, best epoch
    Index("nnlab_runs_by_workspace", "workspace", "created"),
)

epochs = Table(
    "nnlab_epochs", metadata,
    Column("run_id", String(40), ForeignKey("nnlab_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("epoch", Integer, primary_key=True),
    Column("metrics", Text, nullable=False),  # JSON object of the epoch's figures
)

models = Table(
    "nnlab_models", metadata,
    Column("run_id", String(40), ForeignKey("nnlab_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("data", LargeBinary, nullable=False),  # the .keras file's bytes: survives a restart of the app
)

end_views = Table(  # what a page shows of a run's end without its model: predictions, inside views (training/end_views.py)
    "nnlab_end_views", metadata,
    Column("run_id", String(40), ForeignKey("nnlab_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("data", LargeBinary, nullable=False),  # at most end_views.MOST_BYTES
)

csv_files = Table(  # CSV files a worker reads instead of the web server's disk (store/csv_files.py)
    "nnlab_csv_files", metadata,
    Column("id", String(16), primary_key=True),  # the start of the bytes' SHA-256, as an upload's id
    Column("data", LargeBinary, nullable=False),  # at most data/csv_files.MAX_BYTES
    Column("size", Integer, nullable=False),
    Column("used", Float, nullable=False),  # Unix time it was last queued: the oldest go first
)

# Run folders an old nnlab left that could not be imported, shown on the Runs page until deleted.
import_damage = Table(
    "nnlab_import_damage", metadata,
    Column("workspace", String(64), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("reason", Text, nullable=False),
)

imports = Table(  # which old runs folders were imported, so it happens once
    "nnlab_imports", metadata,
    Column("folder", String(500), primary_key=True),
    Column("imported", String(40), nullable=False),
    Column("runs", Integer, nullable=False),
)


# On a deployment a visitor is their browser's cookie (nnlab/store/visitors.py). A browser that entered a
# transfer code shows another device's workspace: this maps it there. Keyed by the cookie's hash, so
# the database never holds the bearer secret itself.
visitors = Table(
    "nnlab_visitors", metadata,
    Column("visitor", String(64), primary_key=True),  # sha256 of the visitor cookie, hex
    Column("workspace", String(64), nullable=False),
    Column("since", String(40), nullable=False),
)

transfer_codes = Table(  # one-time codes that move a workspace to another device, until they expire
    "nnlab_transfer_codes", metadata,
    Column("code", String(64), primary_key=True),  # sha256 of the code, hex
    Column("workspace", String(64), nullable=False, unique=True),  # one live code per workspace
    Column("expires", Float, nullable=False),  # Unix time
)


# A class (nnlab/store/classes.py): a teacher's lesson and its board. The teacher's key is kept as its hash only;
# the id is the student link's. `owner` (the creating visitor's workspace) bounds classes per teacher and is
# never shown.
classes = Table(
    "nnlab_classes", metadata,
    Column("id", String(24), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("lesson", Text, nullable=False),  # a teacher link's query (settings, lock=, hide=), or ""
    Column("key_hash", String(64), nullable=False),  # sha256 of the teacher's key, hex
    Column("owner", String(64), nullable=False),
    Column("created", String(40), nullable=False),
    Column("closed", String(40), nullable=True),  # when the teacher closed it to new runs (ISO time, UTC)
)

class_members = Table(  # a student: one display name per workspace and class, each name once per class
    "nnlab_class_members", metadata,
    Column("class_id", String(24), ForeignKey("nnlab_classes.id", ondelete="CASCADE"), primary_key=True),
    Column("workspace", String(64), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("name_key", String(120), nullable=False),  # the name folded (case, width, spaces): "Ann", "ann ", "Ａｎｎ" are one
    Column("joined", String(40), nullable=False),
    UniqueConstraint("class_id", "name_key", name="nnlab_class_member_names"),
)

class_entries = Table(  # a run's place on a board when it is not the default (shared, shown)
    "nnlab_class_entries", metadata,
    Column("class_id", String(24), ForeignKey("nnlab_classes.id", ondelete="CASCADE"), primary_key=True),
    Column("run_id", String(40), primary_key=True),
    Column("unshared", Boolean, nullable=True),  # the student's "share with the class" unticked (None: their run's own tag)
    Column("hidden", Boolean, nullable=False, default=False),  # the teacher hid it (can show it again)
    Column("removed", Boolean, nullable=False, default=False),  # the teacher removed it for good
)


# Training on workers (issue 25; serving/worker.py): what flows between a web server (or the CLI) and the
# worker process that trains its work, besides the runs' own rows. Tiny, made on every database; with SQLite
# (training in the web process) they stay empty.
controls = Table(  # the requests that flow back into a running piece of work: one row per request (store/controls.py)
    "nnlab_controls", metadata,
    Column("work_key", String(40), primary_key=True),
    Column("serial", Integer, primary_key=True),  # 1, 2, … per work: each request is taken once, in order
    Column("action", String(20), nullable=False),  # stop, pause, resume, step_batch, step_epoch, learning_rate
    Column("value", Float),  # the learning rate asked for
    Column("seen", Integer),  # the steps the page showed (a step asked twice is still one step)
    Column("asked", Float, nullable=False),  # Unix time
)

live = Table(  # what a piece of work trained elsewhere shows besides its runs' epochs (store/live_state.py)
    "nnlab_live", metadata,
    Column("work_key", String(40), primary_key=True),
    Column("owner", String(64), nullable=False, default=""),  # the visitor (hash): one training each
    Column("job_id", Integer),  # its job in the queue (procrastinate_jobs.id)
    Column("created", Float, nullable=False),
    Column("watched", Float, nullable=False),  # the last touch of a page (or the CLI) following it: abandonment
    Column("version", Integer, nullable=False, default=0),  # grows with each write of the worker
    Column("worker", String(200), nullable=False, default=""),  # the worker's name: host:pid, or its --name
    Column("run_id", String(40)),
    Column("state", Text, nullable=False, default="{}"),  # JSON: status, message, progress, pause, warnings…
    Column("updated", Float, nullable=False),
)

live_views = Table(  # a run's inside views as its worker sends them while a page looks (store/live_state.py)
    "nnlab_live_views", metadata,
    Column("work_key", String(40), primary_key=True),
    Column("member", Integer, primary_key=True),  # the run's place in its work (0: a work of one run)
    Column("version", Integer, nullable=False),  # the run's snapshot count when sent
    Column("data", LargeBinary, nullable=False),  # training/end_views.encode, at most its MOST_BYTES
)

workers = Table(  # the live workers and their slots (procrastinate's own table has no concurrency)
    "nnlab_workers", metadata,
    Column("name", String(200), primary_key=True),
    Column("concurrency", Integer, nullable=False),
    Column("started", Float, nullable=False),
    Column("beat", Float, nullable=False),  # Unix time of its last sign of life
)


def _create_first_tables(connection: Connection) -> None:
    metadata.create_all(connection, tables=[runs, epochs, models, import_damage, imports])


def _create_visitor_tables(connection: Connection) -> None:
    metadata.create_all(connection, tables=[visitors, transfer_codes])  # checkfirst: only where missing


def _create_class_tables(connection: Connection) -> None:
    metadata.create_all(connection, tables=[classes, class_members, class_entries])


def _create_worker_tables(connection: Connection) -> None:
    metadata.create_all(connection, tables=[controls, live, workers])


def _create_queue_tables(connection: Connection) -> None:
    """PostgreSQL only: the job queue's own tables (procrastinate 3.10's schema), where training goes to
    workers. A procrastinate upgrade is a new step that runs that release's migration files."""
    if connection.dialect.name != "postgresql" or inspect(connection).has_table("procrastinate_jobs"):
        return
    from procrastinate.schema import SchemaManager  # imported here only: SQLite never loads it

    # psycopg itself, without parameters: the script holds `%` and many statements
    connection.connection.driver_connection.execute(SchemaManager.get_schema())


def _create_end_views_table(connection: Connection) -> None:
    metadata.create_all(connection, tables=[end_views])


def _create_csv_files_table(connection: Connection) -> None:
    metadata.create_all(connection, tables=[csv_files])


def _create_live_views_table(connection: Connection) -> None:
    metadata.create_all(connection, tables=[live_views])


# Step n brings a store from version n - 1 to n; never edit a released step. Step 1 creates the
# tables as `metadata` declares them now, so a fresh store already has any later column: a later
# column goes into `metadata` AND into a new step that adds it only where it is missing, e.g.
# `lambda c: "x" in {col["name"] for col in inspect(c).get_columns("nnlab_runs")} or c.execute(text("ALTER …"))`.
MIGRATIONS: list[Callable[[Connection], None]] = [_create_first_tables, _create_visitor_tables, _create_class_tables,
                                                  _create_worker_tables, _create_queue_tables, _create_end_views_table,
                                                  _create_csv_files_table, _create_live_views_table]
VERSION = len(MIGRATIONS)


def migrate(engine: Engine) -> None:
    """Bring the store to VERSION; a StoreUnavailable if it was made by a newer nnlab."""
    with writing(engine) as connection:
        _lock(connection)
        if not inspect(connection).has_table(schema_version.name):
            schema_version.create(connection)
        found = connection.execute(select(schema_version.c.version)).scalar()
        if found is None:
            connection.execute(schema_version.insert().values(version=0))
            found = 0
        if found > VERSION:
            raise StoreUnavailable(f"this database holds runs of a newer nnlab (store version {found}; this nnlab "
                                   f"reads up to {VERSION}): upgrade nnlab to use it")
        for step in MIGRATIONS[found:]:
            step(connection)
        if found < VERSION:
            connection.execute(schema_version.update().values(version=VERSION))


def _lock(connection: Connection) -> None:
    """One migrating process at a time: on PostgreSQL a transaction-scoped advisory lock (SQLite's
    write transaction is one already)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(4242420011)"))
