"""Playground's input features: computed from the raw points, standardized, drawn as maps beside the
neurons' and used by the boundary; ignored by the sets that are not points of a plane."""
import numpy as np
import pytest

from nnlab.charts import inside as inside_charts
from nnlab.config.run_config import RunConfig
from nnlab.data import features
from nnlab.data.datasets import data_key, load_dataset
from nnlab.training import inside
from nnlab.training.model import build_model
from nnlab.verdict import predictions

ALL = tuple(features.FEATURES)


@pytest.fixture(scope="module")
def circle():
    config = RunConfig(dataset="circle", samples=200, features=ALL, hidden=(3,), activation="tanh", seed=1)
    return config, load_dataset(config)


def test_each_input_is_its_formula_of_the_raw_point_standardized_by_the_training_split(circle):
    _, dataset = circle
    assert dataset.n_features == 7 and dataset.feature_names == ("x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin x₁", "sin x₂")
    raw = dataset.plane_points("train")
    x1, x2 = raw[:, 0], raw[:, 1]
    by_hand = np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    expected = (by_hand - by_hand.mean(axis=0)) / by_hand.std(axis=0)
    np.testing.assert_allclose(dataset.x_train, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(dataset.model_inputs(dataset.plane_points("test")), dataset.x_test)


def test_the_points_are_the_same_whatever_inputs_are_chosen():
    plain = load_dataset(RunConfig(dataset="xor", samples=100))
    squared = load_dataset(RunConfig(dataset="xor", samples=100, features=("x1_x2",)))
    np.testing.assert_array_equal(plain.plane_points("train"), squared.plane_points("train"))
    assert squared.n_features == 1 and plain.n_features == 2


def test_sets_that_are_not_a_plane_ignore_the_input_features():
    iris = RunConfig(dataset="iris", features=("sin_x1",))
    assert load_dataset(iris).n_features == 4 and load_dataset(iris).plane is None
    assert data_key(iris) == data_key(RunConfig(dataset="iris"))
    assert data_key(RunConfig(dataset="circle", features=("sin_x1",))) != data_key(RunConfig(dataset="circle"))


def test_each_inputs_map_is_drawn_first_beside_the_neuron_maps(circle):
    config, dataset = circle
    model = build_model(config, dataset)
    maps = inside.snapshot(model, dataset, epoch=1).maps
    assert [name for name, _ in maps.inputs] == list(dataset.feature_names)
    _, _, grid = inside.plane_grid(dataset)
    x1_squared = dict(maps.inputs)["x₁²"]
    np.testing.assert_allclose(x1_squared.ravel(), grid[:, 2])  # point [i * size + j] is (x1[j], x2[i])
    assert np.allclose(x1_squared[0], x1_squared[-1])  # x₁² does not change along x₂
    spec = inside_charts.neuron_maps_chart(maps)
    cells = spec["datasets"]["neurons"]
    assert [cell["layer"] for cell in cells[:7]] == [f"input {name}" for name in dataset.feature_names]
    assert {cell["y"] for cell in cells[:7]} == {0} and {cell["y"] for cell in cells[7:]} == {1}


def test_the_boundary_is_drawn_over_the_raw_plane_through_the_inputs(circle):
    config, dataset = circle
    model = build_model(config, dataset)
    grid = predictions.boundary_grid(model, dataset)
    raw = np.concatenate([dataset.plane_points("train"), dataset.plane_points("test")])
    assert grid["x1"].min() < raw[:, 0].min() and grid["x1_end"].max() > raw[:, 0].max()
    centres = np.column_stack([(grid["x1"] + grid["x1_end"]) / 2, (grid["x2"] + grid["x2_end"]) / 2])
    expected = np.asarray(model.predict(dataset.model_inputs(centres), verbose=0))[:, 1]
    np.testing.assert_allclose(grid["value"], expected, rtol=1e-4, atol=1e-5)
    points = predictions.boundary_points(dataset)
    np.testing.assert_allclose(points[points["split"] == "test"][["x1", "x2"]], dataset.plane_points("test"))


def test_the_exported_formulas_are_the_ones_nnlab_computes():
    points = np.random.default_rng(0).uniform(-6, 6, (50, 2))
    for name, feature in features.FEATURES.items():
        np.testing.assert_allclose(eval(feature.code, {"np": np, "x": points}), feature.compute(points), err_msg=name)  # noqa: S307
