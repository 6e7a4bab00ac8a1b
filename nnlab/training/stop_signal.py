"""StopSignal: a threading.Event that reaches into running training loops the moment it is set.

train() registers the flag its compiled loop checks before every batch; set() raises every
registered flag at once, so at most the batch in flight finishes. No TensorFlow here: pages create
signals before TensorFlow is imported.
"""
from __future__ import annotations

import signal
import threading
from typing import Callable


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


def stop_on_ctrl_c(stop: Callable[[], None]) -> None:
    """Ctrl-C (SIGINT) calls `stop` in a thread of its own. Python runs a signal handler in the main thread
    between two of its bytecodes, possibly while that thread holds the very lock `stop` takes (a StopSignal's,
    its Event's): called there, it would wait for itself forever and Ctrl-C would hang the command."""
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=stop, name="nnlab-ctrl-c", daemon=True).start())
