"""The learning-rate finder as a background job: it trains, so on a shared server it is one request
to the scheduler like a run (one per visitor, a slot in arrival order), counts against the compute
budget, and stops if nobody watches it (serving/slot_work.py). A job never calls Streamlit.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

from nnlab.training import lr_finder
from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.serving.scheduler import Scheduler
from nnlab.serving.slot_work import SlotWork
from nnlab.core.status import FINISHED, Status
from nnlab.training.stop_signal import StopSignal

log = logging.getLogger(__name__)
PROGRESS_NEWS_SECONDS = 0.25  # batch progress is published at most this often (the live route's pace)


class FinderJob(SlotWork):
    """One range test. `result` is a lr_finder.FinderResult once `status` is COMPLETED; a UserError's
    text (or the kind of an unexpected error) is in `message` when it FAILED. Its bulletin is published as it
    starts, as its batches go (at most every PROGRESS_NEWS_SECONDS) and as it ends: the page's live progress."""

    live_view = "finder"

    def __init__(self, config: RunConfig, load: Callable[[RunConfig], object], *, owner: str = "",
                 scheduler: Scheduler | None = None, abandon_seconds: float | None = None,
                 steps: int = lr_finder.STEPS):
        super().__init__(owner, scheduler, abandon_seconds)
        self.config, self._load, self.steps = config, load, steps
        self.dataset = None
        self.stop_signal = StopSignal()
        self.status, self.message, self.result = Status.QUEUED, "", None
        self.progress = 0  # mini-batches done
        self._progress_news_at = 0.0

    @property
    def members(self) -> list:
        return []  # no runs: nothing to save, beat or end one by one

    @property
    def done(self) -> bool:
        return self.status in FINISHED

    def stop(self) -> None:
        self.stop_signal.set()
        self._scheduler.cancel(self)

    def eta(self) -> float | None:
        return None  # the queue estimates from recent holds

    def run(self) -> None:
        try:
            super().run()
            if not self.done:  # left the queue before its turn
                self.status = Status.ABANDONED if self.abandoned else Status.STOPPED
                self.message = "Stopped before the test began."
        finally:
            self.bulletin.publish()  # ended: its live view tells the page (one rerun: the curve)

    def _queue_up(self) -> None:
        if self.dataset is None:
            self.dataset = self._load(self.config)
        lr_finder.check_budget(self.config, self.dataset, self.steps)
        self._scheduler.enqueue(self)
        self._queued = True
        self.touch()
        self.bulletin.publish()  # queued: a live view's first answer has a version to wait on

    def _train(self) -> None:
        self.status = Status.RUNNING
        self.bulletin.publish()
        try:
            self.result = lr_finder.find_learning_rate(self.config, self.dataset, steps=self.steps,
                                                       stop=self.stop_signal, on_step=self._on_step)
        except Exception as error:  # noqa: BLE001 - a job must end with a status, never hang "running"
            self._fail_all(error)
            return
        self.message = self.result.message
        self.status = (Status.ABANDONED if self.abandoned else Status.STOPPED) if self.stop_signal.is_set() \
            else Status.COMPLETED

    def _on_step(self, done: int, _total: int) -> None:
        self.progress = done
        now = time.monotonic()
        if now - self._progress_news_at >= PROGRESS_NEWS_SECONDS:
            self._progress_news_at = now
            self.bulletin.publish()

    def _fail_all(self, error: Exception) -> None:
        if not isinstance(error, UserError):
            log.error("learning-rate finder failed", exc_info=error)
        # The text of an unexpected error can name server files: the visitor gets its kind only.
        self.message = str(error) if isinstance(error, UserError) else \
            f"The learning-rate finder failed unexpectedly ({type(error).__name__})."
        self.status = Status.FAILED
        self.bulletin.publish()
