"""The stop/step gate: what the compiled training loop asks before every batch, "may I go on?".

Two TensorFlow variables are read inside the loop: the stop flag (set by a Stop, the run's end, or a
StopSignal from another thread) and the step limit (the loop trains while the optimizer's step count
is below it). Step mode sets the limit: pause() to the steps taken, a step one batch or the rest of
the epoch further, resume() out of reach. Between two compiled calls the Trainer waits here while
paused at the limit (`hold`), counting the paused time: a paused run keeps a training slot, so it
ends after `max_pause_seconds` in all, steps included (a step does not restart the clock).

Thread-shared state, all owned here: `_lock` guards `_paused`, `_limit`, `_closed` and the paused
time; `_wake` wakes a hold at once; `holding` is written by the training thread only.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from nnlab.training.stop_signal import StopSignal
from nnlab.core.tf_runtime import keras, tf

NO_LIMIT = 2 ** 62  # the step limit while not paused
HOLD_TICK = 0.25  # a hold looks at the pause limit this often (a step, resume or Stop wakes it at once)


class StepGate:
    """Stop and step mode for one run; `batches` per epoch, the steps counted by `optimizer`."""

    def __init__(self, optimizer, batches: int, *, stop: StopSignal | None = None,
                 on_hold: Callable[[int, int], None] | None = None,
                 max_pause_seconds: float | Callable[[], float] | None = None):
        self.check_signal(stop)
        self._optimizer, self._batches = optimizer, batches
        self._on_hold, self._max_pause = on_hold, max_pause_seconds
        self._stop_flag = tf.Variable(False, trainable=False)
        self._step_limit = tf.Variable(NO_LIMIT, dtype=tf.int64, trainable=False)
        self._signal = stop
        if stop is not None:
            stop.attach(self._stop_flag)
        self._lock = threading.Lock()  # pause/step/resume come from other threads while an epoch runs
        self._wake = threading.Event()
        self._paused, self._limit, self._closed = False, NO_LIMIT, False
        # (seconds of pauses that ended, when the pause in course began or None)
        self._paused_before, self._paused_since = 0.0, None
        self.holding = False  # paused and waiting between two batches (the owner has seen the epochs so far)

    @staticmethod
    def check_signal(stop) -> None:
        """A TypeError unless `stop` is None or a StopSignal (checked before a Trainer builds anything)."""
        if stop is not None and not isinstance(stop, StopSignal):
            raise TypeError(f"stop must be an nnlab.training.stop_signal.StopSignal, not {type(stop).__name__}: only a "
                            "StopSignal reaches into the compiled training loop")

    # --- read inside the compiled loop ----------------------------------------------------------

    @property
    def variables(self) -> list:
        """The variables the compiled loop reads here (the optimizer's step count aside)."""
        return [self._stop_flag, self._step_limit]

    def open_py(self):
        """A boolean tensor, for the compiled loop before each batch: no Stop and below the step limit."""
        return tf.logical_and(tf.logical_not(self._stop_flag.read_value()),
                              tf.convert_to_tensor(self._optimizer.iterations) < self._step_limit.read_value())

    # --- Stop -----------------------------------------------------------------------------------

    def stop_requested(self) -> bool:
        return bool(self._stop_flag.numpy())

    def close(self) -> None:
        """The run has ended: an epoch in flight in another thread ends within one batch, a hold at once;
        the StopSignal lets go of this run."""
        self._stop_flag.assign(True)
        if self._signal is not None:
            self._signal.detach(self._stop_flag)
        with self._lock:
            self._closed = True
        self._wake.set()

    # --- step mode ------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._paused and not self._closed

    def pause(self) -> None:
        """Hold training after the batch in flight, until step_batch(), step_epoch(), resume() or a Stop."""
        with self._lock:
            if not self._closed:
                self._paused = True
                if self._paused_since is None:
                    self._paused_since = time.monotonic()
                self._set_limit(self.steps_taken())

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._paused_since is not None:
                self._paused_before += time.monotonic() - self._paused_since
                self._paused_since = None
            self._set_limit(NO_LIMIT)

    def step_batch(self, seen: int | None = None) -> None:
        """While paused: train one more batch, then hold again. `seen`: the steps taken where the page
        that asked stood; the same page asking twice (a double click, a click delivered twice) or a
        page drawn before the last step then asks for no more than one step past what it showed."""
        with self._lock:
            if self._paused and not self._closed:
                start = max(self._limit, self.steps_taken()) if seen is None else seen
                self._set_limit(max(self._limit, start + 1))

    def step_epoch(self, seen: int | None = None) -> None:
        """While paused: train to the end of the epoch in progress (a whole epoch between two), then hold.
        Every epoch is exactly `batches` steps, so its end is the next multiple of them. `seen`: as in
        step_batch, one epoch past where the asking page stood, however often it asks."""
        with self._lock:
            if self._paused and not self._closed:
                start = max(self._limit, self.steps_taken()) if seen is None else seen
                self._set_limit(max(self._limit, (start // self._batches + 1) * self._batches))

    def paused_seconds(self) -> float:
        """Seconds spent paused in all, the steps trained while paused included."""
        with self._lock:  # a Resume between the two reads would count one pause twice
            since, before = self._paused_since, self._paused_before
        return before + (time.monotonic() - since if since is not None else 0.0)

    def steps_taken(self) -> int:
        return int(keras.ops.convert_to_numpy(self._optimizer.iterations))

    def hold(self, epoch: int, done: int) -> tuple[float, float | None]:
        """Between two batches: wait while paused with no step allowed. (Seconds waited, the pause
        limit in seconds if it was passed — the run should then end — else None.) Tells `on_hold`
        once per hold (the weights to look at have changed). A callable `max_pause_seconds` gives
        the limit as it stands, e.g. shorter while others wait."""
        if not self._at_limit():
            return 0.0, None
        held, over = time.perf_counter(), None
        if self._on_hold:
            self._on_hold(epoch, done)
        self.holding = True
        while self._at_limit() and not self.stop_requested():
            limit = self._max_pause() if callable(self._max_pause) else self._max_pause
            if limit is not None and self.paused_seconds() > limit:
                over = limit
                break
            self._wake.wait(HOLD_TICK)
            self._wake.clear()
        self.holding = False
        return time.perf_counter() - held, over

    def _at_limit(self) -> bool:
        return self._paused and self.steps_taken() >= self._limit

    def _set_limit(self, limit: int) -> None:
        self._limit = limit
        self._step_limit.assign(limit)
        self._wake.set()
