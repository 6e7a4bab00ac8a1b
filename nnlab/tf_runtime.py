"""Import TensorFlow and Keras once, configured for small networks on a few CPU cores.

Every module that needs Keras imports it from here, so the settings below are in place before
TensorFlow starts its thread pools (they cannot change afterwards).
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@contextlib.contextmanager
def _quiet_native_stderr():
    """TensorFlow's C++ start-up writes INFO lines straight to file descriptor 2 that no setting
    silences; they would bury the CLI's own messages. Hold them back, and show them if the import
    fails after all."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. under a test runner)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), fd)
        try:
            yield
        except BaseException:
            os.dup2(saved, fd)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, fd)
            os.close(saved)


with _quiet_native_stderr():
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402


def _configure_threads() -> None:
    # Course-sized networks spend their time in per-operation overhead, not arithmetic, and
    # spreading each tiny matrix product over threads costs more than it saves: one thread per
    # operation trained 784-128-10 about 1.7x faster than two on a 2-core machine and the wide
    # 784-512-512-10 as fast (bench/). It also lets two runs (a race) share two cores evenly.
    threads = int(os.environ.get("NNLAB_TF_THREADS", "1"))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(2, threads))
    except RuntimeError:
        pass  # TensorFlow was already running (imported and used elsewhere first): keep its setting


_configure_threads()
tf.get_logger().setLevel("ERROR")  # each run compiles its own functions; the retracing notice is noise

__all__ = ["keras", "tf"]
