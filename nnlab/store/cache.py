"""Parsed runs kept in memory while their rows stay the same, so that many viewers listing many runs
cost one query each, not a check of every run's settings each time.
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Callable, Hashable

from nnlab.store.record import Run


class RecentlyRead:
    """Parsed runs by a key that changes whenever the run does (its id and last update, its label),
    the least recently used dropped first."""

    def __init__(self, size: int):
        self._size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def run(self, key: Hashable, parse: Callable[[], Run]) -> Run:
        """The run for `key`: remembered, or parsed now. A copy, so the remembered one stays as read
        whatever a page does with it."""
        with self._lock:
            run = self._items.get(key)
            if run is not None:
                self._items.move_to_end(key)
        if run is None:
            run = parse()
            with self._lock:
                self._items[key] = run
                if len(self._items) > self._size:
                    self._items.popitem(last=False)
        run = copy.copy(run)
        run.test, run.verdict, run.extra = dict(run.test), dict(run.verdict), dict(run.extra)
        return run
