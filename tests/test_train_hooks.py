"""The Trainer's hooks, each on its own (training/hooks.py): the stop/step gate, the learning-rate
plan, the best epoch and early stopping, layer statistics, and the training step they share."""
import threading
import time

import numpy as np
import pytest

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.training.early_stopping import BestEpoch, EarlyStopping
from nnlab.training.layer_stats import PERCENTILE_KEYS, LayerStatistics
from nnlab.training.learning_rates import LearningRates
from nnlab.config.lr_schedule import scheduled_rate
from nnlab.training.model import build_model
from nnlab.config.optimizers import KERAS_OPTIMIZERS
from nnlab.config.settings import OPTIMIZERS
from nnlab.core.status import Status
from nnlab.training.step_gate import NO_LIMIT, StepGate
from nnlab.training.stop_signal import StopSignal
from nnlab.core.tf_runtime import keras, tf
from nnlab.training.training_step import TrainingStep, make_optimizer


@pytest.fixture(scope="module")
def iris():
    config = RunConfig(dataset="iris", hidden=(6,), epochs=3, seed=1)
    return config, load_dataset(config)


def _optimizer(steps: int):
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build([keras.Variable(np.zeros(2, "float32"))])
    optimizer.iterations.assign(steps)
    return optimizer


def _open(gate) -> bool:
    return bool(gate.open_py())


# --- the stop/step gate ---------------------------------------------------------------------------

def test_the_gate_opens_one_batch_then_the_rest_of_the_epoch_then_everything():
    optimizer = _optimizer(5)
    gate = StepGate(optimizer, batches=4)
    assert _open(gate) and not gate.paused
    gate.pause()
    assert gate.paused and not _open(gate)  # held at the 5 steps taken
    gate.step_batch()
    assert _open(gate)
    optimizer.iterations.assign(6)
    assert not _open(gate)  # exactly one batch
    gate.step_epoch()  # to the end of epoch 2 (steps 5–8 of 4-batch epochs)
    optimizer.iterations.assign(7)
    assert _open(gate)
    optimizer.iterations.assign(8)
    assert not _open(gate)
    gate.resume()
    assert _open(gate) and not gate.paused and int(gate._step_limit.numpy()) == NO_LIMIT


def test_a_step_asked_twice_from_the_same_page_is_one_step():
    """A click delivered twice, or a page drawn before the last step, moves no further than one step
    past what that page showed."""
    optimizer = _optimizer(4)
    gate = StepGate(optimizer, batches=4)
    gate.pause()
    gate.step_epoch(seen=4)
    gate.step_epoch(seen=4)
    assert int(gate._step_limit.numpy()) == 8  # the end of epoch 2, not of epoch 3
    optimizer.iterations.assign(8)
    gate.step_epoch(seen=4)  # from a page drawn before that epoch: nothing more
    assert not _open(gate)
    gate.step_batch(seen=8)
    gate.step_batch(seen=8)
    assert int(gate._step_limit.numpy()) == 9
    gate.step_epoch(seen=8)  # the page that saw 8 steps: to the end of epoch 3
    assert int(gate._step_limit.numpy()) == 12


def test_a_closed_gate_stops_the_loop_lets_go_of_the_signal_and_ignores_steps():
    signal = StopSignal()
    gate = StepGate(_optimizer(0), batches=3, stop=signal)
    gate.close()
    assert gate.stop_requested() and not _open(gate)
    gate.pause()
    assert not gate.paused
    later = StepGate(_optimizer(0), batches=3, stop=signal)  # the signal now reaches only the new run
    signal.set()
    assert later.stop_requested()


def test_only_a_stop_signal_reaches_the_loop():
    with pytest.raises(TypeError, match="StopSignal"):
        StepGate(_optimizer(0), batches=3, stop=threading.Event())


def test_a_hold_waits_for_a_step_and_tells_once():
    holds = []
    gate = StepGate(_optimizer(2), batches=4, on_hold=lambda epoch, done: holds.append((epoch, done)))
    assert gate.hold(1, 2) == (0.0, None)  # not paused: no wait
    gate.pause()
    result = []
    waiter = threading.Thread(target=lambda: result.append(gate.hold(1, 2)))
    waiter.start()
    deadline = time.monotonic() + 30
    while not gate.holding:
        assert time.monotonic() < deadline, "the hold never began"
        time.sleep(0.01)
    gate.step_batch()
    waiter.join(30)
    assert holds == [(1, 2)] and result[0][1] is None and not gate.holding


def test_a_hold_past_the_pause_limit_says_so():
    gate = StepGate(_optimizer(0), batches=4, max_pause_seconds=lambda: 0.0)
    gate.pause()
    waited, over = gate.hold(1, 0)
    assert over == 0.0 and gate.paused_seconds() > 0


# --- the learning-rate plan -------------------------------------------------------------------------

def test_the_rates_hook_puts_each_epochs_rate_in_the_optimizer_and_a_hand_change_replaces_the_plan():
    config = RunConfig(learning_rate=0.1, lr_schedule="step", lr_decay=0.5, lr_decay_epochs=1, epochs=4)
    optimizer, done = _optimizer(0), []
    rates = LearningRates(config, optimizer, lambda: len(done))
    for epoch in (1, 2):
        rates.on_epoch_begin(epoch)
        assert rates.rate == pytest.approx(scheduled_rate(config, epoch))
        assert float(optimizer.learning_rate) == pytest.approx(rates.rate)
        done.append(epoch)
    rates.set(0.3)  # between epochs 2 and 3: from epoch 3 on
    assert float(optimizer.learning_rate) == pytest.approx(0.3)
    rates.on_epoch_begin(3)
    assert rates.rate == 0.3 and rates.plan.changes == {3: 0.3}


# --- the best epoch and early stopping ----------------------------------------------------------------

def test_best_epoch_restores_its_weights_after_a_stop_that_asks(iris):
    config, data = iris
    model = build_model(config, data)
    best = BestEpoch(model=model, max_params=10**9)
    first = model.get_weights()
    history = [{"epoch": 1, "val_loss": 0.5}, {"epoch": 2, "val_loss": 0.9}]
    assert best.on_epoch_end(1, history[0]) is None
    model.set_weights([w + 1 for w in first])
    assert best.on_epoch_end(2, history[1]) is None  # never ends a run
    assert best.on_train_end(model, history, Status.STOPPED) == ""  # nobody asked
    best.restore_at_end = True
    said = best.on_train_end(model, history, Status.STOPPED)
    assert "Restored to epoch 1" in said and history[0]["restored"] == 1
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), first))


def test_best_epoch_says_when_the_network_was_too_big_to_keep(iris):
    config, data = iris
    best = BestEpoch(keep_weights=False, model=build_model(config, data), max_params=10)
    best.on_epoch_end(1, {"val_loss": 0.5})
    best.restore_at_end = True
    assert "more than 10 parameters" in best.on_train_end(best.model, [{"epoch": 1}], Status.STOPPED)


def test_early_stopping_ends_the_run_and_puts_the_best_weights_back(iris):
    config, data = iris
    model = build_model(config, data)
    stopping = EarlyStopping(1, model=model)
    first = model.get_weights()
    assert stopping.on_epoch_end(1, {"val_loss": 0.5}) is None
    model.set_weights([w * 0 for w in first])
    ending = stopping.on_epoch_end(2, {"val_loss": 0.7})
    assert ending.status == Status.EARLY_STOPPED and "best epoch (1)" in ending.message
    stopping.on_train_end(model, [], ending.status)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), first))


# --- layer statistics and the training step -------------------------------------------------------------

def test_layer_statistics_give_a_row_per_dense_layer_with_sorted_percentiles(iris):
    config, data = iris
    model = build_model(config, data)
    step = TrainingStep(model, config, data.task)
    stats = LayerStatistics(model, step.loss, data, step.encoding)
    norms, percentiles = tf.function(stats.measure_py, autograph=False)(*stats.sample)
    stats.record(1, norms.numpy(), percentiles.numpy())
    dense = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [row["layer"] for row in stats.rows] == dense
    for row in stats.rows:
        assert row["grad_norm"] > 0
        assert [row[key] for key in PERCENTILE_KEYS] == sorted(row[key] for key in PERCENTILE_KEYS)


def test_a_training_step_lowers_the_loss_of_its_batch(iris):
    config, data = iris
    config = RunConfig(dataset="iris", hidden=(6,), optimizer="adam", learning_rate=0.05, seed=1)
    step = TrainingStep(build_model(config, data), config, data.task)
    x = tf.constant(data.x_train, tf.float32)
    y = tf.constant(keras.utils.to_categorical(data.y_train, data.n_classes))
    losses = [float(step.apply(x, y)[0]) for _ in range(20)]
    assert losses[-1] < losses[0] and int(step.optimizer.iterations.numpy()) == 20


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_of_the_settings_table_is_built_from_the_one_table(name):
    optimizer = make_optimizer(RunConfig(optimizer=name, learning_rate=0.02))
    spec = KERAS_OPTIMIZERS[name]
    assert type(optimizer).__name__ == spec.name
    assert float(optimizer.learning_rate) == pytest.approx(0.02)
    for key, value in spec.options:
        assert getattr(optimizer, key) == pytest.approx(value)
