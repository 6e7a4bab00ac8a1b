"""The learning-rate plan as a hook of the Trainer (training/hooks.py): each epoch's rate from the plan
(nnlab/lr_schedule.py, no TensorFlow) put into the optimizer before the epoch, and a rate set by
hand during the run."""
from __future__ import annotations

import threading

from nnlab.training.hooks import Hook
from nnlab.config.lr_schedule import LearningRatePlan


class LearningRates(Hook):
    """The Trainer's hook for the rate: puts each epoch's rate into `optimizer` before the epoch, and a
    rate set by hand (from another thread, `set`) from the next batch on; `epochs_done()` counts the
    run's completed epochs. `_lock` guards the plan, `rate` and the optimizer's rate: the training
    thread and a page change them."""

    def __init__(self, config, optimizer, epochs_done):
        self.plan = LearningRatePlan(config)
        self._optimizer, self._epochs_done = optimizer, epochs_done
        self._lock = threading.Lock()
        self.rate = config.learning_rate  # the rate in the optimizer, as a Python number (the history's)

    def on_epoch_begin(self, epoch: int) -> None:
        with self._lock:
            rate = self.plan.at(epoch)
            if rate != self.rate or epoch == 1:  # Keras' rate setter costs ≈0.8 ms: a 2-D epoch's tenth
                self._put(rate)

    def set(self, rate: float) -> None:
        """Train at `rate` from now on: from the next batch of the epoch in flight (its history row
        records the new rate), replacing any schedule for the rest of the run."""
        with self._lock:
            self.plan.set_from(self._epochs_done() + 1, rate)
            self._put(rate)

    def _put(self, rate: float) -> None:
        self.rate = rate
        self._optimizer.learning_rate = rate
