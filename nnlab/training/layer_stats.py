"""Per completed epoch and Dense layer, what the "Inside the network" views draw: the norm of the
training loss's gradient w.r.t. the layer's kernel on STATS_SAMPLE fixed training examples
(inference mode, penalties included), and the kernel's PERCENTILES. A hook of the Trainer
(training/hooks.py): its measurement is a piece of the compiled epoch when the epoch is folded into
one call, else a compiled call of its own after the validation pass."""
from __future__ import annotations

import numpy as np

from nnlab.training.dataset_tensors import DATASET_TENSORS
from nnlab.training.hooks import Hook
from nnlab.core.tf_runtime import keras, tf

STATS_SAMPLE = 512  # training examples each epoch's gradient norms are measured on (the first ones, fixed)
# The weights' distribution per layer as TensorBoard draws it: minimum, the ±1.5σ, ±1σ and ±0.5σ
# points of a normal distribution, median, maximum (percentiles), keyed "w_0" … "w_100".
PERCENTILES = (0.0, 6.68, 15.87, 30.85, 50.0, 69.15, 84.13, 93.32, 100.0)
PERCENTILE_KEYS = tuple(f"w_{round(p)}" for p in PERCENTILES)


class LayerStatistics(Hook):
    """`rows`: {"epoch", "layer", "grad_norm", "w_0" … "w_100"} per epoch and Dense layer (appended
    by the training thread, read by pages). `loss(y, pred)` is the training loss."""

    def __init__(self, model, loss, dataset, encoding: str):
        self.rows: list[dict] = []
        self._loss = loss
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        self._kernels, self._names = [layer.kernel for layer in dense], [layer.name for layer in dense]
        self._model = model
        self.sample = DATASET_TENSORS.sample(dataset, encoding, STATS_SAMPLE)  # (x, y)

    def measure_py(self, x, y):
        """(Per Dense layer the norm of the loss's gradient w.r.t. its kernel on (x, y), the kernels'
        PERCENTILES): a piece of a compiled function."""
        with tf.GradientTape() as tape:
            loss = self._loss(y, self._model(x, training=False))
        grads = tape.gradient(loss, self._kernels)
        norms = tf.stack([tf.norm(tf.convert_to_tensor(g)) for g in grads])
        percentiles = []
        for kernel in self._kernels:
            values = tf.sort(tf.reshape(tf.convert_to_tensor(kernel), [-1]))
            last = int(np.prod(kernel.shape)) - 1
            percentiles.append(tf.gather(values, [round(p / 100 * last) for p in PERCENTILES]))
        return norms, tf.stack(percentiles)

    def record(self, epoch: int, norms: np.ndarray, percentiles: np.ndarray) -> None:
        for name, norm, values in zip(self._names, norms, percentiles):
            self.rows.append({"epoch": epoch, "layer": name, "grad_norm": float(norm),
                              **dict(zip(PERCENTILE_KEYS, map(float, values)))})
