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
so a finished run leaves nothing behind but its compiled graphs, kept for the next run of its shape (at most
16 of them in a process, for networks up to 250,000 parameters: training/shared_traces.py; they hold no run
and no data). Every run on one set of examples shares one set of tensors
and gathers its batches from them by index (nnlab/dataset_tensors.py): other seeds and training
sizes cost no copy.
"""
from __future__ import annotations

import json
import math
import threading
import time
from typing import Callable

import numpy as np

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import Dataset, load_dataset
from nnlab.training.dataset_tensors import DATASET_TENSORS, EVAL_BATCH
from nnlab.verdict.diagnose import baseline_loss, diagnose
from nnlab.training.early_stopping import BestEpoch, EarlyStopping
from nnlab.training.hooks import Ending
from nnlab.training.layer_stats import PERCENTILE_KEYS, STATS_SAMPLE, LayerStatistics  # noqa: F401 - named here too
from nnlab.training.learning_rates import LearningRates
from nnlab.training.model import build_model
from nnlab.training.run_result import RunResult  # noqa: F401 - named here too (its home has no TensorFlow)
from nnlab.config.settings import SETTINGS
from nnlab.core.status import Status
from nnlab.training.step_gate import StepGate
from nnlab.training.stop_signal import StopSignal
from nnlab.core.tasks import CLASSIFICATION, metric_names
from nnlab.core.tf_runtime import seed_python_and_numpy, tf
from nnlab.training.shared_traces import MAX_SHARED_PARAMS, TracedCall
from nnlab.training.training_step import (TrainingStep, encode_targets, make_loss, make_optimizer,  # noqa: F401 - the
                                 target_encoding)  # Trainer's step, named here for its callers

CHUNKS_PER_EPOCH = 10  # progress reports (and Python round trips) per epoch
# An epoch expected to be this short runs as ONE compiled call with the validation pass and the
# layer statistics folded in: on a 2-D set the calls' fixed cost (≈0.25 ms each), not arithmetic,
# set the pace (bench/speed.py). Its cost is estimated from the batches (≈0.1 ms of overhead each)
# and the arithmetic (6 FLOPs per parameter per example at a pessimistic 5 GFLOP/s).
FOLD_SECONDS = 0.05
# A step of up to this many FLOPs (6 per parameter per example) runs its operations in turn on the training
# thread (TensorFlow's single-threaded executor, shared_traces.TracedCall): their scheduling over the thread pool
# cost more than it gave. Measured side by side, s/epoch on MNIST: course network at batch 32 (3 MFLOP a step)
# ×1.4 faster, 784-128-10 at 32 (20 MFLOP) ×1.1, 64-64 with batch norm at 64 (21 MFLOP) ×1.2; 784-256-256-10 at
# 32 (52 MFLOP) ×0.8 and 784-512-512-10 at 128 (515 MFLOP) ×0.7, where the pool runs a layer's two gradient
# products at once; 784-128-10 at 128 (78 MFLOP) even. Every short (folded) epoch does too: spiral ×1.8.
SINGLE_THREADED_STEP_FLOPS = 25e6
# A copy of the best epoch's weights is kept for networks up to this size: 20 M float32 parameters
# are 80 MB per training run, beside the ≈1.3 GB an MNIST run peaks at on a 2.7 GB server. A copy
# is made on a new best only and costs ≈0.06 % of an epoch, measured side by side: 1.3 ms against
# 2.1 s for the course network on MNIST, 86 ms (57 MB) for 784-2048×4-10, whose epochs take minutes.
# Early stopping keeps them whatever the size: it was asked for.
BEST_WEIGHTS_MAX_PARAMS = 20_000_000
# Settings that never change a compiled call's graph: they live in variables (seed: the initial weights and
# dropout's state; the learning rate; the L1/L2 rates, whether any is on being in the key) or outside the
# graphs, or they choose the data, which are arguments (their shapes are in the key).
RUNTIME_SETTINGS = ("seed", "learning_rate", "lr_schedule", "lr_decay", "lr_decay_epochs", "warmup_epochs", "epochs",
                    "early_stopping", "l1", "l2", "dataset", "train_size", "validation_fraction", "test_fraction",
                    "noise", "samples", "csv_path", "target")


class Trainer:
    """One run, stepped by its owner: `run_epoch()` until `done`, then `finish()` for the result.
    A scheduler can interleave several Trainers epoch by epoch, or end one with `stop(status)`.

    The loop below trains, validates and writes the history row; the features around it are hooks
    (training/hooks.py): `best` (the best epoch's weights, early stopping), `statistics` (layer
    statistics), `rates` (the learning-rate plan) and `gate` (Stop and step mode, read inside the
    compiled loop).

    Threads: the training thread runs run_epoch() and finish(); any other thread may call stop(),
    set_learning_rate(), set_penalties(), pause(), resume(), step_batch() and step_epoch(). Who guards what:
    `_lock` here: `status`, `message`, `best.restore_at_end`, `_stopped` (one ending wins) and the
    penalties asked for the next epoch; the
    gate's lock: pause, step limit, paused time (lock order: this one, then the gate's); the rates'
    lock: the plan and the optimizer's rate. `history`, `layer_stats`, `position` and `partial` are
    written by the training thread only (appended, or replaced whole) and read by others."""

    def __init__(self, config: RunConfig, dataset: Dataset, *, stop: StopSignal | None = None,
                 on_progress: Callable[[int, int, int], None] | None = None,
                 on_pause: Callable[[int, int], None] | None = None,
                 max_pause_seconds: float | Callable[[], float] | None = None):
        StepGate.check_signal(stop)
        self.config, self.dataset = config, dataset
        self.history: list[dict] = []
        self.status, self.message = Status.RUNNING, ""
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self._stopped = False  # ended by stop(), maybe from another thread between two epochs
        self._result: RunResult | None = None
        self._metric, self._val_metric = metric_names(dataset.task)
        seed_python_and_numpy(config.seed)
        self.model = build_model(config, dataset)
        self.step = TrainingStep(self.model, config, dataset.task)
        self._optimizer = self.step.optimizer
        # (x, y) of all the examples, shared with every run on them; batches are gathered by index
        self.train_tensors = DATASET_TENSORS.training(dataset, self.step.encoding)
        self._batch_size = min(config.batch_size, dataset.n_train)
        self._batches = math.ceil(dataset.n_train / self._batch_size)
        self._chunk = max(1, math.ceil(self._batches / CHUNKS_PER_EPOCH))
        self._rng = np.random.default_rng(config.seed)
        self._new_penalties: tuple[float, float] | None = None  # asked for by another thread, for the next epoch
        # --- the hooks ---
        self.best = EarlyStopping(config.early_stopping, model=self.model) if config.early_stopping else \
            BestEpoch(self.model.count_params() <= BEST_WEIGHTS_MAX_PARAMS, model=self.model,
                      max_params=BEST_WEIGHTS_MAX_PARAMS)
        self.statistics = LayerStatistics(self.model, self.step.loss, dataset, self.step.encoding)
        self.layer_stats = self.statistics.rows  # see nnlab/layer_stats.py
        self.rates = LearningRates(config, self._optimizer, lambda: len(self.history))
        self.gate = StepGate(self._optimizer, self._batches, stop=stop, on_hold=on_pause,
                             max_pause_seconds=max_pause_seconds)
        self.hooks = [self.rates, self.best]  # called at each epoch's begin and end, in this order
        self.position = (1, 0)  # (epoch in progress, batches of it done); (n + 1, 0) between epochs
        self.partial: dict = {}  # the epoch in progress so far: batch, batches, loss and metric means
        self._compile()

    def _compile(self) -> None:
        """The compiled calls, traced on first use or taken from an earlier run of the same shape
        (training/shared_traces.py). The data are arguments, not captured constants: a graph that captured
        them would keep them alive as long as the graph (see tf_runtime.forget_gradient_functions)."""
        x, y = self.train_tensors
        x_spec, y_spec = tf.TensorSpec((None, *x.shape[1:]), tf.float32), tf.TensorSpec((None, *y.shape[1:]), y.dtype)
        scalar = tf.TensorSpec((), tf.int32)
        train_spec = [x_spec, y_spec, tf.TensorSpec((None,), tf.int32), scalar, scalar]
        self._folded = self.dataset.n_val <= EVAL_BATCH and self._expected_epoch_seconds() < FOLD_SECONDS
        shape = self._trace_key(x_spec, y_spec)
        variables = [*self.model.variables, *self._optimizer.variables, *self.step.variables, *self.gate.variables]

        single_threaded = self._folded or self._step_flops() <= SINGLE_THREADED_STEP_FLOPS

        def compiled(piece: str, python_function, signature):
            return TracedCall(python_function, signature, variables, key=shape and (piece, shape),
                              single_threaded=single_threaded)

        if self._folded:
            self._val_tensors = next(DATASET_TENSORS.batches(self.dataset, "val", self.step.encoding))
            self._train_fn = compiled("epoch", self._train_epoch_py, [*train_spec, x_spec, y_spec, x_spec, y_spec])
            self._stats_fn = None
        else:
            self._train_fn = compiled("batches", self._train_batches_py, train_spec)
            self._stats_fn = compiled("statistics", self.statistics.measure_py, [x_spec, y_spec])
        self._evaluate_batch = compiled("evaluate", self.step.evaluate_py, [x_spec, y_spec])

    def _trace_key(self, x_spec, y_spec) -> tuple | None:
        """What the compiled calls' graphs depend on beyond the variables they read, or None if they are not
        to be shared (a large network). The settings that only live in variables or outside the graphs
        (seed, learning rate and its plan, L1/L2 rates, epochs, early stopping) and those of the data (given
        as arguments; their shapes are in the key) are left out; any other setting is in."""
        if self.model.count_params() > MAX_SHARED_PARAMS:
            return None
        settings = self.config.to_dict()
        for name in RUNTIME_SETTINGS:
            settings.pop(name, None)
        return (json.dumps(settings, sort_keys=True, default=str), str(x_spec), str(y_spec), self.dataset.task,
                self._batch_size, self._folded, self.step.penalized)

    @property
    def done(self) -> bool:
        return self.status != Status.RUNNING

    @property
    def keeps_best_weights(self) -> bool:
        """Whether `stop(keep_best=True)` can put the best epoch's weights back (small enough a network)."""
        return self.best.keep_weights

    # --- the loop -------------------------------------------------------------------------------

    def run_epoch(self) -> dict | None:
        """Train one epoch; its history row (also appended to `history`), or None if a Stop
        landed during it (the partial epoch is dropped) or before it (stop() may come from another
        thread at any time). Ends the run on divergence, a hook's ending or the last epoch. While
        paused (step mode) it waits, between two batches, for a step, resume() or a Stop."""
        if self.done:
            if self._stopped:
                return None
            raise RuntimeError(f"this run has ended ({self.status}); call finish() for its result")
        epoch = len(self.history) + 1
        self._take_new_penalties()
        for hook in self.hooks:
            hook.on_epoch_begin(epoch)
        started = time.perf_counter()
        outputs, sums, waited = self._train_batches(epoch)
        if outputs is None:
            self._end_stopped(epoch)
            return None
        if self._folded:
            val_loss, val_score = float(outputs[4]), self._mean_metric(float(outputs[5]), self.dataset.n_val)
            norms, percentiles = outputs[6], outputs[7]
        else:
            val_loss, val_score = self._evaluate("val", stoppable=True)
            if self.gate.stop_requested():  # a Stop during the validation pass: the epoch is dropped
                self._end_stopped(epoch)
                return None
            norms, percentiles = self._stats_fn(*self.statistics.sample)
        self.statistics.record(epoch, norms.numpy(), percentiles.numpy())
        row = {
            "epoch": epoch, "loss": sums[0] / sums[2], self._metric: self._mean_metric(sums[1], sums[2]),
            "val_loss": val_loss, self._val_metric: val_score, "learning_rate": float(self.rates.rate),
            "l1": self.step.penalties[0], "l2": self.step.penalties[1],
            "seconds": time.perf_counter() - started - waited,
        }
        with self._lock:  # a Stop that came after the epoch's last batch drops it, as one within it does: the
            if self.done:  # epochs its message counts are the epochs kept
                return None
            self.history.append(row)
        self.position, self.partial = (epoch + 1, 0), {}
        self._end_after(epoch, row)
        return row

    def _train_batches(self, epoch: int) -> tuple[tuple | None, list[float], float]:
        """The epoch's batches, in compiled calls (one if folded, else CHUNKS_PER_EPOCH), holding
        between two batches while paused: (the last call's outputs, or None if a Stop cut the epoch
        short; the sums of loss, score and count; the seconds held)."""
        order = tf.constant(self.dataset.train_index[self._rng.permutation(self.dataset.n_train)])
        sums, done, outputs, waited = [0.0, 0.0, 0.0], 0, None, 0.0
        while done < self._batches:
            waited += self._hold(epoch, done)  # a Stop meanwhile: the call below trains no batch and ends the loop
            last = self._batches if self._folded else min(self._batches, done + self._chunk)
            extra = (*self._val_tensors, *self.statistics.sample) if self._folded else ()
            outputs = self._train_fn(*self.train_tensors, order, tf.constant(done), tf.constant(last), *extra)
            done = int(outputs[0])
            sums = [a + float(b) for a, b in zip(sums, outputs[1:4])]
            self.position = (epoch, done)
            self.partial = {"epoch": epoch, "batch": done, "batches": self._batches, "loss": sums[0] / max(sums[2], 1),
                            self._metric: self._mean_metric(sums[1], max(sums[2], 1))}
            if done < last and self.gate.stop_requested():
                break  # a Stop ended the loop (the step limit returns to the hold above)
            if self._on_progress and done == last:
                self._on_progress(epoch, last, self._batches)
        if done < self._batches or self.gate.stop_requested():
            return None, sums, waited
        return outputs, sums, waited

    def _hold(self, epoch: int, done: int) -> float:
        """The gate's hold while paused; past the pause limit the run ends as stopped."""
        waited, over = self.gate.hold(epoch, done)
        if over is not None:
            self.stop(message=(f"Stopped after {_minutes(over)} paused in all (steps included): a paused run "
                               f"holds a training slot others may be waiting for. Its {len(self.history)} "
                               "completed epoch(s) are kept; train again to go on from scratch."))
        return waited

    def _end_after(self, epoch: int, row: dict) -> None:
        """A diverged loss, a hook's ending, or the last epoch ends the run."""
        if not (math.isfinite(row["loss"]) and math.isfinite(row["val_loss"])):
            self._end(Status.DIVERGED, f"Stopped at epoch {epoch}: the loss is no longer a number (the weights blew up).")
            return
        for hook in self.hooks:
            ending: Ending | None = hook.on_epoch_end(epoch, row)
            if ending is not None:
                self._end(ending.status, ending.message)
                return
        if epoch >= self.config.epochs:
            self._end(Status.COMPLETED, f"Trained all {self.config.epochs} epochs.")

    def _end_stopped(self, epoch: int) -> None:
        self._end(Status.STOPPED, f"Stopped by you during epoch {epoch}; {len(self.history)} completed epoch(s) kept.")

    # --- from other threads -------------------------------------------------------------------
    # Step mode, slow motion for a projector: the gate (nnlab/step_gate.py) holds the compiled loop.

    @property
    def paused(self) -> bool:
        return self.gate.paused

    @property
    def holding(self) -> bool:
        """Paused and waiting between two batches (the owner has seen the epochs so far)."""
        return self.gate.holding

    def pause(self) -> None:
        """Hold training after the batch in flight, until step_batch(), step_epoch(), resume() or a Stop."""
        self.gate.pause()

    def resume(self) -> None:
        self.gate.resume()

    def paused_seconds(self) -> float:
        """Seconds spent paused in all, the steps trained while paused included."""
        return self.gate.paused_seconds()

    def step_batch(self, seen: int | None = None) -> None:
        """While paused: train one more batch, then hold again (`seen`: see StepGate.step_batch)."""
        self.gate.step_batch(seen)

    def step_epoch(self, seen: int | None = None) -> None:
        """While paused: train to the end of the epoch in progress (a whole epoch between two), then hold."""
        self.gate.step_epoch(seen)

    @property
    def steps_taken(self) -> int:
        """Gradient steps taken so far (what a step button's page saw)."""
        return self.gate.steps_taken()

    def set_learning_rate(self, rate: float) -> None:
        """Train at `rate` from now on: from the next batch of the epoch in flight (its history
        row records the new rate), replacing any schedule for the rest of the run."""
        SETTINGS["learning_rate"].check(rate)  # a ConfigError saying the allowed range
        self.rates.set(rate)

    def set_penalties(self, l1: float | None = None, l2: float | None = None) -> None:
        """Train with these L1 / L2 rates from the next epoch on (None: unchanged), as Playground's
        regularization rate changes while it trains; each epoch's history row records its rates. The
        next epoch, not the next batch: a run that had no penalty compiles its step again to count one."""
        with self._lock:
            now = self._new_penalties or self.step.penalties
            asked = (now[0] if l1 is None else l1, now[1] if l2 is None else l2)
            for name, value in zip(("l1", "l2"), asked):
                SETTINGS[name].check(value)  # a ConfigError saying the allowed range
            self._new_penalties = asked

    def _take_new_penalties(self) -> None:
        with self._lock:
            asked, self._new_penalties = self._new_penalties, None
        if asked is not None and self.step.set_penalties(*asked):
            self._compile()

    def stop(self, status: Status = Status.STOPPED, message: str | Callable[[int], str] | None = None, *,
             keep_best: bool = False) -> None:
        """End the run from outside, e.g. ABANDONED by a scheduler; an epoch in flight ends within
        one batch and is dropped. `message`: the words, or made from the number of epochs kept (counted as
        the run ends, so that an epoch ending meanwhile is not miscounted). `keep_best`: finish() puts back
        the weights of the epoch with the lowest validation loss (if `keeps_best_weights`) before the test,
        and says so. Nothing happens if the run has already ended."""
        with self._lock:  # keep_best belongs to the Stop that ends the run, not to a later one
            if self.done:
                return
            self.best.restore_at_end, self._stopped = keep_best, True
            kept = len(self.history)
            if message is None:
                message = (f"Stopped by you after epoch {kept}; {kept} completed epoch(s) kept."
                           if status == Status.STOPPED else f"Ended ({status}) after {kept} completed epoch(s), which are kept.")
            self._end_locked(status, message(kept) if callable(message) else message)

    def _end(self, status: Status, message: str) -> None:
        with self._lock:
            self._end_locked(status, message)

    def _end_locked(self, status: Status, message: str) -> None:
        if self.done:
            return
        self.gate.close()  # an epoch in flight in another thread ends within one batch; a hold at once
        self.status, self.message = status, message

    # --- the end --------------------------------------------------------------------------------

    def finish(self) -> RunResult:
        """The run's result, once it has ended: the best epoch's weights back if early stopping
        ended it or a Stop asked for them, figures on the test set and a verdict on the history."""
        if not self.done:
            raise RuntimeError("the run is still going: run_epoch() until done, or stop() it first")
        if self._result is None:
            for hook in self.hooks:
                self.message += hook.on_train_end(self.model, self.history, self.status)
            test_loss, test_score = self._evaluate("test")
            verdict = diagnose(self.history, task=self.dataset.task, chance=self.dataset.chance_accuracy,
                               baseline=baseline_loss(self.config.loss, self.dataset.task, self.dataset.n_classes),
                               config=self.config)  # the data set's reference and next steps for these settings
            seconds = [row["seconds"] for row in self.history]
            self._result = RunResult(
                config=self.config, history=self.history, status=self.status, message=self.message,
                test={"loss": test_loss, self._metric: test_score}, verdict=verdict, params=self.model.count_params(),
                seconds_per_epoch=float(np.mean(seconds)) if seconds else math.nan, task=self.dataset.task,
                steps=self.gate.steps_taken(), model=self.model,
            )
            # Nothing runs after this: let the traced graphs go even if the owner keeps the
            # Trainer (a page's session keeps its finished job for a while).
            self._train_fn = self._stats_fn = self._evaluate_batch = None
        return self._result

    # --- compiled pieces ------------------------------------------------------------------------

    def _expected_epoch_seconds(self) -> float:
        return self._batches * 1e-4 + 6 * self.dataset.n_train * self.model.count_params() / 5e9

    def _step_flops(self) -> float:
        return 6 * self._batch_size * self.model.count_params()

    def _train_batches_py(self, x, y, order, first, last):
        """Train on batches first..last-1 of the shuffled order: (the batch it got to, sums of loss,
        score and count). Asks the gate (Stop, step limit) before every batch."""
        def keep_going(i, *_):
            return tf.logical_and(i < last, self.gate.open_py())

        def body(i, loss_sum, score_sum, seen):
            index = order[i * self._batch_size:(i + 1) * self._batch_size]
            yb = tf.gather(y, index)
            loss, pred = self.step.apply(tf.gather(x, index), yb)
            count = tf.cast(tf.shape(index)[0], tf.float32)
            return i + 1, loss_sum + loss * count, score_sum + self.step.score(yb, pred), seen + count

        zero = tf.constant(0.0)
        return tf.while_loop(keep_going, body, (first, zero, zero, zero))

    def _train_epoch_py(self, x, y, order, first, last, x_val, y_val, x_sample, y_sample):
        """A short epoch in one call: the batches, then the validation pass and the layer statistics
        (wasted if a Stop or a pause cut the batches short: it is cheap where this is used)."""
        reached, loss_sum, score_sum, seen = self._train_batches_py(x, y, order, first, last)
        with tf.control_dependencies([reached, loss_sum]):  # after the last batch's update
            val_loss, val_score = self.step.evaluate_py(x_val, y_val)
            norms, percentiles = self.statistics.measure_py(x_sample, y_sample)
        return reached, loss_sum, score_sum, seen, val_loss / tf.cast(tf.shape(x_val)[0], tf.float32), val_score, \
            norms, percentiles

    def _evaluate(self, split: str, stoppable: bool = False) -> tuple[float, float]:
        """(mean loss, accuracy or mean absolute error in the target's units) over "val" or "test".
        `stoppable`: a Stop ends it between two batches (the figures are then of the part done):
        a big validation split on a big network must not hold a Stop for minutes."""
        loss_sum = score_sum = count = 0.0
        for xb, yb in DATASET_TENSORS.batches(self.dataset, split, self.step.encoding):
            if stoppable and count and self.gate.stop_requested():
                break
            loss, score = self._evaluate_batch(xb, yb)
            loss_sum, score_sum, count = loss_sum + float(loss), score_sum + float(score), count + int(xb.shape[0])
        return loss_sum / count, self._mean_metric(score_sum, count)

    def _mean_metric(self, score_sum: float, count: float) -> float:
        mean = score_sum / count
        return mean if self.dataset.task == CLASSIFICATION else mean * self.dataset.target_std


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
