"""Training jobs in background threads, for pages that must survive Streamlit's reruns.

A Streamlit rerun (any widget change) kills a loop running in the script thread, so the dashboard
keeps a TrainingJob in st.session_state instead: the job trains in its own thread and holds only
plain Python objects (the history list, a StopSignal, a status string) that the page reads on each
poll. A job never calls Streamlit. At most NNLAB_MAX_TRAINING jobs (default 2, one per core of a
small server) train at once; others wait their turn as "queued".
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

from nnlab.config import RunConfig
from nnlab.errors import UserError
from nnlab.runs import RunStore
from nnlab.stop_signal import StopSignal

log = logging.getLogger(__name__)
_SLOTS = threading.BoundedSemaphore(int(os.environ.get("NNLAB_MAX_TRAINING", "2")))
DONE = ("completed", "stopped", "early_stopped", "diverged", "failed")


class _Background:
    """start() runs self.run in a daemon thread; join() waits for it."""

    _thread: threading.Thread | None = None

    def run(self) -> None:
        raise NotImplementedError

    def start(self):
        self._thread = threading.Thread(target=self.run, name=f"nnlab-{type(self).__name__}-{id(self):x}", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


class TrainingJob(_Background):
    def __init__(self, config: RunConfig, load: Callable[[RunConfig], object], *, store: RunStore | None = None,
                 label: str = "", keep_model: bool = True, snapshot: Callable[[object, object], object] | None = None):
        self.config, self.label = config, label
        self._load, self._store, self._keep_model, self._snapshot = load, store, keep_model, snapshot
        self.snapshot = None  # snapshot(model, dataset) after the latest epoch, e.g. a fitted curve
        self.history: list[dict] = []  # appended by the job thread, read by the page
        self.progress = (0, 0, 0)  # (epoch, batches done, batches per epoch)
        self.status = "queued"
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
    def done(self) -> bool:
        return self.status in DONE

    def stop(self) -> None:
        self.stop_signal.set()

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

    def run(self) -> None:
        """Train now, in the calling thread (start() calls it in a new one)."""
        with _SLOTS:
            if self.stop_signal.is_set():
                self.status, self.message = "stopped", "Stopped before training began."
                return
            self.status, self.started = "running", time.time()
            try:
                self._train()
            except UserError as error:
                self._fail(str(error))
            except Exception as error:  # noqa: BLE001 - a job must end with a status, never hang "running"
                log.exception("training job failed")
                self._fail(f"Training failed unexpectedly ({type(error).__name__}: {error}).")
            finally:
                self.finished = time.time()

    def _train(self) -> None:
        from nnlab.analysis import predict
        from nnlab.architecture import count_params
        from nnlab.model import model_specs  # TensorFlow loads here, in the job's thread
        from nnlab.train import train

        self.dataset = self._load(self.config)
        if self._store is not None:
            self.run_id = self._saving(lambda: self._store.create(
                self.config, dataset_title=self.dataset.title, task=self.dataset.task,
                params=count_params(model_specs(self.config, self.dataset)), label=self.label))
        on_model = (lambda model: setattr(self, "snapshot", self._snapshot(model, self.dataset))) if self._snapshot else None
        result = train(self.config, self.dataset, on_epoch=self._on_epoch, on_progress=self._on_progress,
                       on_model=on_model, stop=self.stop_signal)
        if self.run_id:
            self._saving(lambda: self._store.finish(
                self.run_id, status=result.status, message=result.message, test=result.test,
                verdict=result.verdict.to_dict(), history=result.history,
                model=result.model if self._keep_model else None))
        if result.history:
            self.predictions = predict(result.model, self.dataset)
        self.result, self.message = result, result.message
        self.status = result.status  # last: pages treat the job as done from here on

    def _on_epoch(self, row: dict) -> None:
        self.history.append(row)
        if self.run_id:
            self._saving(lambda: self._store.save_history(self.run_id, list(self.history)))

    def _on_progress(self, epoch: int, done: int, total: int) -> None:
        self.progress = (epoch, done, total)

    def _saving(self, write):
        """Disk trouble must not end the training: note it and carry on."""
        try:
            return write()
        except OSError as error:
            note = f"Could not save the run ({error.strerror or error}); training continues unsaved."
            if note not in self.warnings:
                self.warnings.append(note)
            return None

    def _fail(self, message: str) -> None:
        self.status, self.message = "failed", message
        if self.run_id:
            self._saving(lambda: self._store.finish(self.run_id, status="failed", message=message,
                                                   history=list(self.history)))


class SweepJob(_Background):
    """Several runs one after another in one thread (a one-knob sweep); Stop ends the current run
    and the ones not begun end at once as "stopped"."""

    def __init__(self, jobs: list[TrainingJob]):
        self.jobs = jobs

    @property
    def done(self) -> bool:
        return all(job.done for job in self.jobs)

    def stop(self) -> None:
        for job in self.jobs:
            job.stop()

    def run(self) -> None:
        for job in self.jobs:
            job.run()
