"""Training jobs in background threads, sharing one server's training fairly.

A Streamlit rerun (any widget change) kills a loop running in the script thread, so the pages keep
a job in st.session_state instead: it trains in its own thread and holds only plain Python objects
(the history list, a StopSignal, a status) that the page reads on each poll. A job never calls
Streamlit.

Each piece of work a visitor starts — one run (TrainingJob), a race of runs trained side by side
(RaceJob) or a sweep of runs one after another (SweepJob) — is ONE request to the scheduler: it
waits its turn for ONE training slot, and a visitor has at most one such request at a time.
start() checks the request in the caller's thread, so a refusal (over the compute budget, already
training, a bad file) reaches the page as a UserError. The page calls touch() on every poll; work
nobody has watched for NNLAB_ABANDON_SECONDS (the tab was closed) is stopped within one batch, or
leaves the queue, as abandoned, its completed epochs kept.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

from nnlab import budget
from nnlab.architecture import count_params, layer_specs
from nnlab.config import RunConfig
from nnlab.errors import UserError
from nnlab.runs import HEARTBEAT_SECONDS, RunStore
from nnlab.scheduler import SCHEDULER, Scheduler
from nnlab.status import FINISHED, Status
from nnlab.stop_signal import StopSignal

log = logging.getLogger(__name__)


def abandon_seconds_from_environment() -> float:
    """NNLAB_ABANDON_SECONDS: how long work may go unwatched before it is stopped (default 60)."""
    text = os.environ.get("NNLAB_ABANDON_SECONDS", "60")
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ValueError(f"NNLAB_ABANDON_SECONDS must be a number of seconds above 0, got {text!r}")
    return seconds


ABANDON_SECONDS = abandon_seconds_from_environment()


class _SlotWork:
    """Work that takes one place in the scheduler's queue and then one slot, trained by `_train` in
    a daemon thread. Subclasses say which TrainingJobs it is made of (`members`)."""

    def __init__(self, owner: str, scheduler: Scheduler | None, abandon_seconds: float | None):
        self.owner = owner
        self._scheduler = scheduler or SCHEDULER
        self.abandon_seconds = ABANDON_SECONDS if abandon_seconds is None else abandon_seconds
        self._seen = time.monotonic()
        self.abandoned = False
        self._queued = False
        self._thread: threading.Thread | None = None

    @property
    def members(self) -> list[TrainingJob]:
        raise NotImplementedError

    @property
    def done(self) -> bool:
        return all(job.done for job in self.members)

    def touch(self) -> None:
        """The page still shows this work: call on every poll and rerun."""
        self._seen = time.monotonic()

    def stop(self) -> None:
        """End every run within one batch; work still queued leaves the queue at once."""
        for job in self.members:
            job.stop_signal.set()
        self._scheduler.cancel(self)

    def queue_position(self) -> int | None:
        """1 = next to train; None once training (or finished)."""
        return self._scheduler.position(self)

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
                job._end_unbegun()
            finished.set()
            watcher.join()

    def _queue_up(self) -> None:
        """Check the runs (their data, the compute budget they share), then take a place in the
        queue; watched from now on."""
        budget.check_together([job._measure() for job in self.members])
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
                    job._beat()

    def _fail_all(self, error: Exception) -> None:
        for job in self.members:
            job._fail_with(error)


class TrainingJob(_SlotWork):
    """One run. Alone it is its own request; in a RaceJob or SweepJob, the group is."""

    def __init__(self, config: RunConfig, load: Callable[[RunConfig], object], *, store: RunStore | None = None,
                 label: str = "", keep_model: bool = True, snapshot: Callable[[object, object], object] | None = None,
                 owner: str = "", scheduler: Scheduler | None = None, abandon_seconds: float | None = None):
        super().__init__(owner, scheduler, abandon_seconds)
        self.config, self.label = config, label
        self._load, self._store, self._keep_model, self._snapshot = load, store, keep_model, snapshot
        self._group: _SlotWork | None = None  # the race or sweep it belongs to
        self._trainer = None  # nnlab.train.Trainer while training
        self.snapshot = None  # snapshot(model, dataset) after the latest epoch, e.g. a fitted curve
        self.history: list[dict] = []  # appended by the job thread, read by the page
        self.progress = (0, 0, 0)  # (epoch, batches done, batches per epoch)
        self.status = Status.QUEUED
        self.message = ""
        self.warnings: list[str] = []
        self.result = None  # RunResult when done
        self.predictions = None  # analysis.TestPredictions of the trained model, when done
        self.dataset = None
        self.run_id: str | None = None
        self.started: float | None = None
        self.finished: float | None = None
        self.stop_signal = StopSignal()

    @property
    def members(self) -> list[TrainingJob]:
        return [self]

    @property
    def done(self) -> bool:
        return self.status in FINISHED

    @property
    def _request(self) -> _SlotWork:
        return self._group or self

    def touch(self) -> None:
        self._request._seen = time.monotonic()

    def stop(self) -> None:
        """End this run within one batch (in a race or sweep, the others go on)."""
        self.stop_signal.set()
        if self._group is None:
            self._scheduler.cancel(self)

    def queue_position(self) -> int | None:
        return self._request._scheduler.position(self._request)

    def wait_estimate(self) -> float | None:
        return self._request._scheduler.wait_estimate(self._request)

    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.time()) - self.started

    def eta(self) -> float | None:
        """Seconds left: the epochs to go at the average epoch time so far."""
        if self.done or not self.history:
            return None
        per_epoch = sum(row["seconds"] for row in self.history) / len(self.history)
        epoch, batches_done, batches = self.progress
        into_current = batches_done / batches if batches and epoch > len(self.history) else 0.0
        return per_epoch * (self.config.epochs - len(self.history) - into_current)

    def _train(self) -> None:
        if self._begin():
            while self._epoch():
                pass
            self._end()

    # --- the steps a race or sweep drives ---------------------------------------------------------

    def _measure(self) -> tuple[RunConfig, int, int]:
        """Load the data (cached by the page): (config, training examples, parameters), what the
        compute budget is counted from."""
        if self.dataset is None:
            self.dataset = self._load(self.config)
        specs = layer_specs(self.config, self.dataset.n_features, self.dataset.n_outputs, self.dataset.task)
        return self.config, len(self.dataset.x_train), count_params(specs)

    def _begin(self) -> bool:
        """Build the trainer and the run's folder; False if the run ends here."""
        if self.stop_signal.is_set():
            self._end_unbegun()
            return False
        self.status, self.started = Status.RUNNING, time.time()
        try:
            from nnlab.train import Trainer  # TensorFlow loads here, in the job's thread

            self._trainer = Trainer(self.config, self.dataset, stop=self.stop_signal, on_progress=self._on_progress)
            if self._store is not None:
                try:
                    self.run_id = self._store.create(
                        self.config, dataset_title=self.dataset.title, task=self.dataset.task,
                        params=self._trainer.model.count_params(), label=self.label)
                except OSError as error:
                    self._fail(f"Could not save the run ({_reason(error)}): free some space (delete old runs) "
                               f"and train again.")
                    return False
            return True
        except Exception as error:  # noqa: BLE001 - a job must end with a status, never hang "running"
            self._fail_with(error)
            return False

    def _epoch(self) -> bool:
        """Train one epoch; True while epochs are left."""
        try:
            row = self._trainer.run_epoch()
            if row is not None:
                self.history.append(row)
                if self.run_id:
                    self._saving(lambda: self._store.save_history(self.run_id, list(self.history)))
                if self._snapshot:
                    self.snapshot = self._snapshot(self._trainer.model, self.dataset)
            return not self._trainer.done
        except Exception as error:  # noqa: BLE001
            self._fail_with(error)
            return False

    def _end(self) -> None:
        """Test evaluation and verdict, the run saved; the job's status is set last (pages treat
        the job as done from then on)."""
        from nnlab.predictions import predict

        try:
            result = self._trainer.finish()
            if self._request.abandoned and result.status == Status.STOPPED:
                result.status = Status.ABANDONED
                result.message = (f"Stopped: nobody watched this run for {self._abandon_time()} (the page was "
                                  f"closed); its {len(result.history)} epochs are kept.")
            status, message = result.status, result.message
            if self.run_id:
                try:
                    self._store.finish(self.run_id, status=result.status, message=result.message, test=result.test,
                                       verdict=result.verdict.to_dict(), history=result.history,
                                       model=result.model if self._keep_model else None)
                except OSError as error:
                    status = Status.FAILED
                    message = (f"Could not save the end of the run ({_reason(error)}); its {len(result.history)} "
                               f"epochs were saved as they trained. Free some space (delete old runs).")
                    self._store.mark_failed(self.run_id, message)
            if result.history:
                self.predictions = predict(result.model, self.dataset)
            self.result, self.message, self._trainer = result, message, None
            self.finished = time.time()
            self.status = status
        except Exception as error:  # noqa: BLE001
            self._fail_with(error)

    def _end_unbegun(self) -> None:
        """A run that never got to train: dropped from the queue or stopped before its turn."""
        if self.done or self.status == Status.RUNNING:
            return
        if self._request.abandoned:
            self.status, self.message = Status.ABANDONED, (
                f"Dropped from the queue: nobody watched this run for {self._abandon_time()} "
                f"(the page was closed).")
        else:
            self.status, self.message = Status.STOPPED, "Stopped before training began."

    def _abandon_time(self) -> str:
        return f"{self._request.abandon_seconds:g} s"

    def _beat(self) -> None:
        if self.run_id and self.status == Status.RUNNING:
            self._store.beat(self.run_id)

    def _on_progress(self, epoch: int, done: int, total: int) -> None:
        self.progress = (epoch, done, total)

    def _saving(self, write) -> None:
        """Disk trouble during the epochs must not end the training: note it and carry on."""
        try:
            write()
        except OSError as error:
            note = f"Could not save the run ({_reason(error)}); training continues unsaved."
            if note not in self.warnings:
                self.warnings.append(note)

    def _fail_with(self, error: Exception) -> None:
        if isinstance(error, UserError):
            self._fail(str(error))
        else:
            log.error("training job failed", exc_info=error)
            # The error text can name server files: it goes to the log, the visitor gets its kind.
            self._fail(f"Training failed unexpectedly ({type(error).__name__}); the details are in the server's log.")

    def _fail(self, message: str) -> None:
        if self._trainer is not None:
            self._trainer.stop(Status.FAILED, message)  # lets go of the Stop signal
        self.finished, self._trainer = time.time(), None
        if self.run_id:
            self._store.mark_failed(self.run_id, message)
        self.status, self.message = Status.FAILED, message


class _Group(_SlotWork):
    """Several TrainingJobs of one owner as one request."""

    def __init__(self, jobs: list[TrainingJob], *, scheduler: Scheduler | None = None,
                 abandon_seconds: float | None = None):
        owners = {job.owner for job in jobs}
        if len(owners) > 1:
            raise ValueError(f"the runs of one {type(self).__name__} belong to one visitor, got {sorted(owners)}")
        super().__init__(owners.pop() if owners else "", scheduler, abandon_seconds)
        self.jobs = jobs
        for job in jobs:
            job._group = self

    @property
    def members(self) -> list[TrainingJob]:
        return self.jobs


class RaceJob(_Group):
    """2–4 runs trained in one thread on one slot, round-robin epoch by epoch (A's epoch 1, B's
    epoch 1, A's epoch 2 …), so their curves grow together; each is saved as its own run."""

    def _train(self) -> None:
        racing = [job for job in self.jobs if job._begin()]
        while racing:
            for job in list(racing):
                if not job._epoch():
                    racing.remove(job)
                    if not job.done:
                        job._end()


class SweepJob(_Group):
    """Several runs one after another on one slot (a one-knob sweep); Stop ends the current run
    and the ones not begun end at once as stopped."""

    def _train(self) -> None:
        for job in self.jobs:
            job._train()


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
