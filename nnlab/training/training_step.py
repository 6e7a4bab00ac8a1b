"""One training step and the figures of a batch, shared by the Trainer's compiled loop and the
learning-rate finder: the optimizer and loss a RunConfig names, the L1 / L2 penalties counted in
the loss as Keras' fit counts them, the gradient applied."""
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

    def loss(self, y, pred):
        loss = self.loss_fn(y, pred)
        penalties = self.model.losses  # L1 / L2 terms, counted in the loss as Keras' fit does
        return loss + tf.add_n(penalties) if penalties else loss

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
