"""The server's data sets: loaded once, derived without copies, kept within a byte bound.

`DATA_CACHE.load(config)` gives the Dataset of a config. Every Dataset derived from one loaded Base
(other seeds, training sizes, validation fractions) shares its examples (nnlab/data/datasets.py), so a
classroom of visitors with their own seeds holds MNIST once. What is *in use* (a job, a page still
holding its Dataset) is found again through weak references and never loaded twice; what nobody
uses is kept only within NNLAB_DATA_CACHE_MB, least recently used first out, counted in bytes with
the tensors made from it (nnlab/training/dataset_tensors.py). So a server's memory after any sequence of
visitors is its baseline plus at most that bound, plus what the visitors still on the site use.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

from nnlab.core import deployment
from nnlab.data.datasets import Base, Dataset, base_key, data_key, derive, load_base



class DataCache:
    """Datasets by config, Bases by what they load; safe to use from several threads."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._loading: dict[tuple, threading.Lock] = {}  # one loader per base: two visitors never load it twice
        self._bases: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # every Base alive
        self._datasets: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # every Dataset alive
        self._kept: OrderedDict[tuple, Dataset] = OrderedDict()  # held for later visitors, most recent last

    def load(self, config) -> Dataset:
        key = data_key(config)
        dataset = self._recall(key)
        if dataset is not None:
            return dataset
        with self._loader(base_key(config)):
            dataset = self._recall(key)  # another thread may have made it meanwhile
            if dataset is None:
                dataset = derive(self._base(config), config)
                with self._lock:
                    self._datasets[key] = dataset
                    self._keep(key, dataset)
        return dataset

    def cached(self, config) -> bool:
        """Whether `load(config)` answers at once (nothing to load)."""
        with self._lock:
            return self._datasets.get(data_key(config)) is not None

    def kept_bytes(self) -> int:
        """Bytes held by the cache itself (what nobody else uses is no more than this)."""
        with self._lock:
            return _bytes(self._kept.values())

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def _recall(self, key: tuple) -> Dataset | None:
        with self._lock:
            dataset = self._datasets.get(key)
            if dataset is not None:
                self._keep(key, dataset)
            return dataset

    def _loader(self, key: tuple) -> threading.Lock:
        with self._lock:
            return self._loading.setdefault(key, threading.Lock())

    def _base(self, config) -> Base:
        key = base_key(config)
        base = self._bases.get(key)
        if base is None:
            base = load_base(config)
            self._bases[key] = base
        return base

    def _keep(self, key: tuple, dataset: Dataset) -> None:
        """Keep `dataset` as the most recent; let the oldest go while over the bound (what others
        still use stays alive through them, and is found again through the weak references)."""
        self._kept[key] = dataset
        self._kept.move_to_end(key)
        while self._kept and _bytes(self._kept.values()) > self.max_bytes:
            self._kept.popitem(last=False)
        for gone in [k for k, lock in self._loading.items() if not lock.locked() and k not in self._bases]:
            del self._loading[gone]  # one lock per base alive, not per base ever loaded


def _bytes(datasets) -> int:
    """Bytes of these Datasets together, each shared part (examples, base) counted once."""
    parts: dict[int, int] = {}
    for dataset in datasets:
        parts[id(dataset)] = dataset.own_nbytes
        parts[id(dataset.examples)] = dataset.examples.nbytes
        if dataset.base is not None:
            parts[id(dataset.base)] = dataset.base.nbytes if dataset.base.examples is None else 0
    return sum(parts.values())


# The server's one cache, within NNLAB_DATA_CACHE_MB (default 600: MNIST with its tensors is ≈450 MB,
# 70,000 × 784 float32 pixels, once as numpy, once as a tensor).
DATA_CACHE = DataCache(deployment.current().data_cache_bytes)
