"""The requests that flow back into a piece of work trained in another process (a worker, issue 25):
Stop, Pause, Resume, One batch, One epoch, a new learning rate.

A page (or the CLI) asks by writing a row — one per request, numbered 1, 2, … per work — and on
PostgreSQL announces it with `pg_notify` in the same transaction. The row is the truth (it survives a
lost notification and a worker's restart, and its number means a request is taken once); the
notification carries the speed: a worker's `ControlListener` hears it within tens of milliseconds, and
looks at the rows every `POLL_SECONDS` anyway in case a notification was lost (measured in
/work/notes/issue25-design.md: 35 ms median by NOTIFY, 137 ms by a 0.25 s poll alone).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, text

from nnlab.store import database
from nnlab.store.runs import RunStore
from nnlab.store.schema import controls

log = logging.getLogger(__name__)

ACTIONS = ("stop", "pause", "resume", "step_batch", "step_epoch", "learning_rate", "l1", "l2",
           "inside")  # inside: a page shows its inside views, send them for a while (serving/worker.py)
CHANNEL = "nnlab_control"  # pg_notify's channel; the payload is the work's key
POLL_SECONDS = 0.5  # the rows are looked at this often even when no notification came


@dataclass(frozen=True)
class Request:
    work_key: str
    serial: int
    action: str
    value: float | None = None
    seen: int | None = None


def ask(url: str, work_key: str, action: str, value: float | None = None, seen: int | None = None) -> int:
    """Write one request for `work_key` (and announce it on PostgreSQL); returns its serial."""
    if action not in ACTIONS:
        raise ValueError(f"unknown control action {action!r}")
    with database.writing(_engine(url)) as connection:
        if connection.dialect.name == "postgresql":  # two clicks at once: numbered one after the other
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"control:{work_key}"})
        serial = connection.execute(select(func.coalesce(func.max(controls.c.serial), 0))
                                    .where(controls.c.work_key == work_key)).scalar() + 1
        connection.execute(insert(controls).values(work_key=work_key, serial=serial, action=action, value=value,
                                                   seen=seen, asked=time.time()))
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_notify(:channel, :key)"), {"channel": CHANNEL, "key": work_key})
    return serial


def requests_after(url: str, work_key: str, serial: int) -> list[Request]:
    """The requests for `work_key` numbered above `serial`, in order."""
    with _engine(url).connect() as connection:
        rows = connection.execute(select(controls.c.serial, controls.c.action, controls.c.value, controls.c.seen)
                                  .where(controls.c.work_key == work_key, controls.c.serial > serial)
                                  .order_by(controls.c.serial)).all()
    return [Request(work_key, row.serial, row.action, row.value, row.seen) for row in rows]


class ControlListener:
    """One thread per worker process: for each followed work, calls its callback with each new request,
    once and in order. Hears `pg_notify` on a LISTEN connection of its own (PostgreSQL; `listen=False`
    or SQLite: the poll alone) and polls the rows every `poll_seconds`. A lost connection is opened
    again; the poll goes on meanwhile."""

    def __init__(self, url: str, *, poll_seconds: float = POLL_SECONDS, listen: bool = True):
        self.url, self.poll_seconds = url, poll_seconds
        self.listen = listen and not database.is_sqlite(url)
        self._followed: dict[str, tuple[Callable[[Request], None], int]] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._troubled = False  # said once per outage in the log, not twice a second

    def follow(self, work_key: str, callback: Callable[[Request], None], after: int = 0) -> None:
        with self._lock:
            self._followed[work_key] = (callback, after)

    def forget(self, work_key: str) -> None:
        with self._lock:
            self._followed.pop(work_key, None)

    def start(self) -> ControlListener:
        self._thread = threading.Thread(target=self._loop, name="nnlab-control-listener", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None:
            self._thread.join(5)

    def _loop(self) -> None:
        connection = None
        while not self._closed.is_set():
            if self.listen and connection is None:
                connection = self._connect()
            if connection is not None:
                try:
                    # Leave notifies() before any query: psycopg holds the connection's lock while it
                    # iterates, and a query inside the loop waits forever.
                    for _note in connection.notifies(timeout=self.poll_seconds, stop_after=1):
                        pass
                except Exception as error:  # noqa: BLE001 - the database went away: the poll goes on
                    self._trouble(f"LISTEN lost ({type(error).__name__})")
                    database.close_quietly(connection)
                    connection = None
                    self._closed.wait(self.poll_seconds)
            else:
                self._closed.wait(self.poll_seconds)
            self._poll()
        database.close_quietly(connection)

    def _poll(self) -> None:
        with self._lock:
            followed = dict(self._followed)
        for work_key, (callback, after) in followed.items():
            try:
                found = requests_after(self.url, work_key, after)
            except Exception as error:  # noqa: BLE001 - looked at again at the next poll
                self._trouble(f"cannot read the requests ({database.without_secrets(str(error), self.url)})")
                return
            for request in found:
                with self._lock:
                    if work_key not in self._followed:
                        break
                    self._followed[work_key] = (callback, request.serial)
                try:
                    callback(request)
                except Exception:  # noqa: BLE001 - a request that cannot be applied must not end the listener
                    log.exception("control request %s for %s could not be applied", request.action, work_key)

    def _connect(self):
        try:
            connection = database.listening(self.url, CHANNEL)
        except Exception as error:  # noqa: BLE001 - the poll carries on without it
            self._trouble(f"cannot LISTEN ({database.without_secrets(str(error), self.url)})")
            return None
        if self._troubled:
            self._troubled = False
            log.info("control listener: listening again")
        return connection

    def _trouble(self, what: str) -> None:
        if not self._troubled:
            self._troubled = True
            log.warning("control listener: %s; trying again every %g s", what, self.poll_seconds)


def _engine(url: str):
    return RunStore(url).engine()  # brought up to date on first use in this process
