"""L1 / L2 penalties changed while a run trains (Playground's regularization rate): from the next epoch,
kept in the history, marked on the curves; the penalty is Keras' L1L2 regularizer's."""
import numpy as np
import pytest

from nnlab.charts import training as charts
from nnlab.config.penalty_changes import penalty_changes
from nnlab.config.run_config import RunConfig
from nnlab.core.errors import ConfigError
from nnlab.core.tf_runtime import keras
from nnlab.data.datasets import load_dataset
from nnlab.training.train import Trainer

TINY = RunConfig(dataset="circle", samples=120, hidden=(6,), activation="tanh", epochs=4, batch_size=10,
                 optimizer="sgd", learning_rate=0.1, seed=2)


@pytest.fixture(scope="module")
def circle():
    return load_dataset(TINY)


def _squared_weights(trainer) -> float:
    return sum(float(np.sum(layer.kernel.numpy() ** 2)) for layer in trainer.model.layers if hasattr(layer, "kernel"))


def test_an_l2_penalty_set_during_the_run_counts_from_the_next_epoch_and_is_kept(circle):
    plain, changed = Trainer(TINY, circle), Trainer(TINY, circle)
    for epoch in range(1, 5):
        if epoch == 3:
            changed.set_penalties(l2=0.5)  # between epochs 2 and 3, as a click would land
        plain.run_epoch()
        changed.run_epoch()
    assert [row["l2"] for row in changed.history] == [0.0, 0.0, 0.5, 0.5]
    assert [row["l1"] for row in changed.history] == [0.0] * 4
    assert changed.history[1]["loss"] == pytest.approx(plain.history[1]["loss"], rel=1e-5)  # the same run until then
    assert changed.history[2]["loss"] > plain.history[2]["loss"]  # the penalty is counted in the loss …
    assert _squared_weights(changed) < 0.8 * _squared_weights(plain)  # … and shrinks the weights
    assert penalty_changes(TINY, changed.history) == [{"epoch": 3, "name": "l2", "value": 0.5}]
    assert penalty_changes(TINY, plain.history) == []


def test_the_penalty_is_keras_own_l1l2_regularizer(circle):
    config = RunConfig(**{**TINY.to_dict(), "l1": 0.01, "l2": 0.003})
    trainer = Trainer(config, circle)
    regularizer = keras.regularizers.L1L2(l1=0.01, l2=0.003)
    expected = sum(float(regularizer(layer.kernel)) for layer in trainer.model.layers if hasattr(layer, "kernel"))
    assert float(trainer.step.penalty()) == pytest.approx(expected, rel=1e-5)
    trainer.set_penalties(l1=0.0)  # the L2 stays
    trainer.run_epoch()
    assert (trainer.history[0]["l1"], trainer.history[0]["l2"]) == (0.0, pytest.approx(0.003))


def test_a_rate_out_of_range_is_refused_with_the_range(circle):
    trainer = Trainer(TINY, circle)
    with pytest.raises(ConfigError, match=r"l2 must be in \[0, 1\]"):
        trainer.set_penalties(l2=5.0)
    trainer.run_epoch()
    assert trainer.history[0]["l2"] == 0.0


def test_each_change_is_a_labelled_rule_on_the_curves():
    history = [{"epoch": e, "loss": 1.0, "val_loss": 1.0, "accuracy": 0.5, "val_accuracy": 0.5, "learning_rate": 0.1,
                "l1": 0.0, "l2": 0.0 if e < 3 else 0.01} for e in range(1, 5)]
    loss_spec, _ = charts.training_charts(history, "classification", epochs=4,
                                          penalty_changes=penalty_changes(TINY, history))
    assert [row["short"] for row in loss_spec["datasets"]["rate_changes"]] == ["L2 → 0.01"]


def test_the_marks_read_as_the_history_grows_are_those_read_afresh():
    from nnlab.config.rate_marks import RateMarks, change_marks

    history = [{"epoch": e, "loss": 1.0, "learning_rate": 0.1 if e < 4 else 0.02, "l1": 0.0 if e < 6 else 0.001,
                "l2": 0.0 if e < 4 else 0.01} for e in range(1, 9)]
    marks = RateMarks(TINY)
    for told in (0, 2, 4, 5, 8, 3, 8):  # a cursor behind the others (3) reads again from the start
        assert marks.upto(history, told) == change_marks(TINY, history[:told])
    assert [mark["short"] for mark in change_marks(TINY, history)] == ["rate → 0.02", "L2 → 0.01", "L1 → 0.001"]
