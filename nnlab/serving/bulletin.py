"""A piece of work's news, announced: a version that grows with each publish, and the listeners told.

A job publishes from its own thread when something a live view shows has changed (an epoch ended,
the status changed, a pause was reached, the progress moved); a waiting reader (the live route's long
poll, ui/live_route.py) registers a listener and is woken at once instead of looking again and again.
Plain Python: no asyncio, no Streamlit; a listener must be quick and must not block (it is called in
the training thread)."""
from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)


class Bulletin:
    def __init__(self):
        self.version = 0
        self._listeners: set[Callable[[], None]] = set()
        self._lock = threading.Lock()
        self._forward: Bulletin | None = None

    def forward_to(self, other: Bulletin) -> None:
        """Publish on `other` too at each publish here (a search's trial: the search's live view hears its epochs)."""
        self._forward = other

    def listen(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.add(listener)

    def unlisten(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def publish(self) -> None:
        """Something changed: the version grows and every listener is called (here, in this thread)."""
        with self._lock:
            self.version += 1
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:  # noqa: BLE001 - a reader gone wrong must not end the training
                log.exception("a bulletin listener failed")
        if self._forward is not None:
            self._forward.publish()
