"""StopSignal: a threading.Event that reaches into running training loops the moment it is set.

train() registers the flag its compiled loop checks before every batch; set() raises every
registered flag at once, so at most the batch in flight finishes. No TensorFlow here: pages create
signals before TensorFlow is imported.
"""
from __future__ import annotations

import threading


class StopSignal(threading.Event):
    def __init__(self):
        super().__init__()
        self._flags: list = []
        self._lock = threading.Lock()

    def attach(self, flag) -> None:
        """`flag` is anything with assign(True), e.g. a tf.Variable."""
        with self._lock:
            self._flags.append(flag)
            if self.is_set():
                flag.assign(True)

    def detach(self, flag) -> None:
        with self._lock:  # by identity: a tf.Variable's == compares values, so list.remove would pick any unset flag
            self._flags = [attached for attached in self._flags if attached is not flag]

    def set(self) -> None:
        with self._lock:
            super().set()
            for flag in self._flags:
                flag.assign(True)
