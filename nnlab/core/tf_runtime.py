"""Import TensorFlow and Keras once, configured for small networks on a few CPU cores.

Every module that needs Keras imports it from here, so the settings below are in place before
TensorFlow starts its thread pools (they cannot change afterwards).
"""
from __future__ import annotations

import contextlib
import os
import random
import sys
import tempfile

import numpy as np

from nnlab.core import deployment

# TensorFlow's and Keras' own variables, not the deployer's settings (nnlab/core/deployment.py): set
# before the import below reads them.
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
    threads = deployment.current().tf_threads  # NNLAB_TF_THREADS
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(2, threads))
    except RuntimeError:
        pass  # TensorFlow was already running (imported and used elsewhere first): keep its setting


_configure_threads()
tf.get_logger().setLevel("ERROR")  # a run's compiled functions are traced for it; the retracing notice is noise


def seed_python_and_numpy(seed: int) -> None:
    """Python's and NumPy's global seeds for a run: what `keras.utils.set_random_seed` does but for
    TensorFlow's global seed. Setting that one clears TensorFlow's kernel caches (TFE_ContextClearCaches),
    so every compiled function of the process, another visitor's running one too, is instantiated and
    optimized again at its next call: 0.3–0.8 s of one core each (bench/trace_reuse.py). It decides nothing
    here: every random operation of a run has a seed of its own (the initializers', dropout's), and
    Keras' random operations are stateless ones, seeded from those."""
    random.seed(seed)
    np.random.seed(seed)


# --- TensorFlow's gradient registry keeps every traced training graph alive -----------------------
# Keras' optimizer sums gradients through tf.custom_gradient, which registers a uniquely named
# gradient function in TensorFlow's global registry at every trace and never removes it. The entry
# holds the traced graph, and with it everything the graph captured: each run would leave its
# training graph in memory for good. The registry is private, so it is looked up with care: if
# TensorFlow moves it, nothing is removed and only the (data-free) graphs stay behind.
_CUSTOM_GRADIENT_PREFIX = "CustomGradient-"  # tf.custom_gradient's names; built-in gradients are never touched

try:
    from tensorflow.python.framework import ops as _tf_ops
except ImportError:  # pragma: no cover - a TensorFlow without this module
    _tf_ops = None


def custom_gradient_names(concrete_function) -> set[str]:
    """The tf.custom_gradient functions a traced function's ops point at (nested loops included)."""
    graph = concrete_function.graph.as_graph_def()
    nodes = [*graph.node, *(node for function in graph.library.function for node in function.node_def)]
    return {node.attr["_gradient_op_type"].s.decode() for node in nodes if "_gradient_op_type" in node.attr}


def forget_gradient_functions(names) -> int:
    """Remove these tf.custom_gradient entries from TensorFlow's gradient registry; how many went.
    Only for functions that are traced for good: a retrace registers fresh ones."""
    registry = getattr(getattr(_tf_ops, "_gradient_registry", None), "_registry", None)
    if not isinstance(registry, dict):
        return 0
    return sum(registry.pop(name, None) is not None for name in names if name.startswith(_CUSTOM_GRADIENT_PREFIX))


__all__ = ["keras", "tf", "custom_gradient_names", "forget_gradient_functions", "seed_python_and_numpy"]
