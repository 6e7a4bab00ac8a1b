"""train(config, dataset, on_epoch=..., stop=...) → RunResult.

Why not `model.fit`: on networks of course size most of fit's time is per-step overhead in Python
and callbacks, not arithmetic (DESIGN.md). Here each chunk of an epoch runs as one compiled
TensorFlow loop over its mini-batches, which trains the course network ≈3× faster with the same
optimizer, batches and results (bench/speed.py). A `stop` event is seen inside that loop, so
training ends within one batch; the epoch it interrupts is dropped and every completed one kept.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from nnlab.config import RunConfig
from nnlab.data import Dataset, load_dataset
from nnlab.diagnose import Verdict, baseline_loss, diagnose
from nnlab.jsonsafe import json_safe
from nnlab.model import build_model
from nnlab.stop_signal import StopSignal
from nnlab.tf_runtime import keras, tf

CHUNKS_PER_EPOCH = 10  # progress reports (and Python round trips) per epoch
EVAL_BATCH = 4096


@dataclass
class RunResult:
    config: RunConfig
    history: list[dict]  # one dict per completed epoch, see `metric_names`
    status: str  # completed, stopped, early_stopped or diverged
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


def metric_names(task: str) -> tuple[str, str]:
    """(metric, validation metric) recorded next to loss and val_loss in each history row."""
    return ("accuracy", "val_accuracy") if task == "classification" else ("mae", "val_mae")


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
    if task != "classification" or config.loss == "mse":
        return keras.losses.MeanSquaredError()
    if config.encoding == "label":
        return keras.losses.SparseCategoricalCrossentropy()
    return keras.losses.CategoricalCrossentropy()


def encode_targets(config: RunConfig, dataset: Dataset, y: np.ndarray) -> np.ndarray:
    """Targets as the loss wants them: one-hot rows, class numbers, or a column of values."""
    if dataset.task != "classification":
        return y.reshape(-1, 1).astype(np.float32)
    if config.encoding == "label":
        return y.astype(np.int32)
    return keras.utils.to_categorical(y, dataset.n_classes).astype(np.float32)


class _CompiledTraining:
    """The model with its optimizer and two compiled functions: train a range of batches, evaluate."""

    def __init__(self, config: RunConfig, dataset: Dataset):
        self.config, self.dataset = config, dataset
        self.classify = dataset.task == "classification"
        keras.utils.set_random_seed(config.seed)
        self.model = build_model(config, dataset)
        self.optimizer = make_optimizer(config)
        self.optimizer.build(self.model.trainable_variables)
        self.loss_fn = make_loss(config, dataset.task)
        self.batch_size = min(config.batch_size, len(dataset.x_train))
        self.x = tf.constant(dataset.x_train)
        self.y = tf.constant(encode_targets(config, dataset, dataset.y_train))
        self.stop_flag = tf.Variable(False, trainable=False)
        self._split_batches: dict[str, list] = {}
        self.run_batches = tf.function(self._run_batches, autograph=False)  # a plain while_loop: faster to trace
        self.evaluate_batch = tf.function(self._evaluate_batch, autograph=False, input_signature=[
            tf.TensorSpec((None, *self.x.shape[1:]), tf.float32), tf.TensorSpec((None, *self.y.shape[1:]), self.y.dtype)])

    def _score(self, y, pred):
        """Per-batch sum of correct answers, or of absolute errors for regression."""
        if not self.classify:
            return tf.reduce_sum(tf.abs(tf.cast(y, pred.dtype) - pred))
        truth = tf.argmax(y, axis=-1) if self.config.encoding == "one_hot" else tf.cast(y, tf.int64)
        return tf.reduce_sum(tf.cast(tf.equal(tf.argmax(pred, axis=-1), truth), tf.float32))

    def _loss(self, y, pred):
        loss = self.loss_fn(y, pred)
        penalties = self.model.losses  # L1 / L2 terms, counted in the loss as Keras' fit does
        return loss + tf.add_n(penalties) if penalties else loss

    def _train_step(self, order, i):
        index = order[i * self.batch_size:(i + 1) * self.batch_size]
        xb, yb = tf.gather(self.x, index), tf.gather(self.y, index)
        with tf.GradientTape() as tape:
            pred = self.model(xb, training=True)
            loss = self._loss(yb, pred)
        grads = tape.gradient(loss, self.model.trainable_variables)
        self.optimizer.apply(grads, self.model.trainable_variables)
        count = tf.cast(tf.shape(index)[0], tf.float32)
        return loss * count, self._score(yb, pred), count

    def _run_batches(self, order, first, last):
        """Train on batches first..last-1 of the shuffled order; sums of loss, score and count.
        Checks the stop flag before every batch."""
        def keep_going(i, *_):
            return tf.logical_and(i < last, tf.logical_not(self.stop_flag.read_value()))

        def body(i, loss_sum, score_sum, seen):
            loss, score, count = self._train_step(order, i)
            return i + 1, loss_sum + loss, score_sum + score, seen + count

        zero = tf.constant(0.0)
        _, loss_sum, score_sum, seen = tf.while_loop(keep_going, body, (first, zero, zero, zero))
        return loss_sum, score_sum, seen

    def _evaluate_batch(self, x, y):
        pred = self.model(x, training=False)
        count = tf.cast(tf.shape(x)[0], tf.float32)
        return self._loss(y, pred) * count, self._score(y, pred)

    def evaluate(self, split: str) -> tuple[float, float]:
        """(mean loss, accuracy or mean absolute error in the target's units) over "val" or "test".
        The split's tensors are made once: validation runs after every epoch."""
        if split not in self._split_batches:
            x = getattr(self.dataset, f"x_{split}")
            y = encode_targets(self.config, self.dataset, getattr(self.dataset, f"y_{split}"))
            self._split_batches[split] = [(tf.constant(x[i:i + EVAL_BATCH]), tf.constant(y[i:i + EVAL_BATCH]))
                                          for i in range(0, len(x), EVAL_BATCH)]
        loss_sum = score_sum = count = 0.0
        for xb, yb in self._split_batches[split]:
            loss, score = self.evaluate_batch(xb, yb)
            loss_sum, score_sum, count = loss_sum + float(loss), score_sum + float(score), count + int(xb.shape[0])
        return loss_sum / count, self.mean_metric(score_sum, count)

    def mean_metric(self, score_sum: float, count: float) -> float:
        mean = score_sum / count
        return mean if self.classify else mean * self.dataset.target_std


def _watch_stop(stop: threading.Event, flag, finished: threading.Event) -> None:
    """Carry a plain Event into the compiled loop, which checks the flag before every batch."""
    while not finished.is_set():
        if stop.wait(0.005):
            flag.assign(True)
            return


def train(
    config: RunConfig,
    dataset: Dataset | None = None,
    *,
    on_epoch: Callable[[dict], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
    on_model: Callable[[object], None] | None = None,
    stop: threading.Event | None = None,
) -> RunResult:
    """Train one run. `on_epoch(row)` gets each finished epoch's figures; `on_progress(epoch,
    batches_done, batches_total)` is called a few times within each epoch; `on_model(model)` after
    each epoch, to look at the model as it learns; setting `stop` ends training within one batch,
    keeping every completed epoch."""
    dataset = dataset if dataset is not None else load_dataset(config)
    run = _CompiledTraining(config, dataset)
    metric, val_metric = metric_names(dataset.task)
    n = len(dataset.x_train)
    batches = math.ceil(n / run.batch_size)
    chunk = max(1, math.ceil(batches / CHUNKS_PER_EPOCH))
    rng = np.random.default_rng(config.seed)
    history: list[dict] = []
    status, message = "completed", f"Trained all {config.epochs} epochs."
    best_val, best_weights, since_best = math.inf, None, 0

    finished = threading.Event()
    if isinstance(stop, StopSignal):
        stop.attach(run.stop_flag)
    elif stop is not None:
        threading.Thread(target=_watch_stop, args=(stop, run.stop_flag, finished), daemon=True).start()
    try:
        for epoch in range(1, config.epochs + 1):
            started = time.perf_counter()
            order = tf.constant(rng.permutation(n).astype(np.int32))
            loss_sum = score_sum = seen = 0.0
            for first in range(0, batches, chunk):
                sums = run.run_batches(order, tf.constant(first), tf.constant(min(batches, first + chunk)))
                loss_sum, score_sum, seen = (a + float(b) for a, b in zip((loss_sum, score_sum, seen), sums))
                if bool(run.stop_flag.numpy()):
                    break
                if on_progress:
                    on_progress(epoch, min(batches, first + chunk), batches)
            if bool(run.stop_flag.numpy()):
                status = "stopped"
                message = f"Stopped by you during epoch {epoch}; {len(history)} completed epoch(s) kept."
                break
            val_loss, val_score = run.evaluate("val")
            row = {
                "epoch": epoch, "loss": loss_sum / seen, metric: run.mean_metric(score_sum, seen),
                "val_loss": val_loss, val_metric: val_score,
                "learning_rate": float(keras.ops.convert_to_numpy(run.optimizer.learning_rate)),
                "seconds": time.perf_counter() - started,
            }
            history.append(row)
            if on_epoch:
                on_epoch(dict(row))
            if on_model:
                on_model(run.model)
            if not (math.isfinite(row["loss"]) and math.isfinite(row["val_loss"])):
                status = "diverged"
                message = f"Stopped at epoch {epoch}: the loss is no longer a number (the weights blew up)."
                break
            if val_loss < best_val:
                best_val, since_best = val_loss, 0
                if config.early_stopping:
                    best_weights = run.model.get_weights()
            else:
                since_best += 1
                if config.early_stopping and since_best >= config.early_stopping:
                    status = "early_stopped"
                    message = (f"Early stopping after epoch {epoch}: no better validation loss for "
                               f"{since_best} epochs; the weights of the best epoch were restored.")
                    break
    finally:
        finished.set()
        if isinstance(stop, StopSignal):
            stop.detach(run.stop_flag)

    if best_weights is not None and status == "early_stopped":
        run.model.set_weights(best_weights)
    test_loss, test_score = run.evaluate("test")
    verdict = diagnose(
        history, task=dataset.task, chance=dataset.chance_accuracy,
        baseline=baseline_loss(config.loss, dataset.task, dataset.n_classes),
    )
    seconds = [row["seconds"] for row in history]
    return RunResult(
        config=config, history=history, status=status, message=message,
        test={"loss": test_loss, metric: test_score}, verdict=verdict, params=run.model.count_params(),
        seconds_per_epoch=float(np.mean(seconds)) if seconds else math.nan, task=dataset.task,
        steps=int(keras.ops.convert_to_numpy(run.optimizer.iterations)), model=run.model,
    )
