"""The worker's news of a piece of work heard as it is written (issue 25): `live_state.write` announces each
write with `pg_notify`; one thread per process and database LISTENs and wakes whoever follows that work.

A follower reads the live row when woken, and at the latest every few tenths of a second anyway (a
notification can be lost with a connection): so it sees a run's end tens of milliseconds after the worker
wrote it, and reads the database once per write of the worker, not at a fixed fast pace. The thread ends
when nothing is followed (and starts again with the next follower), so a database dropped or left holds
no connection of this process.
"""
from __future__ import annotations

import logging
import threading


from nnlab.store import database, live_state

log = logging.getLogger(__name__)

IDLE_SECONDS = 1.0  # how long the LISTEN thread waits for a notification before it looks whether it is still needed
RECONNECT_SECONDS = 2.0

_LOCK = threading.Lock()
_BY_URL: dict[str, _Listener] = {}


def hear(url: str, work_key: str) -> threading.Event:
    """An Event set at each write of `work_key`'s live row (clear it before reading the row); `forget` it after."""
    with _LOCK:
        listener = _BY_URL.get(url)
        if listener is None:
            listener = _BY_URL[url] = _Listener(url)
        return listener.add(work_key)


def forget(url: str, work_key: str, heard: threading.Event) -> None:
    with _LOCK:
        listener = _BY_URL.get(url)
        if listener is not None:
            listener.remove(work_key, heard)


class _Listener:
    """One LISTEN connection of a process to one database, and the Events of the works followed there (several
    followers of one work, e.g. two tabs, each have theirs). Its thread runs while any work is followed; all
    its state is guarded by the module's _LOCK."""

    def __init__(self, url: str):
        self.url = url
        self.events: dict[str, list[threading.Event]] = {}
        self.thread: threading.Thread | None = None
        self.listen = not database.is_sqlite(url)  # SQLite: nothing announces, the followers' pace alone
        self.troubled = False  # said once per outage in the log

    def add(self, work_key: str) -> threading.Event:
        heard = threading.Event()
        self.events.setdefault(work_key, []).append(heard)
        if self.thread is None and self.listen:
            self.thread = threading.Thread(target=self._loop, name="nnlab-live-notices", daemon=True)
            self.thread.start()
        return heard

    def remove(self, work_key: str, heard: threading.Event) -> None:
        waiting = [event for event in self.events.get(work_key, []) if event is not heard]
        if waiting:
            self.events[work_key] = waiting
        else:
            self.events.pop(work_key, None)

    def _loop(self) -> None:
        connection, stop = None, threading.Event()
        try:
            while True:
                with _LOCK:
                    if not self.events:  # nobody follows anything here: let the connection go
                        self.thread = None
                        return
                if connection is None:
                    connection = self._connect()
                    if connection is None:
                        self._wake_all()  # followers read at their own pace meanwhile; wake them once now
                        stop.wait(RECONNECT_SECONDS)
                        continue
                try:
                    for note in connection.notifies(timeout=IDLE_SECONDS):
                        with _LOCK:
                            for heard in self.events.get(note.payload, ()):
                                heard.set()
                except Exception as error:  # noqa: BLE001 - the database went away: connect again
                    self._trouble(f"LISTEN lost ({type(error).__name__})")
                    database.close_quietly(connection)
                    connection = None
        finally:
            database.close_quietly(connection)

    def _wake_all(self) -> None:
        with _LOCK:
            for events in self.events.values():
                for heard in events:
                    heard.set()

    def _connect(self):
        try:
            connection = database.listening(self.url, live_state.CHANNEL)
        except Exception as error:  # noqa: BLE001 - the followers read at their own pace meanwhile
            self._trouble(f"cannot LISTEN ({database.without_secrets(str(error), self.url)})")
            return None
        if self.troubled:
            self.troubled = False
            log.info("live notices: listening again")
        return connection

    def _trouble(self, what: str) -> None:
        if not self.troubled:
            self.troubled = True
            log.warning("live notices: %s; trying again every %g s", what, RECONNECT_SECONDS)
