import base64

import numpy as np
import pytest

from nnlab.verdict import predictions as module
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.training.train import train


@pytest.fixture(scope="module")
def digits_run():
    config = RunConfig(dataset="digits", hidden=(16,), epochs=3)
    data = load_dataset(config)
    result = train(config, data)
    return data, result, module.predict(result.model, data)


def test_confusion_counts_every_test_example(digits_run):
    data, result, predictions = digits_run
    table = module.confusion(data, predictions.outputs)
    assert len(table) == 100 and table["count"].sum() == len(data.y_test)
    right = table[table["true"] == table["predicted"]]["count"].sum()
    assert right / len(data.y_test) == pytest.approx(result.test["accuracy"], abs=1e-6)


def test_samples_put_the_most_confident_mistakes_first(digits_run):
    data, _, predictions = digits_run
    table = module.samples(data, predictions.outputs, count=30)
    wrong = table[~table["correct"]]
    assert list(table["correct"][: len(wrong)]) == [False] * len(wrong)
    assert list(wrong["confidence"]) == sorted(wrong["confidence"], reverse=True)
    assert all(abs(sum(p) - 1) < 1e-3 for p in table["probabilities"])
    assert table["image"][0].startswith("data:image/png;base64,")
    base64.b64decode(table["image"][0].split(",")[1])
    sentence = module.prediction_sentence(table.iloc[0])
    assert sentence.startswith("The machine thinks it is ") and "%" in sentence


def test_no_boundary_for_64_inputs(digits_run):
    assert digits_run[2].grid is None


def test_two_input_sets_get_a_decision_boundary_over_the_raw_plane():
    config = RunConfig(dataset="circle", hidden=(8,), epochs=5, batch_size=10)
    data = load_dataset(config)
    result = train(config, data)
    grid = module.predict(result.model, data).grid
    assert len(grid) == module.GRID ** 2 and grid["value"].between(0, 1).all()
    points = module.boundary_points(data)
    assert grid["x1"].min() <= points["x1"].min() and grid["x1_end"].max() >= points["x1"].max()
    assert set(points["split"]) == {"train", "test"} and set(points["label"]) == {"orange", "blue"}


def test_regression_points_are_in_the_targets_units():
    config = RunConfig(dataset="diabetes", hidden=(8,), epochs=2)
    data = load_dataset(config)
    result = train(config, data)
    points = module.regression_points(data, module.predict(result.model, data).outputs)
    assert points["true"].min() > 10 and np.isfinite(points["predicted"]).all()


def test_shares_are_never_rounded_to_certainty_and_the_top_guesses_are_named():
    from nnlab.verdict.predictions import percent, top_guesses

    assert [percent(v) for v in (0.92, 0.9965, 1.0, 0.003, 0.0)] == ["92 %", "99.7 %", "100 %", "0.3 %", "0 %"]
    assert top_guesses(np.array([0.001, 0.9965, 0.0025]), ("0", "1", "2")) == "1: 99.7 % · 2: 0.2 % · 0: 0.1 %"
