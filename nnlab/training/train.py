"""Trainer: one run, stepped an epoch at a time; train(config, dataset, …) → RunResult runs it through.

Why not `model.fit`: on networks of course size most of fit's time is per-step overhead in Python
and callbacks, not arithmetic (bench/speed.py). Here each chunk of an epoch runs as one compiled
TensorFlow loop over its mini-batches, which trains the course network ≈3× faster with the same
optimizer, batches and results (bench/speed.py). A StopSignal is seen inside that loop, so training
ends within one batch; the epoch it interrupts is dropped and every completed one kept.

The best epoch's weights (lowest validation loss) are copied whenever a new best comes, for
networks up to BEST_WEIGHTS_MAX_PARAMS, so a Stop can keep them (`stop(keep_best=True)`) and early
stopping can restore them.

Memory (bench/memory.py): the data enter the compiled loop as arguments, never as captured
constants, and the gradient functions Keras registers globally at each trace are removed after it,
so a finished run leaves nothing behind. Every run on one set of examples shares one set of tensors
and gathers its batches from them by index (nnlab/dataset_tensors.py): other seeds and training
sizes cost no copy.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import Dataset, load_dataset
from nnlab.training.dataset_tensors import DATASET_TENSORS, EVAL_BATCH, encoded
from nnlab.verdict.diagnose import Verdict, baseline_loss, diagnose
from nnlab.training.early_stopping import BestEpoch, EarlyStopping
from nnlab.core.jsonsafe import json_safe
from nnlab.config.lr_schedule import LearningRatePlan
from nnlab.training.model import build_model
from nnlab.config.settings import SETTINGS
from nnlab.core.status import Status
from nnlab.training.stop_signal import StopSignal
from nnlab.core.tasks import CLASSIFICATION, metric_names
from nnlab.core.tf_runtime import custom_gradient_names, forget_gradient_functions, keras, tf

CHUNKS_PER_EPOCH = 10  # progress reports (and Python round trips) per epoch
# An epoch expected to be this short runs as ONE compiled call with the validation pass and the
# layer statistics folded in: on a 2-D set the calls' fixed cost (≈0.25 ms each), not arithmetic,
# set the pace (bench/speed.py). Its cost is estimated from the batches (≈0.1 ms of overhead each)
# and the arithmetic (6 FLOPs per parameter per example at a pessimistic 5 GFLOP/s).
FOLD_SECONDS = 0.05
STATS_SAMPLE = 512  # training examples each epoch's gradient norms are measured on (the first ones, fixed)
# The weights' distribution per layer as TensorBoard draws it: minimum, the ±1.5σ, ±1σ and ±0.5σ
# points of a normal distribution, median, maximum (percentiles), keyed "w_0" … "w_100".
PERCENTILES = (0.0, 6.68, 15.87, 30.85, 50.0, 69.15, 84.13, 93.32, 100.0)
PERCENTILE_KEYS = tuple(f"w_{round(p)}" for p in PERCENTILES)
NO_LIMIT = 2 ** 62  # the step limit while not paused
# A copy of the best epoch's weights is kept for networks up to this size: 20 M float32 parameters
# are 80 MB per training run, beside the ≈1.3 GB an MNIST run peaks at on a 2.7 GB server. A copy
# is made on a new best only and costs ≈0.06 % of an epoch, measured side by side: 1.3 ms against
# 2.1 s for the course network on MNIST, 86 ms (57 MB) for 784-2048×4-10, whose epochs take minutes.
# Early stopping keeps them whatever the size: it was asked for.
BEST_WEIGHTS_MAX_PARAMS = 20_000_000


@dataclass
class RunResult:
    config: RunConfig
    history: list[dict]  # one dict per completed epoch, see `nnlab.tasks.metric_names`
    status: Status  # completed, stopped, early_stopped or diverged (or a status given to Trainer.stop)
    message: str  # why training ended, in words
    test: dict  # test-set figures: {"loss": …, "accuracy": …} or {"loss": …, "mae": …}
    verdict: Verdict
    params: int
    seconds_per_epoch: float
    task: str
    steps: int = 0  # gradient steps (mini-batches) taken, the partial epoch of a Stop included
    model: object | None = field(default=None, repr=False)

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    def to_dict(self) -> dict:
        """Everything but the model, as JSON-ready values (NaN and infinity become None)."""
        return {
            "status": self.status, "message": self.message, "epochs_run": self.epochs_run,
            "task": self.task, "history": json_safe(self.history), "test": json_safe(self.test),
            "verdict": self.verdict.to_dict(), "params": self.params, "steps": self.steps,
            "seconds_per_epoch": json_safe(self.seconds_per_epoch), "config": self.config.to_dict(),
        }


def make_optimizer(config: RunConfig):
    lr = config.learning_rate
    return {
        "sgd": lambda: keras.optimizers.SGD(lr),
        "sgd_momentum": lambda: keras.optimizers.SGD(lr, momentum=0.9),
        "adam": lambda: keras.optimizers.Adam(lr),
        "adamw": lambda: keras.optimizers.AdamW(lr),
        "rmsprop": lambda: keras.optimizers.RMSprop(lr),
        "adagrad": lambda: keras.optimizers.Adagrad(lr),
        "nadam": lambda: keras.optimizers.Nadam(lr),
        "lion": lambda: keras.optimizers.Lion(lr),
    }[config.optimizer]()


def make_loss(config: RunConfig, task: str):
    if task != CLASSIFICATION or config.loss == "mse":
        return keras.losses.MeanSquaredError()
    if config.encoding == "label":
        return keras.losses.SparseCategoricalCrossentropy()
    return keras.losses.CategoricalCrossentropy()


def target_encoding(config: RunConfig, task: str) -> str:
    """How targets are handed to the loss: "one_hot", "label" (class numbers) or "value" (regression)."""
    return config.encoding if task == CLASSIFICATION else "value"


def encode_targets(config: RunConfig, dataset: Dataset, y: np.ndarray) -> np.ndarray:
    """Targets as the loss wants them: one-hot rows, class numbers, or a column of values."""
    return encoded(y, target_encoding(config, dataset.task), dataset.n_classes)


class Trainer:
    """One run, stepped by its owner: `run_epoch()` until `done`, then `finish()` for the result.
    A scheduler can interleave several Trainers epoch by epoch, or end one with `stop(status)`."""

    def __init__(self, config: RunConfig, dataset: Dataset, *, stop: StopSignal | None = None,
                 on_progress: Callable[[int, int, int], None] | None = None,
                 on_pause: Callable[[int, int], None] | None = None,
                 max_pause_seconds: float | Callable[[], float] | None = None):
        if stop is not None and not isinstance(stop, StopSignal):
            raise TypeError(f"stop must be an nnlab.stop_signal.StopSignal, not {type(stop).__name__}: only a "
                            "StopSignal reaches into the compiled training loop")
        self.config, self.dataset = config, dataset
        self.history: list[dict] = []
        # Per completed epoch and Dense layer: {"epoch", "layer", "grad_norm", "w_0" … "w_100"}: the
        # norm of the training loss's gradient w.r.t. the layer's kernel on STATS_SAMPLE fixed training
        # examples (inference mode, penalties included), and the kernel's PERCENTILES.
        self.layer_stats: list[dict] = []
        self.status, self.message = Status.RUNNING, ""
        self._on_progress, self._on_pause, self._max_pause = on_progress, on_pause, max_pause_seconds
        self._lock = threading.Lock()  # stop() may come from another thread while an epoch runs
        self._classify = dataset.task == CLASSIFICATION
        self._metric, self._val_metric = metric_names(dataset.task)
        keras.utils.set_random_seed(config.seed)
        self.model = build_model(config, dataset)
        self._optimizer = make_optimizer(config)
        self._optimizer.build(self.model.trainable_variables)
        self.learning_rates = LearningRatePlan(config)  # each epoch's rate, put into the optimizer before it
        self._rate = config.learning_rate  # the rate in the optimizer, as a Python number
        self._loss_fn = make_loss(config, dataset.task)
        self._encoding = target_encoding(config, dataset.task)
        # (x, y) of all the examples, shared with every run on them; batches are gathered by index
        self.train_tensors = DATASET_TENSORS.training(dataset, self._encoding)
        self._batch_size = min(config.batch_size, dataset.n_train)
        self._batches = math.ceil(dataset.n_train / self._batch_size)
        self._chunk = max(1, math.ceil(self._batches / CHUNKS_PER_EPOCH))
        self._rng = np.random.default_rng(config.seed)
        self._best = EarlyStopping(config.early_stopping) if config.early_stopping \
            else BestEpoch(keep_weights=self.model.count_params() <= BEST_WEIGHTS_MAX_PARAMS)
        self._keep_best = False  # a Stop asked for the best epoch's weights
        self._stopped = False  # ended by stop(), maybe from another thread between two epochs
        self._result: RunResult | None = None
        self._stop_flag = tf.Variable(False, trainable=False)
        self._stop_signal = stop
        if stop is not None:
            stop.attach(self._stop_flag)
        # Step mode: the compiled loop trains while the optimizer's step count is below this limit;
        # pause() sets it to the current count, a step raises it by one batch or to the epoch's end.
        self._step_limit = tf.Variable(NO_LIMIT, dtype=tf.int64, trainable=False)
        self._paused, self._limit, self._wake = False, NO_LIMIT, threading.Event()
        # Paused time in total, steps included (a step does not restart the clock): (seconds of
        # pauses that ended, when the pause in course began or None).
        self._paused_before, self._paused_since = 0.0, None
        self.holding = False  # paused and waiting between two batches (the owner has seen the epochs so far)
        self.position = (1, 0)  # (epoch in progress, batches of it done); (n + 1, 0) between epochs
        self.partial: dict = {}  # the epoch in progress so far: batch, batches, loss and metric means
        self._kernels = [layer.kernel for layer in self.model.layers if isinstance(layer, keras.layers.Dense)]
        self._layer_names = [layer.name for layer in self.model.layers if isinstance(layer, keras.layers.Dense)]
        self._stats_sample = DATASET_TENSORS.sample(dataset, self._encoding, STATS_SAMPLE)
        x, y = self.train_tensors
        x_spec, y_spec = tf.TensorSpec((None, *x.shape[1:]), tf.float32), tf.TensorSpec((None, *y.shape[1:]), y.dtype)
        scalar = tf.TensorSpec((), tf.int32)
        train_spec = [x_spec, y_spec, tf.TensorSpec((None,), tf.int32), scalar, scalar]
        self._folded = dataset.n_val <= EVAL_BATCH and self._expected_epoch_seconds() < FOLD_SECONDS
        # The data are arguments, not captured constants: a graph that captured them would keep
        # them alive as long as the graph (see tf_runtime.forget_gradient_functions). autograph=False:
        # plain while_loops, faster to trace.
        if self._folded:
            self._val_tensors = next(DATASET_TENSORS.batches(dataset, "val", self._encoding))
            self._train_fn = tf.function(self._train_epoch_py, autograph=False,
                                         input_signature=[*train_spec, x_spec, y_spec, x_spec, y_spec])
            self._stats_fn = None
        else:
            self._train_fn = tf.function(self._train_batches_py, autograph=False, input_signature=train_spec)
            self._stats_fn = tf.function(self._layer_stats_py, autograph=False, input_signature=[x_spec, y_spec])
        self._traced: set[int] = set()
        self._evaluate_batch = tf.function(self._evaluate_batch_py, autograph=False, input_signature=[x_spec, y_spec])

    @property
    def done(self) -> bool:
        return self.status != Status.RUNNING

    @property
    def keeps_best_weights(self) -> bool:
        """Whether `stop(keep_best=True)` can put the best epoch's weights back (small enough a network)."""
        return self._best.keep_weights

    def run_epoch(self) -> dict | None:
        """Train one epoch; its history row (also appended to `history`), or None if a Stop
        landed during it (the partial epoch is dropped) or before it (stop() may come from another
        thread at any time). Ends the run on divergence, early stopping or the last epoch. While
        paused (step mode) it waits, between two batches, for a step, resume() or a Stop."""
        if self.done:
            if self._stopped:
                return None
            raise RuntimeError(f"this run has ended ({self.status}); call finish() for its result")
        epoch = len(self.history) + 1
        with self._lock:  # set_learning_rate may come from another thread
            self._rate = self.learning_rates.at(epoch)
            self._optimizer.learning_rate = self._rate
        started, waited = time.perf_counter(), 0.0
        order = tf.constant(self.dataset.train_index[self._rng.permutation(self.dataset.n_train)])
        sums, done, outputs = [0.0, 0.0, 0.0], 0, None
        while done < self._batches:
            waited += self._wait_while_paused(epoch, done)
            if self._stop_requested():
                break
            last = self._batches if self._folded else min(self._batches, done + self._chunk)
            extra = (*self._val_tensors, *self._stats_sample) if self._folded else ()
            outputs = self._train_fn(*self.train_tensors, order, tf.constant(done), tf.constant(last), *extra)
            self._forget_gradient_functions_once(self._train_fn)
            done = int(outputs[0])
            sums = [a + float(b) for a, b in zip(sums, outputs[1:4])]
            self.position = (epoch, done)
            self.partial = {"epoch": epoch, "batch": done, "batches": self._batches, "loss": sums[0] / max(sums[2], 1),
                            self._metric: self._mean_metric(sums[1], max(sums[2], 1))}
            if done < last and self._stop_requested():
                break  # a Stop ended the loop (the step limit returns to the wait above)
            if self._on_progress and done == last:
                self._on_progress(epoch, last, self._batches)
        if done < self._batches or self._stop_requested():
            self._end(Status.STOPPED, f"Stopped by you during epoch {epoch}; {len(self.history)} completed epoch(s) kept.")
            return None
        if self._folded:
            val_loss, val_score = float(outputs[4]), self._mean_metric(float(outputs[5]), self.dataset.n_val)
            norms, percentiles = outputs[6], outputs[7]
        else:
            val_loss, val_score = self._evaluate("val", stoppable=True)
            if self._stop_requested():  # a Stop during the validation pass: the epoch is dropped
                self._end(Status.STOPPED, f"Stopped by you during epoch {epoch}; {len(self.history)} completed "
                                          "epoch(s) kept.")
                return None
            norms, percentiles = self._stats_fn(*self._stats_sample)
            self._forget_gradient_functions_once(self._stats_fn)
        self._record_layer_stats(epoch, norms.numpy(), percentiles.numpy())
        row = {
            "epoch": epoch, "loss": sums[0] / sums[2], self._metric: self._mean_metric(sums[1], sums[2]),
            "val_loss": val_loss, self._val_metric: val_score, "learning_rate": float(self._rate),
            "seconds": time.perf_counter() - started - waited,
        }
        self.history.append(row)
        self.position, self.partial = (epoch + 1, 0), {}
        if not (math.isfinite(row["loss"]) and math.isfinite(val_loss)):
            self._end(Status.DIVERGED, f"Stopped at epoch {epoch}: the loss is no longer a number (the weights blew up).")
        elif self._best.update(val_loss, self.model.get_weights):
            self._end(Status.EARLY_STOPPED, (
                f"Early stopping after epoch {epoch}: no better validation loss for "
                f"{self._best.epochs_since_best} epochs; the weights of the best epoch ({self._best.best_epoch}) "
                "were restored."))
        elif epoch >= self.config.epochs:
            self._end(Status.COMPLETED, f"Trained all {self.config.epochs} epochs.")
        return row

    # --- step mode: slow motion for a projector ------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._paused and not self.done

    def pause(self) -> None:
        """Hold training after the batch in flight, until step_batch(), step_epoch(), resume() or a Stop."""
        with self._lock:
            if not self.done:
                self._paused = True
                if self._paused_since is None:
                    self._paused_since = time.monotonic()
                self._set_limit(self._steps_taken())

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._paused_since is not None:
                self._paused_before += time.monotonic() - self._paused_since
                self._paused_since = None
            self._set_limit(NO_LIMIT)

    def paused_seconds(self) -> float:
        """Seconds spent paused in all, the steps trained while paused included."""
        since = self._paused_since
        return self._paused_before + (time.monotonic() - since if since is not None else 0.0)

    def step_batch(self) -> None:
        """While paused: train one more batch, then hold again."""
        self._step(1)

    def step_epoch(self) -> None:
        """While paused: train to the end of the epoch in progress (a whole epoch between two), then hold.
        Every epoch is exactly `_batches` steps, so its end is the next multiple of them."""
        with self._lock:
            if self._paused and not self.done:
                self._set_limit((max(self._limit, self._steps_taken()) // self._batches + 1) * self._batches)

    def _step(self, batches: int) -> None:
        with self._lock:
            if self._paused and not self.done:
                self._set_limit(max(self._limit, self._steps_taken()) + batches)

    def _set_limit(self, limit: int) -> None:
        self._limit = limit
        self._step_limit.assign(limit)
        self._wake.set()

    def _steps_taken(self) -> int:
        return int(keras.ops.convert_to_numpy(self._optimizer.iterations))

    def _paused_at_limit(self) -> bool:
        return self._paused and self._steps_taken() >= self._limit

    def _pause_limit(self) -> float | None:
        return self._max_pause() if callable(self._max_pause) else self._max_pause

    def _wait_while_paused(self, epoch: int, done: int) -> float:
        """Between two batches: wait while paused with no step allowed; the seconds waited. Tells
        `on_pause` once per hold (the weights to look at have changed), and ends the run as stopped
        once it has been paused `max_pause_seconds` in all, steps included (a paused run keeps its
        training slot from others; a callable gives the limit as it stands, e.g. shorter while
        others wait)."""
        if not self._paused_at_limit():
            return 0.0
        held = time.perf_counter()
        if self._on_pause:
            self._on_pause(epoch, done)
        self.holding = True
        while self._paused_at_limit() and not self._stop_requested():
            limit = self._pause_limit()
            if limit is not None and self.paused_seconds() > limit:
                self.stop(message=(f"Stopped after {_minutes(limit)} paused in all (steps included): a paused run "
                                   f"holds a training slot others may be waiting for. Its {len(self.history)} "
                                   "completed epoch(s) are kept; train again to go on from scratch."))
                break
            self._wake.wait(0.25)
            self._wake.clear()
        self.holding = False
        return time.perf_counter() - held

    def set_learning_rate(self, rate: float) -> None:
        """Train at `rate` from now on: from the next batch of the epoch in flight (its history
        row records the new rate), replacing any schedule for the rest of the run."""
        SETTINGS["learning_rate"].check(rate)  # a ConfigError saying the allowed range
        with self._lock:
            self.learning_rates.set_from(len(self.history) + 1, rate)
            self._rate = rate
            self._optimizer.learning_rate = rate

    def stop(self, status: Status = Status.STOPPED, message: str | None = None, *, keep_best: bool = False) -> None:
        """End the run from outside, e.g. ABANDONED by a scheduler; an epoch in flight ends within
        one batch and is dropped. `keep_best`: finish() puts back the weights of the epoch with the
        lowest validation loss (if `keeps_best_weights`) before the test, and says so. Nothing
        happens if the run has already ended."""
        kept = len(self.history)
        if message is None:
            message = (f"Stopped by you after epoch {kept}; {kept} completed epoch(s) kept." if status == Status.STOPPED
                       else f"Ended ({status}) after {kept} completed epoch(s), which are kept.")
        with self._lock:  # keep_best belongs to the Stop that ends the run, not to a later one
            if not self.done:
                self._keep_best, self._stopped = keep_best, True
        self._end(status, message)

    def finish(self) -> RunResult:
        """The run's result, once it has ended: the best epoch's weights back if early stopping
        ended it or a Stop asked for them, figures on the test set and a verdict on the history."""
        if not self.done:
            raise RuntimeError("the run is still going: run_epoch() until done, or stop() it first")
        if self._result is None:
            if self.status == Status.EARLY_STOPPED and self._best.best_weights is not None:
                self.model.set_weights(self._best.best_weights)
            elif self._keep_best:
                self._restore_best()
            test_loss, test_score = self._evaluate("test")
            verdict = diagnose(self.history, task=self.dataset.task, chance=self.dataset.chance_accuracy,
                               baseline=baseline_loss(self.config.loss, self.dataset.task, self.dataset.n_classes),
                               config=self.config)  # the data set's reference and next steps for these settings
            seconds = [row["seconds"] for row in self.history]
            self._result = RunResult(
                config=self.config, history=self.history, status=self.status, message=self.message,
                test={"loss": test_loss, self._metric: test_score}, verdict=verdict, params=self.model.count_params(),
                seconds_per_epoch=float(np.mean(seconds)) if seconds else math.nan, task=self.dataset.task,
                steps=int(keras.ops.convert_to_numpy(self._optimizer.iterations)), model=self.model,
            )
            # Nothing runs after this: let the traced graphs go even if the owner keeps the
            # Trainer (a page's session keeps its finished job for a while).
            self._train_fn = self._stats_fn = self._evaluate_batch = None
        return self._result

    # --- inside ---------------------------------------------------------------------------------

    def _restore_best(self) -> None:
        """Put the best epoch's weights back after a Stop that asked for them; the message and that
        epoch's history row say so (its "restored" is 1)."""
        best, kept = self._best.best_epoch, len(self.history)
        if not best:
            self.message += " No epoch had a finite validation loss, so there were no best weights to keep."
        elif self._best.best_weights is None:
            self.message += (f" The weights of the best epoch ({best}) were not kept: this network has more than "
                             f"{BEST_WEIGHTS_MAX_PARAMS:,} parameters, so the last epoch's weights are tested.")
        else:
            self.model.set_weights(self._best.best_weights)
            self.history[best - 1]["restored"] = 1
            self.message += (f" Restored to epoch {best}, the lowest validation loss ({self._best.best_loss:.4g})"
                             + (": the model is tested and saved as it was then." if best < kept
                                else ", the last epoch itself."))

    def _end(self, status: Status, message: str) -> None:
        with self._lock:
            if self.done:
                return
            self._stop_flag.assign(True)  # an epoch in flight in another thread ends within one batch
            if self._stop_signal is not None:
                self._stop_signal.detach(self._stop_flag)
            self.status, self.message = status, message
            self._wake.set()  # a paused run sees it at once

    def _stop_requested(self) -> bool:
        return bool(self._stop_flag.numpy())

    def _forget_gradient_functions_once(self, function) -> None:
        """After a function's one trace (the input signature rules out others), drop the gradient
        functions Keras registered for it: they would keep this run's graph alive for good."""
        if id(function) not in self._traced:  # ids: the set must not keep the function's graph alive
            forget_gradient_functions(custom_gradient_names(function.get_concrete_function()))
            self._traced.add(id(function))

    def _expected_epoch_seconds(self) -> float:
        return self._batches * 1e-4 + 6 * self.dataset.n_train * self.model.count_params() / 5e9

    def _record_layer_stats(self, epoch: int, norms: np.ndarray, percentiles: np.ndarray) -> None:
        for name, norm, values in zip(self._layer_names, norms, percentiles):
            self.layer_stats.append({"epoch": epoch, "layer": name, "grad_norm": float(norm),
                                     **dict(zip(PERCENTILE_KEYS, map(float, values)))})

    def _score(self, y, pred):
        """Per-batch sum of correct answers, or of absolute errors for regression."""
        if not self._classify:
            return tf.reduce_sum(tf.abs(tf.cast(y, pred.dtype) - pred))
        truth = tf.argmax(y, axis=-1) if self._encoding == "one_hot" else tf.cast(y, tf.int64)
        return tf.reduce_sum(tf.cast(tf.equal(tf.argmax(pred, axis=-1), truth), tf.float32))

    def _loss(self, y, pred):
        loss = self._loss_fn(y, pred)
        penalties = self.model.losses  # L1 / L2 terms, counted in the loss as Keras' fit does
        return loss + tf.add_n(penalties) if penalties else loss

    def _train_step(self, x, y, order, i):
        index = order[i * self._batch_size:(i + 1) * self._batch_size]
        xb, yb = tf.gather(x, index), tf.gather(y, index)
        with tf.GradientTape() as tape:
            pred = self.model(xb, training=True)
            loss = self._loss(yb, pred)
        grads = tape.gradient(loss, self.model.trainable_variables)
        self._optimizer.apply(grads, self.model.trainable_variables)
        count = tf.cast(tf.shape(index)[0], tf.float32)
        return loss * count, self._score(yb, pred), count

    def _train_batches_py(self, x, y, order, first, last):
        """Train on batches first..last-1 of the shuffled order: (the batch it got to, sums of loss,
        score and count). Checks the stop flag and the step limit before every batch."""
        def keep_going(i, *_):
            return tf.logical_and(tf.logical_and(i < last, tf.logical_not(self._stop_flag.read_value())),
                                  tf.convert_to_tensor(self._optimizer.iterations) < self._step_limit.read_value())

        def body(i, loss_sum, score_sum, seen):
            loss, score, count = self._train_step(x, y, order, i)
            return i + 1, loss_sum + loss, score_sum + score, seen + count

        zero = tf.constant(0.0)
        return tf.while_loop(keep_going, body, (first, zero, zero, zero))

    def _train_epoch_py(self, x, y, order, first, last, x_val, y_val, x_sample, y_sample):
        """A short epoch in one call: the batches, then the validation pass and the layer statistics
        (wasted if a Stop or a pause cut the batches short: it is cheap where this is used)."""
        reached, loss_sum, score_sum, seen = self._train_batches_py(x, y, order, first, last)
        with tf.control_dependencies([reached, loss_sum]):  # after the last batch's update
            val_loss, val_score = self._evaluate_batch_py(x_val, y_val)
            norms, percentiles = self._layer_stats_py(x_sample, y_sample)
        return reached, loss_sum, score_sum, seen, val_loss / tf.cast(tf.shape(x_val)[0], tf.float32), val_score, \
            norms, percentiles

    def _layer_stats_py(self, x, y):
        """Per Dense layer: the norm of the loss's gradient w.r.t. its kernel on (x, y), and the
        kernel's PERCENTILES."""
        with tf.GradientTape() as tape:
            loss = self._loss(y, self.model(x, training=False))
        grads = tape.gradient(loss, self._kernels)
        norms = tf.stack([tf.norm(tf.convert_to_tensor(g)) for g in grads])
        percentiles = []
        for kernel in self._kernels:
            values = tf.sort(tf.reshape(tf.convert_to_tensor(kernel), [-1]))
            last = int(np.prod(kernel.shape)) - 1
            percentiles.append(tf.gather(values, [round(p / 100 * last) for p in PERCENTILES]))
        return norms, tf.stack(percentiles)

    def _evaluate_batch_py(self, x, y):
        pred = self.model(x, training=False)
        count = tf.cast(tf.shape(x)[0], tf.float32)
        return self._loss(y, pred) * count, self._score(y, pred)

    def _evaluate(self, split: str, stoppable: bool = False) -> tuple[float, float]:
        """(mean loss, accuracy or mean absolute error in the target's units) over "val" or "test".
        `stoppable`: a Stop ends it between two batches (the figures are then of the part done):
        a big validation split on a big network must not hold a Stop for minutes."""
        loss_sum = score_sum = count = 0.0
        for xb, yb in DATASET_TENSORS.batches(self.dataset, split, self._encoding):
            if stoppable and count and self._stop_requested():
                break
            loss, score = self._evaluate_batch(xb, yb)
            loss_sum, score_sum, count = loss_sum + float(loss), score_sum + float(score), count + int(xb.shape[0])
        return loss_sum / count, self._mean_metric(score_sum, count)

    def _mean_metric(self, score_sum: float, count: float) -> float:
        mean = score_sum / count
        return mean if self._classify else mean * self.dataset.target_std


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.3g} minute{'' if seconds == 60 else 's'}" if seconds >= 60 else f"{seconds:.3g} seconds"


def train(
    config: RunConfig,
    dataset: Dataset | None = None,
    *,
    on_epoch: Callable[[dict], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
    on_model: Callable[[object], None] | None = None,
    stop: StopSignal | None = None,
) -> RunResult:
    """Train one run to its end. `on_epoch(row)` gets each finished epoch's figures;
    `on_progress(epoch, batches_done, batches_total)` is called a few times within each epoch;
    `on_model(model)` after each epoch, to look at the model as it learns; setting `stop` ends
    training within one batch, keeping every completed epoch."""
    trainer = Trainer(config, dataset if dataset is not None else load_dataset(config), stop=stop, on_progress=on_progress)
    try:
        while not trainer.done:
            row = trainer.run_epoch()
            if row is not None:
                if on_epoch:
                    on_epoch(dict(row))
                if on_model:
                    on_model(trainer.model)
    except BaseException as error:  # let go of the StopSignal; the error itself goes on up
        trainer.stop(Status.FAILED, f"Training failed ({type(error).__name__}: {error}).")
        raise
    return trainer.finish()
