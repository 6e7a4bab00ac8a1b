"""Work handed to the workers through the queue (issue 25): the sending side, used by the CLI's
`train --queue` (and, next, by the pages).

`submit` queues a piece of work in ONE transaction with the one-training-per-visitor rule: an advisory
lock on the visitor, a look for a job of theirs queued or training, the work's live row, and the
defer on the same connection. Two web servers racing for one visitor accept exactly one (20 of 20
races in the prototype); neither of procrastinate's locks alone gives "one queued or training".
`RemoteWork` then follows it from the database: the live row the worker writes, the queue's job.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text

from nnlab.core.errors import UserError
from nnlab.core.status import FINISHED, Status
from nnlab.serving import queue_state
from nnlab.store import controls, database, live_state
from nnlab.store.runs import RunStore

ALREADY = ("You already have a run training or waiting for a worker on this deployment: stop it or wait for it "
           "to finish, then start this one.")
TOUCH_SECONDS = 1.0  # a follower says it still watches this often (the worker abandons work nobody follows)


def submit(url: str, spec: dict, *, priority: int = 0) -> int:
    """Queue `spec` (serving/work_spec.py) for the workers; its job's id. A UserError if the visitor
    (`spec["owner"]`; "" for the CLI, not limited) already has work queued or training."""
    from nnlab.serving import queue_app  # procrastinate: loaded only where work goes to workers

    owner = spec.get("owner", "")
    lock = queue_app.VISITOR_LOCK + owner if owner else None
    with database.writing(RunStore(url).engine()) as connection:
        if lock:
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": lock})
            if queue_state.busy_job(connection, lock) is not None:
                raise UserError(ALREADY)
        live_state.open_work(connection, spec["key"], owner)
        job_id = _app().configure_task(queue_app.TASK, queue=queue_app.QUEUE, lock=lock, priority=priority,
                                       connection=connection.connection.driver_connection).defer(spec=spec)
        live_state.set_job(connection, spec["key"], job_id)
    return job_id


@dataclass
class RemoteWork:
    """A piece of work queued by `submit`, as its follower sees it."""

    url: str
    key: str
    job_id: int
    _touched: float = 0.0

    def look(self) -> live_state.LiveState:
        """The worker's latest news (touching the work: its follower is still here)."""
        if time.monotonic() - self._touched >= TOUCH_SECONDS:
            live_state.touch(self.url, self.key)
            self._touched = time.monotonic()
        return live_state.read(self.url, self.key)

    def status(self, state: live_state.LiveState) -> Status:
        """The work's status: the worker's word, or the queue's for work no worker began."""
        told = Status(state.state.get("status", Status.QUEUED))
        if told in FINISHED:
            return told
        job = queue_state.job_status(self.url, self.job_id)
        if job == "cancelled":
            return Status.STOPPED
        if job in queue_state.ENDED and told == Status.QUEUED:  # a worker took it and ended without a word
            return Status.FAILED
        return told

    def place(self) -> int | None:
        return queue_state.place(self.url, self.job_id)

    def stop(self, keep_best: bool = False) -> None:
        """Stop it within a batch where it trains; still queued, it leaves the queue at once."""
        controls.ask(self.url, self.key, "stop", value=1.0 if keep_best else None)
        with database.writing(RunStore(self.url).engine()) as connection:
            _app().job_manager.cancel_job_by_id(self.job_id, connection=connection.connection.driver_connection)

    def ask(self, action: str, value: float | None = None, seen: int | None = None) -> None:
        controls.ask(self.url, self.key, action, value=value, seen=seen)


_APP = None


def _app():
    """The process's App that only defers (through the caller's connection: no pool of its own)."""
    global _APP
    if _APP is None:
        from nnlab.serving.queue_app import build_app

        _APP = build_app()
    return _APP
