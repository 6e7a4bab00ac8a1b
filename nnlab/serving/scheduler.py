"""Scheduler: a fair queue for the server's few training slots.

Every training (a run, a race, a sweep) is ONE request. Requests get slots in the order they
arrived; each visitor (owner) has at most one request queued or training, so one visitor with many
tabs cannot take every slot. A request is any object with `owner: str` and `eta() -> float | None`
(seconds it still needs once training, None while unknown), and may have `queue_moved()`, called when its
place in the queue changes. Requests with an empty owner (the command line, tests) are not limited.
"""
from __future__ import annotations

import heapq
import threading
import time
from collections import deque

from nnlab.core import deployment
from nnlab.core.errors import UserError

RECENT_RUNS = 20  # finished holds averaged into the typical time a request keeps its slot


class Scheduler:
    def __init__(self, slots: int):
        if slots < 1:
            raise ValueError(f"a scheduler needs at least one slot, got {slots}")
        self.slots = slots
        self._lock = threading.Condition()
        self._queue: list = []  # waiting requests, first come first
        self._holding: dict = {}  # request → time it got its slot
        self._recent: deque[float] = deque(maxlen=RECENT_RUNS)  # seconds recent requests held a slot

    def enqueue(self, request) -> None:
        """Take a place at the end of the queue; a UserError if its owner already has one."""
        with self._lock:
            if request in self._queue or request in self._holding:
                return
            owner = request.owner
            if owner and any(other.owner == owner for other in (*self._queue, *self._holding)):
                raise UserError("You already have a run training or waiting for a slot on this server: "
                                "stop it or wait for it to finish, then start this one.")
            self._queue.append(request)
            self._grant()

    def acquire(self, request, timeout: float | None = None) -> bool:
        """Wait until the enqueued `request` holds a slot (True) or has left the queue by cancel()
        (False: a request cancelled before its thread got here does not queue again). A timeout
        that runs out leaves it queued and returns False."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while request in self._queue:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._lock.wait(left)
            return request in self._holding

    def release(self, request) -> None:
        """Give back the slot (or the place in the queue); the next in line gets it."""
        with self._lock:
            started = self._holding.pop(request, None)
            if started is not None:
                self._recent.append(time.monotonic() - started)
            if request in self._queue:
                self._queue.remove(request)
            self._grant()
            self._lock.notify_all()
            moved = list(self._queue)
        _tell_moved(moved)

    def cancel(self, request) -> None:
        """A request stopped while waiting leaves the queue at once (a holder keeps its slot until
        it releases it: its training ends between batches)."""
        with self._lock:
            if request not in self._queue:
                return
            behind = self._queue[self._queue.index(request) + 1:]
            self._queue.remove(request)
            self._lock.notify_all()
        _tell_moved(behind)

    def requests(self) -> list:
        """Every request holding a slot or waiting for one."""
        with self._lock:
            return [*self._holding, *self._queue]

    def waiting(self) -> int:
        """Requests in the queue, waiting for a slot."""
        with self._lock:
            return len(self._queue)

    def holds_slot(self, request) -> bool:
        with self._lock:
            return request in self._holding

    def position(self, request) -> int | None:
        """1 = next to get a slot; None if it holds one or is not queued."""
        with self._lock:
            return self._queue.index(request) + 1 if request in self._queue else None

    def wait_estimate(self, request) -> float | None:
        """Seconds until `request` should get a slot: the slots free up as the running requests'
        remaining times run out, and each request ahead then holds one for the typical time of
        recent ones. None if it is not queued or a time it depends on is not known yet."""
        with self._lock:
            if request not in self._queue:
                return None
            typical = sum(self._recent) / len(self._recent) if self._recent else None
            return wait_estimate(self.slots, [holder.eta() for holder in self._holding],
                                 self._queue.index(request), typical)

    def _grant(self) -> None:
        while self._queue and len(self._holding) < self.slots:
            self._holding[self._queue.pop(0)] = time.monotonic()
            self._lock.notify_all()


def wait_estimate(slots: int, remaining: list[float | None], ahead: int, typical: float | None) -> float | None:
    """Seconds until the next request in line after `ahead` others gets one of `slots`: the slots free up
    as the holders' `remaining` times run out (a holder's unknown time counts as `typical`, the time recent
    requests held a slot), then each request ahead holds one for `typical`. None when a time it needs is not
    known. The web process's queue and the workers' (serving/queue_state.py) both estimate so."""
    free_at = [0.0] * max(0, slots - len(remaining))
    for left in remaining:
        left = typical if left is None else left
        if left is None:
            return None
        free_at.append(left)
    if not free_at:
        return None
    heapq.heapify(free_at)
    for _ in range(ahead):
        if typical is None:
            return None
        heapq.heappush(free_at, heapq.heappop(free_at) + typical)
    return free_at[0]


def _tell_moved(requests: list) -> None:
    """Each of these requests has a new place in the queue: those that can say so (`queue_moved`, as
    SlotWork does to its live views) are told, outside the lock."""
    for request in requests:
        moved = getattr(request, "queue_moved", None)
        if moved is not None:
            moved()


# The server's one queue: NNLAB_MAX_TRAINING trainings at once (default 2, one per core of a small server).
SCHEDULER = Scheduler(deployment.current().max_training)
