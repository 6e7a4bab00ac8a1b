"""The tensors of each data set's examples, made once and shared by every run that trains on them.

One set per `Examples` (nnlab/data/datasets.py), not per Dataset: every Dataset derived from one loaded
MNIST (other seeds, training sizes, validation fractions) indexes the same examples, so runs gather
their batches from the same tensors by index. They live in the Examples' `derived` dict, so they go
when the examples go and count in the data cache's byte bound (nnlab/data/cache.py).
"""
from __future__ import annotations

import threading
import weakref
from typing import Iterator

import numpy as np

from nnlab.data.datasets import Dataset
from nnlab.core.tf_runtime import keras, tf

EVAL_BATCH = 4096  # examples per evaluation call on the validation and test splits


def encoded(y: np.ndarray, encoding: str, n_classes: int) -> np.ndarray:
    if encoding == "value":
        return y.reshape(-1, 1).astype(np.float32)
    if encoding == "label":
        return y.astype(np.int32)
    return keras.utils.to_categorical(y, n_classes).astype(np.float32)


class DatasetTensors:
    """The tensors of every Examples in use. Safe to use from several threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._with_tensors: weakref.WeakSet = weakref.WeakSet()

    def __len__(self) -> int:
        """How many sets of examples have tensors here."""
        return len(self._with_tensors)

    def training(self, dataset: Dataset, encoding: str) -> tuple:
        """(x, y) of ALL the dataset's examples, shared: gather training batches with
        `dataset.train_index` (the compiled loop does)."""
        examples = dataset.examples
        return (self._get(examples, ("x",), lambda: examples.x),
                self._get(examples, ("y", encoding), lambda: encoded(examples.y, encoding, dataset.n_classes)))

    def sample(self, dataset: Dataset, encoding: str, count: int) -> tuple:
        """(x, y) of the first `count` training examples: a fixed sample to measure each epoch on
        (a copy of `count` rows, the caller's own)."""
        return self.rows(dataset, dataset.train_index[:count], encoding)

    def rows(self, dataset: Dataset, index, encoding: str) -> tuple:
        """(x, y) of these rows of the examples: a view for a slice, a gathered copy otherwise."""
        x, y = self.training(dataset, encoding)
        if isinstance(index, slice):
            return x[index], y[index]
        index = tf.constant(np.asarray(index, dtype=np.int32))
        return tf.gather(x, index), tf.gather(y, index)

    def batches(self, dataset: Dataset, split: str, encoding: str) -> Iterator[tuple]:
        """(x, y) of "val" or "test" in evaluation-sized batches, each made when asked for."""
        index = dataset.index(split)
        if isinstance(index, slice):
            start, stop, _ = index.indices(len(dataset.examples.x))
            chunks = [slice(i, min(i + EVAL_BATCH, stop)) for i in range(start, stop, EVAL_BATCH)]
        else:
            chunks = [index[i:i + EVAL_BATCH] for i in range(0, len(index), EVAL_BATCH)]
        for chunk in chunks:
            yield self.rows(dataset, chunk, encoding)

    def _get(self, examples, key: tuple, array):
        with self._lock:  # held while making them too: two runs starting at once must not both copy
            tensor = examples.derived.get(key)
            if tensor is None:
                tensor = examples.derived[key] = tf.constant(array())
                self._with_tensors.add(examples)
            return tensor


DATASET_TENSORS = DatasetTensors()
