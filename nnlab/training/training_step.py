"""One training step and the figures of a batch, shared by the Trainer's compiled loop and the
learning-rate finder: the optimizer and loss a RunConfig names, the L1 / L2 penalties counted in
the loss as Keras' fit counts them (its L1L2 regularizer's sums over every Dense kernel), the gradient
applied. The penalties' rates are variables read inside the compiled step, so that a run can change
them while it trains (`set_penalties`), as Playground lets a student do."""
from __future__ import annotations

import numpy as np

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import Dataset
from nnlab.training.dataset_tensors import encoded
from nnlab.config.optimizers import KERAS_OPTIMIZERS
from nnlab.core.tasks import CLASSIFICATION
from nnlab.core.tf_runtime import keras, tf


def make_optimizer(config: RunConfig):
    spec = KERAS_OPTIMIZERS[config.optimizer]
    return getattr(keras.optimizers, spec.name)(**spec.kwargs(config.learning_rate))


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


class TrainingStep:
    """`model` trained as `config` says on `task`: its optimizer (built), loss and batch score,
    as pieces of a compiled function."""

    def __init__(self, model, config: RunConfig, task: str):
        self.model = model
        self.optimizer = make_optimizer(config)
        self.optimizer.build(model.trainable_variables)
        self.loss_fn = make_loss(config, task)
        self.encoding = target_encoding(config, task)
        self._classify = task == CLASSIFICATION
        self._kernels = [layer.kernel for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        self.penalties = (float(config.l1), float(config.l2))  # as Python numbers, for the history
        self._rates = tf.Variable(self.penalties, trainable=False, dtype=tf.float32, name="penalties")
        # Traced into the step only when a penalty is or was set: on a tiny network its ≈20 small ops
        # are a measurable share of each step. Whoever turns it on retraces (Trainer.set_penalties).
        self.penalized = any(self.penalties)

    @property
    def variables(self) -> list:
        """The variables of its own the step reads (the model's and the optimizer's aside)."""
        return [self._rates]

    def set_penalties(self, l1: float, l2: float) -> bool:
        """Train with these L1 / L2 rates from the next step on; True when the compiled step must be
        traced again to count them (no penalty was traced in before)."""
        self.penalties = (float(l1), float(l2))
        self._rates.assign(self.penalties)
        retrace = any(self.penalties) and not self.penalized
        self.penalized = self.penalized or retrace
        return retrace

    def penalty(self):
        """l1 × Σ|w| + l2 × Σw² over every Dense kernel: Keras' L1L2 regularizer's terms."""
        l1, l2 = self._rates[0], self._rates[1]
        return tf.add_n([l1 * tf.reduce_sum(tf.abs(k)) + l2 * tf.reduce_sum(tf.square(k)) for k in self._kernels])

    def loss(self, y, pred):
        loss = self.loss_fn(y, pred)
        return loss + self.penalty() if self.penalized else loss

    def score(self, y, pred):
        """Per-batch sum of correct answers, or of absolute errors for regression."""
        if not self._classify:
            return tf.reduce_sum(tf.abs(tf.cast(y, pred.dtype) - pred))
        truth = tf.argmax(y, axis=-1) if self.encoding == "one_hot" else tf.cast(y, tf.int64)
        return tf.reduce_sum(tf.cast(tf.equal(tf.argmax(pred, axis=-1), truth), tf.float32))

    def apply(self, xb, yb):
        """One gradient step on the batch (xb, yb): (its loss, the predictions it was taken on)."""
        with tf.GradientTape() as tape:
            pred = self.model(xb, training=True)
            loss = self.loss(yb, pred)
        grads = tape.gradient(loss, self.model.trainable_variables)
        self.optimizer.apply(grads, self.model.trainable_variables)
        return loss, pred

    def evaluate_py(self, x, y):
        """(Summed loss, summed score) of a batch in inference mode."""
        pred = self.model(x, training=False)
        count = tf.cast(tf.shape(x)[0], tf.float32)
        return self.loss(y, pred) * count, self.score(y, pred)
