"""Parsed runs kept in memory while their files stay the same, so that many viewers listing many
runs cost a few stats each, not a parse of every run.json each time.
"""
from __future__ import annotations

import copy
import os
import threading
import time
from collections import OrderedDict
from typing import Callable

from nnlab.run_files import HISTORY_FILE, LABEL_FILE, MODEL_FILE, RUN_FILE
from nnlab.run_record import Run

_SETTLED_NS = 2_000_000_000


class RecentlyRead:
    """Parsed runs by the identity of their files (inode, modification time, size), the least
    recently used dropped first. Only files unchanged for _SETTLED_NS are kept: a file rewritten
    within one clock tick could reuse an inode and a size, never one that has settled."""

    def __init__(self, size: int):
        self._size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def run(self, folder: str, files: dict[str, os.DirEntry], parse: Callable[[], Run]) -> Run:
        """The run in `folder` (whose parts are `files`, by name): remembered, or parsed now.
        A copy, so the remembered one stays as read whatever a page does with it."""
        run_file, label_file = _identity(files[RUN_FILE]), _identity(files.get(LABEL_FILE))
        key = (folder, run_file, label_file, HISTORY_FILE in files, MODEL_FILE in files)
        run = self._get(key)
        if run is None:
            run = parse()
            if all(part is None or part[1] < time.time_ns() - _SETTLED_NS for part in (run_file, label_file)):
                self._put(key, run)
        run = copy.copy(run)
        run.test, run.verdict = dict(run.test), dict(run.verdict)
        return run

    def _get(self, key) -> Run | None:
        with self._lock:
            run = self._items.get(key)
            if run is not None:
                self._items.move_to_end(key)
            return run

    def _put(self, key, run: Run) -> None:
        with self._lock:
            self._items[key] = run
            if len(self._items) > self._size:
                self._items.popitem(last=False)


def _identity(entry: os.DirEntry | None) -> tuple[int, int, int] | None:
    if entry is None:
        return None
    stat = entry.stat(follow_symlinks=False)
    return stat.st_ino, stat.st_mtime_ns, stat.st_size
