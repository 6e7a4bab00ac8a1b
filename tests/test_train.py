import json
import math
import gc
import threading
import weakref

import numpy as np
import pytest

from nnlab.config.run_config import OPTIMIZERS, RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.training.stop_signal import StopSignal
from nnlab.core.status import Status
from nnlab.core import tf_runtime
from nnlab.core.tf_runtime import custom_gradient_names, forget_gradient_functions, tf
from nnlab.training.dataset_tensors import DATASET_TENSORS
from nnlab.training.shared_traces import MAX_USES, SHARED_TRACES, SharedTraces, TracedCall
from nnlab.training.train import Trainer, train
import nnlab.training.train as train_module

TINY = RunConfig(dataset="iris", hidden=(8,), epochs=3, batch_size=16)


@pytest.fixture(scope="module")
def iris():
    return load_dataset(TINY)


def test_history_holds_every_epoch_and_on_epoch_sees_each(iris):
    seen = []
    result = train(TINY, iris, on_epoch=seen.append)
    assert result.status == "completed" and result.epochs_run == 3
    assert [row["epoch"] for row in seen] == [1, 2, 3] and seen == result.history
    assert set(seen[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "l1", "l2",
                            "seconds"}
    assert all(0 <= row["accuracy"] <= 1 and row["seconds"] > 0 for row in seen)
    assert set(result.test) == {"loss", "accuracy"} and result.params == 5 * 8 + 9 * 3
    assert result.verdict.kind != "diverged"  # a slow start is not divergence


def test_progress_reports_batches_within_each_epoch(iris):
    calls = []
    train(TINY, iris, on_progress=lambda *args: calls.append(args))
    batches = math.ceil(len(iris.x_train) / 16)
    assert calls[-1] == (3, batches, batches)
    assert {epoch for epoch, _, _ in calls} == {1, 2, 3}


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_training_learns_and_repeats_exactly_with_the_same_seed():
    config = RunConfig(dataset="digits", hidden=(32,), dropout=0.2, batch_norm=True, epochs=4)
    data = load_dataset(config)
    first, second = train(config, data), train(config, data)
    assert [r["loss"] for r in first.history] == [r["loss"] for r in second.history]
    assert first.history[-1]["loss"] < first.history[0]["loss"]
    assert first.test["accuracy"] > 0.85
    other = train(RunConfig.from_dict({**config.to_dict(), "seed": 1}), data)
    assert [r["loss"] for r in other.history] != [r["loss"] for r in first.history]


def test_stop_signal_ends_within_one_batch_and_keeps_completed_epochs():
    config = RunConfig(dataset="digits", hidden=(16,), epochs=20, batch_size=8)
    data = load_dataset(config)
    stop, reached = StopSignal(), {}

    def on_progress(epoch, done, total):
        if epoch == 3 and not stop.is_set():
            reached["batches"] = (epoch - 1) * total + done
            stop.set()

    result = train(config, data, on_progress=on_progress, stop=stop)
    assert result.status == "stopped" and result.epochs_run == 2
    assert "2 completed epoch" in result.message
    # on_progress runs between compiled chunks, so not a single further batch may start
    assert result.steps == reached["batches"]
    assert math.isfinite(result.test["accuracy"])


def test_a_stop_signal_set_from_another_thread_stops_training():
    config = RunConfig(dataset="digits", hidden=(16,), epochs=500, batch_size=4)
    data = load_dataset(config)
    stop = StopSignal()
    epochs = []

    def on_epoch(row):
        epochs.append(row)
        if len(epochs) == 2:
            threading.Timer(0.05, stop.set).start()

    result = train(config, data, on_epoch=on_epoch, stop=stop)
    assert result.status == Status.STOPPED and 2 <= result.epochs_run < 500
    assert result.history == epochs


def test_a_plain_event_is_refused_with_a_clear_message(iris):
    with pytest.raises(TypeError, match="StopSignal"):
        train(TINY, iris, stop=threading.Event())


def test_a_stop_set_before_training_trains_nothing(iris):
    stop = StopSignal()
    stop.set()
    result = train(TINY, iris, stop=stop)
    assert result.status == "stopped" and result.history == [] and result.verdict.kind == "no_data"


def test_a_stop_from_outside_counts_the_epochs_kept_as_the_run_ends_and_no_epoch_is_added_after(iris):
    trainer = Trainer(TINY, iris)
    trainer.run_epoch()
    trainer.stop(Status.ABANDONED, lambda kept: f"nobody watched; its {kept} epochs are kept")
    assert trainer.status == Status.ABANDONED and trainer.message == "nobody watched; its 1 epochs are kept"
    assert trainer.run_epoch() is None and len(trainer.history) == 1  # stopped: nothing trains any more
    trainer.stop(Status.STOPPED, "a later stop")  # the run has ended: it changes nothing
    assert trainer.status == Status.ABANDONED and trainer.message.startswith("nobody watched")


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_early_stopping_restores_the_best_epoch():
    config = RunConfig(dataset="digits", train_size=60, hidden=(256, 256), epochs=200, early_stopping=3, batch_size=8)
    data = load_dataset(config)
    result = train(config, data)
    assert result.status == "early_stopped" and result.epochs_run < 200
    best = min(row["val_loss"] for row in result.history)
    assert result.history[-4]["val_loss"] == best  # three epochs without improvement followed the best
    result.model.compile(loss="categorical_crossentropy")
    restored = result.model.evaluate(data.x_val, np.eye(10)[data.y_val], verbose=0)
    assert restored == pytest.approx(best, rel=1e-4)  # the weights of the best epoch are back


def test_a_run_whose_loss_becomes_nan_stops_as_diverged():
    config = RunConfig(dataset="diabetes", hidden=(64, 64), optimizer="sgd", learning_rate=50.0, epochs=30)
    result = train(config, load_dataset(config))
    assert result.status == "diverged" and result.epochs_run < 30
    assert "no longer a number" in result.message and result.verdict.kind == "diverged"
    json.dumps(result.to_dict(), allow_nan=False)  # NaN is written as null


def test_regression_reports_mae_in_the_targets_units():
    config = RunConfig(dataset="diabetes", hidden=(16,), epochs=20, learning_rate=0.01)
    data = load_dataset(config)
    result = train(config, data)
    assert set(result.test) == {"loss", "mae"} and "val_mae" in result.history[0]
    assert 20 < result.test["mae"] < 80  # disease progression is in the tens to hundreds
    assert result.history[-1]["loss"] < 1.0  # standardized: better than predicting the mean


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_trains(optimizer, iris):
    lr = 0.1 if optimizer in ("sgd", "adagrad") else 0.01
    config = RunConfig(dataset="iris", hidden=(8,), epochs=2, optimizer=optimizer, learning_rate=lr)
    result = train(config, iris)
    assert all(math.isfinite(row["loss"]) for row in result.history)


@pytest.mark.parametrize("settings", [
    {"loss": "cross_entropy", "encoding": "label"},
    {"loss": "mse", "encoding": "one_hot"},
    {"activation": "gaussian", "batch_norm": True, "dropout": 0.3, "l1": 0.001, "l2": 0.001},
])
def test_losses_encodings_and_regularizers(settings, iris):
    result = train(RunConfig(dataset="iris", hidden=(8,), epochs=2, **settings), iris)
    assert result.epochs_run == 2 and math.isfinite(result.test["loss"])


def test_l2_penalty_is_part_of_the_reported_loss(iris):
    plain = train(TINY, iris)
    penalized = train(RunConfig.from_dict({**TINY.to_dict(), "l2": 0.5}), iris)
    assert penalized.history[0]["loss"] > plain.history[0]["loss"] + 0.1


def test_result_to_dict_is_json(iris):
    data = train(TINY, iris).to_dict()
    assert json.loads(json.dumps(data))["config"] == TINY.to_dict()
    assert {"status", "epochs_run", "history", "test", "verdict", "params", "seconds_per_epoch"} <= set(data)


# --- the steppable Trainer ----------------------------------------------------------------------

def test_the_trainer_steps_exactly_one_epoch_per_call(iris):
    progress = []
    trainer = Trainer(TINY, iris, on_progress=lambda *args: progress.append(args))
    batches = math.ceil(len(iris.x_train) / 16)
    for epoch in (1, 2, 3):
        assert not trainer.done and trainer.status == Status.RUNNING
        row = trainer.run_epoch()
        assert row["epoch"] == epoch and trainer.history[-1] == row and len(trainer.history) == epoch
        assert progress[-1] == (epoch, batches, batches)  # this epoch finished, the next not begun
    assert trainer.done and trainer.status == Status.COMPLETED and trainer.message == "Trained all 3 epochs."
    result = trainer.finish()
    assert result.steps == 3 * batches and result.history == trainer.history and trainer.finish() is result
    with pytest.raises(RuntimeError, match="finish"):
        trainer.run_epoch()


def test_a_trainer_stopped_between_epochs_keeps_them_under_the_status_given(iris):
    trainer = Trainer(TINY, iris)
    trainer.run_epoch()
    with pytest.raises(RuntimeError, match="still going"):
        trainer.finish()
    trainer.stop(Status.ABANDONED, "Nobody watched it any more.")
    trainer.stop()  # a second stop changes nothing
    result = trainer.finish()
    assert result.status == Status.ABANDONED and result.message == "Nobody watched it any more."
    assert result.epochs_run == 1 and math.isfinite(result.test["accuracy"])


def _overfitting(epochs: int = 12):
    """A wide network on 60 digits: its validation loss is lowest early, then rises."""
    config = RunConfig(dataset="digits", train_size=60, hidden=(256, 256), epochs=epochs, batch_size=8, learning_rate=0.01)
    return config, load_dataset(config)


def _val_loss_of(model, data) -> float:
    model.compile(loss="categorical_crossentropy")
    return model.evaluate(data.x_val, np.eye(10)[data.y_val], verbose=0)


def test_a_stop_that_keeps_the_best_epoch_tests_and_reports_its_weights():
    config, data = _overfitting()
    trainer = Trainer(config, data)
    for _ in range(8):
        trainer.run_epoch()
    losses = [row["val_loss"] for row in trainer.history]
    best = losses.index(min(losses)) + 1
    assert best < 8, "the curve must have turned for this test to mean anything"
    assert trainer.keeps_best_weights
    trainer.stop(keep_best=True)
    result = trainer.finish()
    assert result.status == Status.STOPPED and result.epochs_run == 8  # every epoch stays in the history
    assert f"Restored to epoch {best}, the lowest validation loss ({min(losses):.4g})" in result.message
    assert [row.get("restored") for row in result.history] == [1 if e == best else None for e in range(1, 9)]
    assert _val_loss_of(result.model, data) == pytest.approx(min(losses), rel=1e-4)


def test_a_plain_stop_keeps_the_last_epochs_weights():
    config, data = _overfitting()
    trainer = Trainer(config, data)
    for _ in range(8):
        trainer.run_epoch()
    trainer.stop()
    result = trainer.finish()
    assert "Restored" not in result.message and not any("restored" in row for row in result.history)
    assert _val_loss_of(result.model, data) == pytest.approx(result.history[-1]["val_loss"], rel=1e-4)


def test_a_network_beyond_the_bound_keeps_no_copy_and_says_so(monkeypatch, iris):
    monkeypatch.setattr("nnlab.training.train.BEST_WEIGHTS_MAX_PARAMS", 10)  # iris 4-8-3 has 67 parameters
    trainer = Trainer(TINY, iris)
    trainer.run_epoch()
    assert not trainer.keeps_best_weights
    trainer.stop(keep_best=True)
    result = trainer.finish()
    assert "were not kept: this network has more than 10 parameters" in result.message


def test_a_stop_signal_mid_epoch_drops_that_epoch_only(monkeypatch):
    monkeypatch.setattr(train_module, "FOLD_SECONDS", 0.0)  # epochs in chunks, with progress between them
    config = RunConfig(dataset="digits", hidden=(16,), epochs=5, batch_size=8)
    data = load_dataset(config)
    stop = StopSignal()
    trainer = Trainer(config, data, stop=stop,
                      on_progress=lambda epoch, done, total: epoch == 2 and done < total and stop.set())
    assert trainer.run_epoch()["epoch"] == 1
    assert trainer.run_epoch() is None
    assert trainer.status == Status.STOPPED and [row["epoch"] for row in trainer.history] == [1]
    assert trainer.finish().epochs_run == 1


# --- memory: data as arguments, the gradient registry cleaned, tensors shared ---------------------

def _registry() -> dict:
    return tf_runtime._tf_ops._gradient_registry._registry


def _custom_gradient_function():
    """A traced function of our own whose tf.custom_gradient registers an entry, as Keras' optimizer does."""
    @tf.custom_gradient
    def doubled(x):
        return 2 * x, lambda upstream: 2 * upstream

    def twice(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = doubled(x)
        return tape.gradient(y, x)

    return tf.function(twice, input_signature=[tf.TensorSpec((), tf.float32)]).get_concrete_function()


def test_a_trainer_removes_the_gradient_functions_of_its_trace_and_nothing_else(iris):
    SHARED_TRACES.clear()  # this trainer traces its graph itself
    others = _custom_gradient_function()
    theirs = custom_gradient_names(others)
    assert len(theirs) == 1 and theirs <= set(_registry())
    before = set(_registry())
    trainer = Trainer(TINY, iris)
    trainer.run_epoch()
    ours = custom_gradient_names(trainer._train_fn.concrete_function)
    assert ours and all(name.startswith("CustomGradient-") for name in ours)
    assert not ours & set(_registry())  # the trace registered them; the trainer removed them
    assert set(_registry()) == before  # the other function's entry and every built-in gradient stay
    trainer.run_epoch()
    assert set(_registry()) == before  # no retrace, nothing new


def test_a_finished_trainer_kept_by_its_owner_lets_go_of_its_traced_graph(iris):
    SHARED_TRACES.clear()
    trainer = Trainer(TINY, iris)
    trainer.run_epoch()
    graph = weakref.ref(trainer._train_fn.concrete_function.graph)
    trainer.stop()
    trainer.finish()
    assert len(SHARED_TRACES) == 2  # the epoch's graph and the evaluation's, for the next run of this shape
    run = weakref.ref(trainer)
    del trainer
    gc.collect()
    assert run() is None  # the shared graphs hold no run alive (nor its data)
    SHARED_TRACES.clear()
    gc.collect()
    assert graph() is None  # neither the trainer nor TensorFlow's gradient registry holds it


def _history(result) -> list[dict]:
    return [{key: value for key, value in row.items() if key != "seconds"} for row in result.history]


def test_a_run_of_a_shape_traced_before_trains_on_that_graph_exactly_as_on_its_own(iris):
    """Another seed, learning rate and L1 rate, and dropout (its state is a variable too): the first run's
    graph, and the very figures a graph of its own gives."""
    first = RunConfig.from_dict({**TINY.to_dict(), "dropout": 0.2})
    second = RunConfig.from_dict({**first.to_dict(), "seed": 7, "learning_rate": 0.02, "l1": 0.001})
    SHARED_TRACES.clear()
    first_trainer = Trainer(first, iris)
    first_trainer.run_epoch()
    traced = first_trainer._train_fn.concrete_function
    seconds_trainer = Trainer(second, iris)
    assert seconds_trainer._train_fn.concrete_function is not traced  # L1 on: another graph (the penalty in it)
    plain = RunConfig.from_dict({**second.to_dict(), "l1": 0.0})
    shared = Trainer(plain, iris)
    assert shared._train_fn.concrete_function is traced
    while not shared.done:
        shared.run_epoch()
    on_shared = shared.finish()
    SHARED_TRACES.clear()
    on_its_own = train(plain, iris)
    assert _history(on_shared) == _history(on_its_own) and on_shared.test == on_its_own.test
    assert first_trainer.gate.steps_taken() == first_trainer._batches  # its one epoch: the others' steps were not its
    first_trainer.stop()


def test_runs_of_other_shapes_trace_their_own_graphs(iris):
    SHARED_TRACES.clear()
    one = Trainer(TINY, iris)._train_fn.concrete_function
    wider = Trainer(RunConfig.from_dict({**TINY.to_dict(), "hidden": [9]}), iris)._train_fn.concrete_function
    other_optimizer = Trainer(RunConfig.from_dict({**TINY.to_dict(), "optimizer": "sgd"}), iris)._train_fn.concrete_function
    assert len({id(one), id(wider), id(other_optimizer)}) == 3


def test_shared_graphs_are_bounded_and_the_oldest_let_go():
    shared = SharedTraces(size=2)
    variable = tf.Variable(1.0)
    calls = [TracedCall(lambda x, n=n: x * variable + n, [tf.TensorSpec((), tf.float32)], [variable], key=n,
                        shared=shared) for n in range(3)]
    assert [float(call(tf.constant(2.0))) for call in calls] == [2.0, 3.0, 4.0]
    oldest = weakref.ref(calls[0].concrete_function.graph)
    assert len(shared) == 2 and shared.get(0) is None
    del calls[0]
    gc.collect()
    assert oldest() is None


def test_a_graph_serves_a_bounded_number_of_runs_then_is_traced_again():
    shared, variable = SharedTraces(), tf.Variable(1.0)

    def run():
        call = TracedCall(lambda x: x * variable, [tf.TensorSpec((), tf.float32)], [variable], key="k", shared=shared)
        call(tf.constant(1.0))
        return call.concrete_function

    graphs = [run() for _ in range(MAX_USES + 1)]
    assert len({id(graph) for graph in graphs[:MAX_USES]}) == 1  # the first run traced it, MAX_USES − 1 more used it
    assert graphs[MAX_USES] is not graphs[0]  # then a fresh trace: the old graph goes with its runs


def test_a_graph_that_reads_anything_but_the_listed_variables_stays_its_own():
    shared, listed, unlisted = SharedTraces(), tf.Variable(1.0), tf.Variable(10.0)
    call = TracedCall(lambda x: x * listed + unlisted, [tf.TensorSpec((), tf.float32)], [listed], key="k",
                      shared=shared)
    assert float(call(tf.constant(2.0))) == 12.0 and len(shared) == 0
    other = tf.Variable(3.0)
    reused = TracedCall(lambda x: x * listed + unlisted, [tf.TensorSpec((), tf.float32)], [other], key="k",
                        shared=shared)
    assert float(reused(tf.constant(2.0))) == 12.0  # its own trace: a graph shared onto `other` would give 16


def _count_to(limit):
    return tf.while_loop(lambda i, total: i < limit, lambda i, total: (i + 1, total + tf.cast(i, tf.float32)),
                         (tf.constant(0), tf.constant(0.0)))[1]


def _lowered_loops(call: TracedCall) -> list[bool]:
    """For each while loop in the call's graph, whether it is to be lowered to low-level control flow
    (which the single-threaded executor refuses)."""
    return [op.node_def.attr["_lower_using_switch_merge"].b for op in call.concrete_function.graph.get_operations()
            if op.type in ("While", "StatelessWhile")]


def test_a_single_threaded_call_runs_its_loop_on_the_calling_thread_and_keeps_its_graph_apart():
    from tensorflow.python.eager import context

    shared = SharedTraces()
    signature = [tf.TensorSpec((), tf.int32)]
    threaded = TracedCall(_count_to, signature, [], key="k", shared=shared)
    single = TracedCall(_count_to, signature, [], key="k", shared=shared, single_threaded=True)
    assert float(single(tf.constant(5))) == float(threaded(tf.constant(5))) == 10.0
    assert _lowered_loops(single) == [False] and _lowered_loops(threaded) == [True]
    assert single.concrete_function is not threaded.concrete_function  # one key, two executors: two graphs
    assert context.context().function_call_options.executor_type in (None, "")  # the thread's default is back


def test_short_epochs_and_small_steps_run_single_threaded_and_large_steps_on_the_thread_pool(monkeypatch, iris):
    SHARED_TRACES.clear()
    short = Trainer(TINY, iris)
    assert short._folded and short.run_epoch() is not None
    assert _lowered_loops(short._train_fn) == [False]
    monkeypatch.setattr(train_module, "FOLD_SECONDS", 0.0)  # epochs in chunks
    small_steps = Trainer(TINY, iris)
    assert not small_steps._folded and _lowered_loops(small_steps._train_fn) == [False]
    monkeypatch.setattr(train_module, "SINGLE_THREADED_STEP_FLOPS", 0)  # every step counts as large
    large_steps = Trainer(TINY, iris)
    assert large_steps.run_epoch() is not None and _lowered_loops(large_steps._train_fn) == [True]
    assert large_steps.history[0]["loss"] == pytest.approx(short.history[0]["loss"], rel=1e-5)  # the same step
    short.stop(), small_steps.stop(), large_steps.stop()


def test_forgetting_touches_only_custom_gradient_entries():
    assert "MatMul" in _registry()
    assert forget_gradient_functions({"MatMul", "CustomGradient-no-such-entry"}) == 0
    assert "MatMul" in _registry()


def test_the_registry_clean_up_skips_silently_when_tensorflow_has_moved_it(monkeypatch, iris):
    names = custom_gradient_names(_custom_gradient_function())
    monkeypatch.setattr(tf_runtime, "_tf_ops", object())  # no _gradient_registry any more
    assert forget_gradient_functions(names) == 0
    assert train(TINY, iris).status == Status.COMPLETED
    monkeypatch.undo()
    assert forget_gradient_functions(names) == 1  # the entry was there all along


def test_trainers_on_one_dataset_share_its_tensors(iris):
    first, second = Trainer(TINY, iris), Trainer(RunConfig.from_dict({**TINY.to_dict(), "seed": 1}), iris)
    assert first.train_tensors[0] is second.train_tensors[0] and first.train_tensors[1] is second.train_tensors[1]
    label = Trainer(RunConfig.from_dict({**TINY.to_dict(), "encoding": "label"}), iris)
    assert label.train_tensors[0] is first.train_tensors[0]  # the same inputs, other targets
    assert label.train_tensors[1] is not first.train_tensors[1] and label.train_tensors[1].shape.rank == 1


def test_the_tensor_cache_lets_go_of_a_dataset_nobody_holds():
    config = RunConfig(dataset="wine", hidden=(4,), epochs=1)
    data = load_dataset(config)
    result = train(config, data)
    gc.collect()  # earlier tests' data sets go now, not in the count below
    held = len(DATASET_TENSORS)
    gone = weakref.ref(data)
    del data, result
    gc.collect()
    assert gone() is None and len(DATASET_TENSORS) == held - 1
