"""The thread that mirrors a piece of work trained on the workers (issue 25) into this process's mirrors of it
(serving/remote_work.py: a run, a race's, sweep's or group's runs, the finder, a search), one thread and one
read per look for all the runs of a work.

It looks when the worker writes the work's live row (store/live_notices.py hears it), at most every
QUICKEST_LOOK_SECONDS (a worker writing faster costs one look), and every LOOK_SECONDS at the latest (a
notification lost). bench/remote_end.py: a run's end done on its page ≈0.07 s after its worker saved it, against
≈0.5 s (4.5 s in a cold process) at a fixed 0.25 s pace with the model loaded here; as many queries a run.
"""
from __future__ import annotations

import logging
import threading
import time

from nnlab.core.status import Status
from nnlab.serving import queue_state
from nnlab.store import live_notices

log = logging.getLogger(__name__)

TOUCH_SECONDS = 1.0  # a follower says it still watches this often (the worker abandons work nobody follows)
QUICKEST_LOOK_SECONDS = 0.1  # a work's live row is read at most this often, however often its worker writes
LOOK_SECONDS = 0.5  # and at the latest this often, heard or not


def follow(work, holder, runs: list) -> None:
    """Mirror `work` (a remote_work.RemoteWork) into its `runs` (the mirrors: `mirror`, `status`, `queued_at`)
    until they have ended, or their page is gone (nobody touched `holder`, the run or its race, for twice the
    abandon time: its worker has stopped it as abandoned by then, and nobody is left to show it to). The page's
    touches go on to the worker."""
    told, said = None, holder.watched_at
    heard = live_notices.hear(work.url, work.key)  # set at each write of the worker: read at once
    pace = threading.Event()  # never set: the pause between two looks heard at once
    try:
        while not holder.done and time.monotonic() - holder.watched_at < 2 * holder.abandon_seconds:
            heard.clear()  # before the read: a write during it wakes the next wait
            looked = time.monotonic()
            said, told = _look(work, holder, runs, said, told)
            heard.wait(LOOK_SECONDS)
            pace.wait(QUICKEST_LOOK_SECONDS - (time.monotonic() - looked))  # writes heard meanwhile: one look
    finally:
        live_notices.forget(work.url, work.key, heard)


def _look(work, holder, runs: list, said: float, told: int | None):
    """One look at `work` for its runs: the page's touch passed on, the live row read once, each run mirrored."""
    try:
        if holder.watched_at != said and time.monotonic() - work.touched >= TOUCH_SECONDS:
            said = holder.watched_at
            work.touch()  # the page still shows it: the worker goes on
        state = work.read()
        no_worker = queue_state.NO_WORKER if runs[0].status == Status.QUEUED and \
            time.monotonic() - runs[0].queued_at >= 3 and queue_state.workers_alive(work.url) == 0 else None
        for job in runs:
            job.mirror(state, told, no_worker)
        told = state.version
    except Exception:  # noqa: BLE001 - the database away: looked at again, the page keeps what it had
        log.warning("work on the workers could not be looked at; trying again", exc_info=True)
    return said, told
