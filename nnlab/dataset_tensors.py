"""The tensors of each data set's splits, made once and shared by every run that trains on it."""
from __future__ import annotations

import threading
import weakref
from typing import Callable

import numpy as np

from nnlab.data import Dataset
from nnlab.tf_runtime import keras, tf

EVAL_BATCH = 4096  # examples per evaluation call on the validation and test splits


def encoded(y: np.ndarray, encoding: str, n_classes: int) -> np.ndarray:
    if encoding == "value":
        return y.reshape(-1, 1).astype(np.float32)
    if encoding == "label":
        return y.astype(np.int32)
    return keras.utils.to_categorical(y, n_classes).astype(np.float32)


class DatasetTensors:
    """The tensors of each Dataset's splits, made once and shared by every run on that Dataset
    object: eight students training on the server's cached MNIST hold one copy, not eight. Held
    weakly: a Dataset's tensors go when the Dataset goes. Safe to use from several threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_dataset: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __len__(self) -> int:
        """How many data sets have tensors here."""
        return len(self._by_dataset)

    def training(self, dataset: Dataset, encoding: str) -> tuple:
        """(x, y) of the training split, whole: the compiled loop gathers its batches from them."""
        return self._inputs(dataset, "train")[0], self._targets(dataset, "train", encoding)[0]

    def sample(self, dataset: Dataset, encoding: str, count: int) -> tuple:
        """(x, y) of the first `count` training examples: a fixed sample to measure each epoch on."""
        return (self._get(dataset, ("x", "train", "first", count), lambda: dataset.x_train[:count], None)[0],
                self._get(dataset, ("y", "train", encoding, "first", count),
                          lambda: encoded(dataset.y_train[:count], encoding, dataset.n_classes), None)[0])

    def batches(self, dataset: Dataset, split: str, encoding: str) -> list[tuple]:
        """[(x, y), …] of "val" or "test" in evaluation-sized batches."""
        return list(zip(self._inputs(dataset, split, EVAL_BATCH), self._targets(dataset, split, encoding, EVAL_BATCH)))

    def _inputs(self, dataset: Dataset, split: str, batch: int | None = None) -> list:
        """Inputs do not depend on the encoding: runs with one-hot and with label targets share them."""
        return self._get(dataset, ("x", split, batch), lambda: getattr(dataset, f"x_{split}"), batch)

    def _targets(self, dataset: Dataset, split: str, encoding: str, batch: int | None = None) -> list:
        return self._get(dataset, ("y", split, encoding, batch),
                         lambda: encoded(getattr(dataset, f"y_{split}"), encoding, dataset.n_classes), batch)

    def _get(self, dataset: Dataset, key: tuple, array: Callable[[], np.ndarray], batch: int | None) -> list:
        with self._lock:  # held while making them too: two runs starting at once must not both copy
            tensors = self._by_dataset.setdefault(dataset, {})
            if key not in tensors:
                values = array()
                step = batch or max(1, len(values))
                tensors[key] = [tf.constant(values[i:i + step]) for i in range(0, len(values), step)]
            return tensors[key]


DATASET_TENSORS = DatasetTensors()
