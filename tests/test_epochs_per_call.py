"""Several short epochs in one compiled call (the 2-D sets' speed, issue 28): one history row each, and
the same numbers as one epoch a call — the same shuffles, hooks, best epoch, statistics — whether a
pause, a Stop or a learning-rate schedule comes between."""
import threading
import time

import numpy as np
import pytest

from nnlab.config.run_config import RunConfig
from nnlab.core.status import Status
from nnlab.data.datasets import load_dataset
from nnlab.training.train import Trainer

SPIRAL = RunConfig(dataset="spiral", samples=200, hidden=(6, 6), activation="tanh", batch_size=10, optimizer="adam",
                   learning_rate=0.03, epochs=17, seed=4)
FIGURES = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")


@pytest.fixture(scope="module")
def spiral():
    return load_dataset(SPIRAL)


def _trained(config, dataset, per_call: int, while_training=None):
    trainer = Trainer(config, dataset, epochs_per_call=per_call)
    calls = 0
    worker = threading.Thread(target=while_training, args=(trainer,)) if while_training else None
    if worker:
        worker.start()
    while not trainer.done:
        trainer.run_epoch()
        calls += 1
    if worker:
        worker.join(60)
    return trainer, calls


def _same(one, many) -> None:
    assert [row["epoch"] for row in many.history] == [row["epoch"] for row in one.history]
    for name in FIGURES:  # within float32 rounding: another CPU may fuse a kernel differently
        np.testing.assert_allclose([r[name] for r in many.history], [r[name] for r in one.history], rtol=1e-4, atol=1e-6,
                                   err_msg=name)
    assert len(many.layer_stats) == len(one.layer_stats)
    np.testing.assert_allclose([r["grad_norm"] for r in many.layer_stats], [r["grad_norm"] for r in one.layer_stats],
                               rtol=1e-3, atol=1e-6)


def test_several_epochs_a_call_give_each_its_row_and_the_same_numbers_and_best_weights(spiral):
    one, one_calls = _trained(SPIRAL, spiral, 1)
    many, many_calls = _trained(SPIRAL, spiral, 10)
    assert one_calls == 17 and many_calls < 17  # fewer compiled calls, as many rows
    _same(one, many)
    assert many.best.best_epoch == one.best.best_epoch
    for kept, expected in zip(many.best.best_weights, one.best.best_weights):  # the best epoch's, not a call's last
        np.testing.assert_allclose(kept, expected, rtol=1e-4, atol=1e-6)
    assert many.finish().test == pytest.approx(one.finish().test, rel=1e-4)


def test_a_schedule_and_a_pause_in_the_middle_change_nothing(spiral):
    config = RunConfig(**{**SPIRAL.to_dict(), "lr_schedule": "step", "lr_decay": 0.5, "lr_decay_epochs": 5})
    one, _ = _trained(config, spiral, 1)

    def pause_and_resume(trainer):
        deadline = time.monotonic() + 60
        while len(trainer.history) < 3 and time.monotonic() < deadline and not trainer.done:
            time.sleep(0.001)
        trainer.pause()  # lands between two batches, wherever the call is
        while not trainer.holding and time.monotonic() < deadline and not trainer.done:
            time.sleep(0.001)
        trainer.resume()

    many, _ = _trained(config, spiral, 10, pause_and_resume)
    _same(one, many)  # the rates of the step schedule too: a call never spans a change of rate
    assert many.status == Status.COMPLETED


def test_a_stop_during_a_call_keeps_only_whole_epochs(spiral):
    config = RunConfig(**{**SPIRAL.to_dict(), "epochs": 1000})

    def stop_soon(trainer):
        deadline = time.monotonic() + 60
        while len(trainer.history) < 12 and time.monotonic() < deadline:
            time.sleep(0.001)
        trainer.stop()

    many, _ = _trained(config, spiral, 10, stop_soon)
    epochs = [row["epoch"] for row in many.history]
    assert many.status == Status.STOPPED and epochs == list(range(1, len(epochs) + 1)) and 12 <= len(epochs) < 1000
    assert len(many.layer_stats) == len(epochs) * 3  # 2 hidden layers and the output, each epoch
