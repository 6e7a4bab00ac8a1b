import json
import math
import threading

import numpy as np
import pytest

from nnlab.config import OPTIMIZERS, RunConfig
from nnlab.data import load_dataset
from nnlab.stop_signal import StopSignal
from nnlab.train import train

TINY = RunConfig(dataset="iris", hidden=(8,), epochs=3, batch_size=16)


@pytest.fixture(scope="module")
def iris():
    return load_dataset(TINY)


def test_history_holds_every_epoch_and_on_epoch_sees_each(iris):
    seen = []
    result = train(TINY, iris, on_epoch=seen.append)
    assert result.status == "completed" and result.epochs_run == 3
    assert [row["epoch"] for row in seen] == [1, 2, 3] and seen == result.history
    assert set(seen[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"}
    assert all(0 <= row["accuracy"] <= 1 and row["seconds"] > 0 for row in seen)
    assert set(result.test) == {"loss", "accuracy"} and result.params == 5 * 8 + 9 * 3
    assert result.verdict.kind != "diverged"  # a slow start is not divergence


def test_progress_reports_batches_within_each_epoch(iris):
    calls = []
    train(TINY, iris, on_progress=lambda *args: calls.append(args))
    batches = math.ceil(len(iris.x_train) / 16)
    assert calls[-1] == (3, batches, batches)
    assert {epoch for epoch, _, _ in calls} == {1, 2, 3}


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


def test_a_plain_event_set_from_another_thread_stops_training():
    config = RunConfig(dataset="digits", hidden=(16,), epochs=500, batch_size=4)
    data = load_dataset(config)
    stop = threading.Event()
    epochs = []

    def on_epoch(row):
        epochs.append(row)
        if len(epochs) == 2:
            threading.Timer(0.05, stop.set).start()

    result = train(config, data, on_epoch=on_epoch, stop=stop)
    assert result.status == "stopped" and 2 <= result.epochs_run < 500
    assert result.history == epochs


def test_a_stop_set_before_training_trains_nothing(iris):
    stop = StopSignal()
    stop.set()
    result = train(TINY, iris, stop=stop)
    assert result.status == "stopped" and result.history == [] and result.verdict.kind == "no_data"


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
