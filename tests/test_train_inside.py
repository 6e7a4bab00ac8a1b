"""What the Trainer measures inside the network each epoch, its one-call short epochs, and step mode."""
import threading
import time

import numpy as np
import pytest

import nnlab.training.train as train_module
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.training.dataset_tensors import DATASET_TENSORS
from nnlab.core.status import Status
from nnlab.core.tf_runtime import tf
from nnlab.training.train import PERCENTILE_KEYS, STATS_SAMPLE, Trainer

DIGITS = RunConfig(dataset="digits", hidden=(16, 8), epochs=3, batch_size=64, l2=1e-3)


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DIGITS)


def _tape_norms(trainer):
    """The gradient norms recomputed independently: the loss (penalties included) on the first
    STATS_SAMPLE training examples, in inference mode, differentiated by a GradientTape."""
    x, y = DATASET_TENSORS.sample(trainer.dataset, "one_hot", STATS_SAMPLE)
    kernels = [layer.kernel for layer in trainer.model.layers if hasattr(layer, "kernel")]
    with tf.GradientTape() as tape:
        penalty = DIGITS.l2 * tf.add_n([tf.reduce_sum(tf.square(kernel)) for kernel in kernels])  # Keras' L2
        loss = trainer.step.loss_fn(y, trainer.model(x, training=False)) + penalty
    return [float(tf.norm(g)) for g in tape.gradient(loss, kernels)], kernels


@pytest.mark.parametrize("fold", [0.0, 10.0], ids=["chunked", "one-call"])
def test_layer_stats_are_the_gradient_norms_and_percentiles_of_each_kernel(monkeypatch, digits, fold):
    monkeypatch.setattr(train_module, "FOLD_SECONDS", fold)
    trainer = Trainer(DIGITS, digits)
    assert trainer._folded == (fold > 0)
    trainer.run_epoch()
    rows = trainer.layer_stats
    assert [row["layer"] for row in rows] == ["hidden_1", "hidden_2", "output"] and {r["epoch"] for r in rows} == {1}
    norms, kernels = _tape_norms(trainer)
    assert [row["grad_norm"] for row in rows] == pytest.approx(norms, rel=1e-4)
    for row, kernel in zip(rows, kernels):
        values = np.sort(kernel.numpy().ravel())
        assert row["w_0"] == values[0] and row["w_100"] == values[-1]
        assert row["w_50"] == values[round(0.5 * (len(values) - 1))]  # nearest rank: the median of an odd count
        assert row["w_16"] == values[round(0.1587 * (len(values) - 1))]
        assert [row[key] for key in PERCENTILE_KEYS] == sorted(row[key] for key in PERCENTILE_KEYS)
    trainer.run_epoch()
    assert len(trainer.layer_stats) == 6 and trainer.layer_stats[-1]["epoch"] == 2


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_one_call_epochs_train_exactly_as_chunked_ones(monkeypatch, digits):
    histories = {}
    for fold in (0.0, 10.0):
        monkeypatch.setattr(train_module, "FOLD_SECONDS", fold)
        trainer = Trainer(DIGITS, digits)
        while not trainer.done:
            trainer.run_epoch()
        histories[fold] = trainer.history
    for chunked, folded in zip(histories[0.0], histories[10.0]):
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert chunked[key] == pytest.approx(folded[key], rel=1e-5), key


def test_vanishing_gradients_show_in_the_first_layers_of_deep_sigmoid_networks():
    config = RunConfig(dataset="digits", hidden=(32,) * 8, activation="sigmoid", optimizer="sgd",
                       learning_rate=0.1, epochs=1, batch_size=32)
    trainer = Trainer(config, load_dataset(config))
    trainer.run_epoch()
    norms = [row["grad_norm"] for row in trainer.layer_stats]
    assert norms[0] < norms[-2] / 100  # the first hidden layer gets a hundredth of the last hidden's


class _Thread(threading.Thread):
    """Runs a trainer to its end in the background, as a job does."""

    def __init__(self, trainer):
        super().__init__(daemon=True)
        self.trainer = trainer

    def run(self):
        while not self.trainer.done:
            self.trainer.run_epoch()


def _wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("fold", [0.0, 10.0], ids=["chunked", "one-call"])
def test_step_mode_trains_exactly_one_batch_then_the_rest_of_the_epoch(monkeypatch, digits, fold):
    monkeypatch.setattr(train_module, "FOLD_SECONDS", fold)
    holds = []
    trainer = Trainer(DIGITS, digits, on_pause=lambda epoch, batch: holds.append((epoch, batch)))
    trainer.pause()
    runner = _Thread(trainer)
    runner.start()
    _wait_for(lambda: holds == [(1, 0)])
    assert trainer.gate.steps_taken() == 0 and trainer.paused
    trainer.step_batch()
    _wait_for(lambda: len(holds) == 2)
    assert holds[-1] == (1, 1) and trainer.gate.steps_taken() == 1 and trainer.position == (1, 1)
    assert trainer.partial["batch"] == 1 and trainer.history == []
    trainer.step_batch()
    _wait_for(lambda: len(holds) == 3)
    assert trainer.gate.steps_taken() == 2
    trainer.step_epoch()
    _wait_for(lambda: len(holds) == 4)
    batches = trainer._batches
    assert holds[-1] == (2, 0) and trainer.gate.steps_taken() == batches and len(trainer.history) == 1
    trainer.step_epoch()
    _wait_for(lambda: len(holds) == 5)
    assert trainer.gate.steps_taken() == 2 * batches and len(trainer.history) == 2
    trainer.resume()
    runner.join(60)
    assert trainer.status == Status.COMPLETED and len(trainer.history) == 3
    assert trainer.finish().steps == 3 * batches


def test_a_stop_ends_a_paused_run_at_once_and_a_long_pause_ends_it_too(digits):
    trainer = Trainer(DIGITS, digits)
    trainer.run_epoch()
    trainer.pause()
    runner = _Thread(trainer)
    runner.start()
    time.sleep(0.3)
    assert not trainer.done and trainer.gate.steps_taken() == trainer._batches
    trainer.stop()
    runner.join(10)
    assert not runner.is_alive() and trainer.status == Status.STOPPED and len(trainer.history) == 1

    trainer = Trainer(DIGITS, digits, max_pause_seconds=0.3)
    trainer.pause()
    runner = _Thread(trainer)
    runner.start()
    runner.join(30)
    assert trainer.status == Status.STOPPED and "paused" in trainer.message and trainer.history == []


def test_paused_time_is_not_counted_in_the_epoch(digits):
    trainer = Trainer(DIGITS, digits, on_pause=lambda epoch, batch: None)
    trainer.run_epoch()  # traced
    trainer.pause()
    runner = _Thread(trainer)
    runner.start()
    time.sleep(0.1)
    trainer.step_batch()
    time.sleep(1.0)
    trainer.resume()
    runner.join(60)
    assert trainer.history[1]["seconds"] < 0.9


def test_a_resume_landing_just_after_a_held_call_goes_on_training(digits):
    trainer = Trainer(DIGITS, digits, on_pause=lambda epoch, batch: None)
    trainer.pause()
    real, calls = trainer._train_fn, []

    def train_then_resume(*args):  # the click comes between the call's return and the check after it
        outputs = real(*args)
        calls.append(int(outputs[0]))
        if len(calls) == 1:
            trainer.resume()
        return outputs

    trainer._train_fn = train_then_resume
    runner = _Thread(trainer)
    runner.start()
    _wait_for(lambda: trainer.holding)
    trainer.step_batch()
    runner.join(60)
    assert calls[0] == 1 and trainer.status == Status.COMPLETED and len(trainer.history) == 3


def test_one_epoch_clicked_twice_stops_at_an_epoch_boundary(digits):
    trainer = Trainer(DIGITS, digits, on_pause=lambda epoch, batch: None)
    trainer.pause()
    runner = _Thread(trainer)
    runner.start()
    _wait_for(lambda: trainer.holding)
    trainer.step_batch()
    _wait_for(lambda: trainer.holding and trainer.gate.steps_taken() == 1)
    trainer.step_epoch()
    trainer.step_epoch()  # a second click: the end of the next epoch, not mid-epoch
    _wait_for(lambda: len(trainer.history) == 2 and trainer.holding)
    assert trainer.gate.steps_taken() == 2 * trainer._batches and trainer.position == (3, 0)
    trainer.stop()
    runner.join(60)
