"""One request to the scheduler, watched: the part every kind of training job shares.

A piece of work (one run, a race, a sweep) waits its turn for one training slot and trains in a
daemon thread. While it lives, a watcher thread beats the heartbeat of its running runs and stops it
if the page that showed it is gone: pages call touch() on every poll, and work nobody touched for
NNLAB_ABANDON_SECONDS is stopped within one batch (or leaves the queue) as abandoned, its epochs kept.
"""
from __future__ import annotations

import itertools
import threading
import time
import weakref
from typing import Protocol, runtime_checkable

from nnlab.training import budget
from nnlab.core import deployment
from nnlab.serving import process_memory
from nnlab.serving.bulletin import Bulletin
from nnlab.core.errors import UserError
from nnlab.store.runs import HEARTBEAT_SECONDS
from nnlab.serving.scheduler import SCHEDULER, Scheduler
from nnlab.core.status import Status


process_memory.limit_arenas()  # before the training threads make theirs (nnlab/process_memory.py)

_SERIALS = itertools.count(1)
# Every piece of work of this process by its serial, while something holds it: how the live route
# (ui/live_route.py) finds the work a token names, without keeping finished work alive.
_LIVE: weakref.WeakValueDictionary[int, SlotWork] = weakref.WeakValueDictionary()


# --- the protocol between the queue and the work ---------------------------------------------------

@runtime_checkable
class QueuedWork(Protocol):
    """What the scheduler and the pages use of a piece of work (a run, a race, a sweep, a search, the
    learning-rate finder): one place in the queue, then one training slot."""

    owner: str  # the visitor: at most one request each
    abandoned: bool  # stopped because nobody watched it

    @property
    def done(self) -> bool: ...

    def start(self) -> QueuedWork: ...  # check and queue (a UserError if refused), then train in a thread

    def run(self) -> None: ...  # wait for a slot and train, in the calling thread

    def stop(self) -> None: ...  # end within one batch; still queued: leave the queue

    def touch(self) -> None: ...  # a page still shows it

    def join(self, timeout: float | None = None) -> None: ...

    def queue_position(self) -> int | None: ...

    def wait_estimate(self) -> float | None: ...

    def eta(self) -> float | None: ...


@runtime_checkable
class SlotRun(Protocol):
    """One run that a piece of work drives on its slot, epoch by epoch (a TrainingJob): a race
    interleaves several, a sweep or a search trains them one after another."""

    config: object  # config/run_config.RunConfig
    history: list[dict]
    status: Status
    run_id: str | None  # its record in the store (None: not kept)
    stop_signal: object  # training/stop_signal.StopSignal: set, the run ends within one batch
    result: object  # training/train.RunResult once ended, else None
    predictions: object  # verdict/predictions.TestPredictions once ended, else None

    @property
    def done(self) -> bool: ...

    def measure(self) -> tuple: ...  # (config, training examples, parameters, …): what the budget counts

    def begin(self) -> bool: ...  # build the trainer and the run's record; False if the run ended here

    def train_epoch(self) -> bool: ...  # one epoch; True while epochs are left

    def stop_as(self, status: Status, message: str) -> None: ...  # end the training for the work's reason

    def end(self) -> None: ...  # test, verdict, saved: the run's end once its training ended

    def end_unbegun(self) -> None: ...  # a run that never got to train

    def beat(self) -> None: ...  # the heartbeat of a running run's record

    def fail_with(self, error: Exception) -> None: ...

    def touch(self) -> None: ...  # a page still shows it

    def set_group(self, group: SlotWork) -> None: ...  # the work it is a member of (its queue place, its touch)

    def eta(self) -> float | None: ...


# --- the part every piece of work shares ----------------------------------------------------------

class SlotWork:
    """Work that takes one place in the scheduler's queue and then one slot, trained by `_train` in
    a daemon thread: a QueuedWork. Subclasses say which runs it is made of (`members`)."""

    # Which answer the live route gives a browser watching it (serving/live_answer.answer_for): "run", "finder",
    # "search"; "" for work no page watches through the route by itself (a race, a sweep: by their runs).
    live_view = ""

    def __init__(self, owner: str, scheduler: Scheduler | None, abandon_seconds: float | None):
        self.serial = next(_SERIALS)  # unique in this process, unlike id(): for what pages keep per job
        _LIVE[self.serial] = self
        self.owner = owner
        self.bulletin = Bulletin()  # published on what a live view shows: an epoch, a status, a pause (serving/bulletin.py)
        self._scheduler = scheduler or SCHEDULER
        # How long the work may go unwatched before it is stopped: NNLAB_ABANDON_SECONDS unless given.
        self.abandon_seconds = deployment.current().abandon_seconds if abandon_seconds is None else abandon_seconds
        self._seen = time.monotonic()
        self.abandoned = False
        self._queued = False
        self._thread: threading.Thread | None = None

    @property
    def members(self) -> list[SlotRun]:
        raise NotImplementedError

    @property
    def workspace(self) -> str:
        """The workspace its runs are saved in ("" for work that saves nothing)."""
        return ""

    @property
    def done(self) -> bool:
        return all(job.done for job in self.members)

    def touch(self) -> None:
        """The page still shows this work: call on every poll and rerun."""
        self._seen = time.monotonic()

    @property
    def watched_at(self) -> float:
        """When a page last touched it (time.monotonic())."""
        return self._seen

    def stop(self) -> None:
        """End every run within one batch; work still queued leaves the queue at once."""
        for job in self.members:
            job.stop_signal.set()
        self._scheduler.cancel(self)

    def others_waiting(self) -> bool:
        """Someone else's work waits in the queue for a slot."""
        return bool(self._scheduler.waiting())

    def queue_position(self) -> int | None:
        """1 = next to train; None once training (or finished)."""
        return self._scheduler.position(self)

    def queue_moved(self) -> None:
        """The scheduler moved it up the queue: its live views show the new place at once."""
        self.bulletin.publish()
        for job in self.members:  # a race's or sweep's runs: their live views listen to them (a run is its own member)
            if job is not self:
                job.bulletin.publish()

    def wait_estimate(self) -> float | None:
        """Seconds until it should get a slot, or None if not queued or not known yet."""
        return self._scheduler.wait_estimate(self)

    def eta(self) -> float | None:
        """Seconds left: each unfinished run's epochs to go at the average epoch time so far."""
        seconds = [row["seconds"] for job in self.members for row in job.history]
        if not seconds:
            return None
        per_epoch = sum(seconds) / len(seconds)
        return sum(job.eta() if job.history else per_epoch * job.config.epochs
                   for job in self.members if not job.done)

    def start(self):
        """Check and queue the work here (a UserError if refused), then train in a new thread."""
        try:
            self._queue_up()
        except UserError:
            raise
        except Exception as error:  # noqa: BLE001 - shown as the job's failure, never a crashed page
            self._fail_all(error)
            return self
        try:
            self._thread = threading.Thread(target=self.run, name=f"nnlab-{type(self).__name__}-{id(self):x}",
                                            daemon=True)
            self._thread.start()
        except BaseException:
            self._scheduler.release(self)
            raise
        return self

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Wait for a slot and train, in the calling thread (start() calls it in a new one)."""
        if not self._queued:
            try:
                self._queue_up()
            except Exception as error:  # noqa: BLE001 - a job must end with a status, never hang "queued"
                self._fail_all(error)
                return
        finished = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(finished,), name=f"nnlab-watch-{id(self):x}", daemon=True)
        watcher.start()
        try:
            if self._scheduler.acquire(self):
                self._train()
        finally:
            self._scheduler.release(self)
            for job in self.members:
                job.end_unbegun()
            finished.set()
            watcher.join()
            process_memory.give_back()  # what the training freed goes back to the system, not to an arena

    def _queue_up(self) -> None:
        """Check the runs (their data, the compute budget they share), then take a place in the
        queue; watched from now on."""
        measured = [(job, job.measure()) for job in self.members]
        # Its runs share one training's budget (a race, a sweep, a group of seeds: one request on one slot).
        budget.check_together([run for job, run in measured])
        self._scheduler.enqueue(self)
        self._queued = True
        self.touch()

    def _train(self) -> None:
        raise NotImplementedError

    def _watch(self, finished: threading.Event) -> None:
        """Until the work ends: stop it if nobody watches, and beat the running runs' hearts.
        Unwatched time is counted in ticks, not read off the clock: while a compile holds the
        interpreter for seconds, pages cannot touch, yet they have not gone."""
        tick = max(0.01, min(HEARTBEAT_SECONDS, self.abandon_seconds / 10))
        seen, unwatched, next_beat = self._seen, 0.0, 0.0
        while not finished.wait(tick):
            if self._seen != seen:
                seen, unwatched = self._seen, 0.0
            else:
                unwatched += tick
            if not self.abandoned and unwatched > self.abandon_seconds:
                self.abandoned = True
                self.stop()
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + HEARTBEAT_SECONDS
                for job in self.members:
                    job.beat()

    def _fail_all(self, error: Exception) -> None:
        for job in self.members:
            job.fail_with(error)


def live_work(serial: int) -> SlotWork | None:
    """The work (a run, the learning-rate finder, a search…) of this process with that serial, if something (a
    page's session) still holds it."""
    return _LIVE.get(serial)
