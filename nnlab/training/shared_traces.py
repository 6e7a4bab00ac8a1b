"""Compiled pieces of training shared by the runs of one shape.

Tracing a Trainer's compiled epoch is most of what a small run costs (bench/trace_reuse.py), and runs
that differ only in what their variables hold (the initial weights a seed gives, the learning rate, the
L1/L2 rates, the Stop flag) trace the same graph. A traced graph reads its variables through inputs of
its own (its captured inputs), so the first run of a shape traces it and a later run calls that graph
with its own variables in place of the first run's: the same operations on its own state, with no trace.

What the graph depends on beyond its variables is the caller's `key`. A graph is shared only if every
input it captured is one of the run's variables (the positions are checked, not assumed); anything else
(a captured constant, a variable the caller did not list) keeps the graph to its run.

Bounded: at most MAX_SHARED graphs in a process, the least recently used let go first, and only for
networks up to MAX_SHARED_PARAMS parameters. A shared graph keeps its first run's variables alive, and on
a larger network tracing is a small part of a run anyway. A graph serves at most MAX_USES runs, then is let
go once they have ended: while one graph served every run, the process grew ≈3 MB a run for good (TensorFlow
keeps what it made for each run's variables as long as the graph lives); with the bound it stays flat
(bench/memory.py, 30 course runs: 3.1 MB a run before, 0.2 MB after; 0.1 MB with no sharing).
"""
from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from typing import Callable, Hashable, Sequence

from nnlab.core.tf_runtime import custom_gradient_names, forget_gradient_functions, tf

MAX_SHARED = 16
MAX_SHARED_PARAMS = 250_000
MAX_USES = 10  # runs one graph serves before it is let go (with the kernels TensorFlow made for their variables)


class SharedTraces:
    """The graphs traced so far, by key: (the traced function, for each of its captured inputs the
    position of the variable it reads in the tracing run's list)."""

    def __init__(self, size: int = MAX_SHARED):
        self.size = size
        self._graphs: OrderedDict[Hashable, tuple] = OrderedDict()
        self._uses: dict[Hashable, int] = {}  # runs each graph has been given to
        self._lock = threading.Lock()  # training threads trace and look up at once

    def __len__(self) -> int:
        return len(self._graphs)

    def get(self, key: Hashable) -> tuple | None:
        """The graph of `key` for one more run, if any: after its MAX_USES-th run it is no longer offered."""
        with self._lock:
            entry = self._graphs.get(key)
            if entry is None:
                return None
            self._uses[key] += 1
            if self._uses[key] >= MAX_USES:
                del self._graphs[key], self._uses[key]
            else:
                self._graphs.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: tuple) -> None:
        with self._lock:
            self._graphs[key], self._uses[key] = entry, 1  # the run that traced it is its first
            self._graphs.move_to_end(key)
            while len(self._graphs) > self.size:
                del self._uses[self._graphs.popitem(last=False)[0]]

    def clear(self) -> None:
        with self._lock:
            self._graphs.clear()
            self._uses.clear()


SHARED_TRACES = SharedTraces()


def trace(python_function: Callable, signature: Sequence[tf.TensorSpec]):
    """`python_function` traced once for `signature` (autograph off: plain while_loops, faster to trace),
    with the gradient functions Keras registered during the trace removed: no other trace of it will be
    made, and they would keep its graph alive for good (tf_runtime.forget_gradient_functions)."""
    function = tf.function(python_function, autograph=False, input_signature=list(signature)).get_concrete_function()
    forget_gradient_functions(custom_gradient_names(function))
    return function


def _positions(captured: Sequence, variables: Sequence) -> tuple[int, ...] | None:
    """For each captured input, the position of the variable whose handle it is; None if one is not."""
    where = {id(variable.handle): i for i, variable in enumerate(variables)}
    positions = tuple(where.get(id(tensor), -1) for tensor in captured)
    return None if -1 in positions else positions


class TracedCall:
    """One run's compiled piece: `python_function` traced for `signature` when first called, or the graph
    another run traced under the same `key` (None: never shared), run on this run's `variables`.

    `single_threaded`: run it with TensorFlow's single-threaded executor, every operation in turn on the
    calling thread. On a tiny network a step is a few dozen operations of microseconds each, and the
    default executor's scheduling across its thread pool costs more than they do: the spiral's Trainer ran
    ≈1.9× the epochs a second (bench/speed.py --plane). On large layers it is slower (784-512-512-10: ×0.7,
    the default executor runs a layer's two gradient products at once), hence a choice."""

    def __init__(self, python_function: Callable, signature: Sequence[tf.TensorSpec], variables: Sequence,
                 key: Hashable | None = None, shared: SharedTraces = SHARED_TRACES, single_threaded: bool = False):
        self._python_function, self._signature = python_function, signature
        self._executor = "SINGLE_THREADED_EXECUTOR" if single_threaded else ""
        # its graph is traced for its executor (no low-level control flow for this one): a key apart
        self._variables, self._shared = list(variables), shared
        self._key = None if key is None else (key, self._executor)
        self._function = self._captures = None

    @property
    def concrete_function(self):
        """The graph this run calls (traced or looked up on first use)."""
        if self._function is None:
            self._bind()
        return self._function

    def __call__(self, *args):
        if self._function is None:
            self._bind()
        with self._executing():
            return self._function._call_flat(list(args), self._captures)  # noqa: SLF001 - with other captured inputs

    def _executing(self):
        """This thread's calls (and traces) made with the chosen executor."""
        return tf.experimental.function_executor_type(self._executor) if self._executor else contextlib.nullcontext()

    def _bind(self) -> None:
        entry = self._shared.get(self._key) if self._key is not None else None
        if entry is None:
            with self._executing():  # a while_loop is lowered to low-level control flow unless traced for this one
                function = trace(self._python_function, self._signature)
            positions = _positions(function.captured_inputs, self._variables)
            if positions is None or self._key is None:  # this run's own graph, on its own captured inputs
                self._function, self._captures = function, list(function.captured_inputs)
                return
            entry = (function, positions)
            self._shared.put(self._key, entry)
        self._function, positions = entry
        self._captures = [self._variables[i].handle for i in positions]
