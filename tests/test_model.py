import numpy as np
import pytest

from nnlab.training.architecture import count_params, dense_params, layer_specs
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.training.model import build_model, gaussian, model_specs
from nnlab.core.tf_runtime import keras


@pytest.mark.parametrize(
    "settings",
    [
        {"hidden": ()},
        {"hidden": (20, 20, 20)},
        {"hidden": (64, 32), "batch_norm": True},
        {"hidden": (16,), "dropout": 0.3, "l2": 0.01, "activation": "gaussian"},
        {"hidden": (8, 8, 8, 8), "batch_norm": True, "dropout": 0.2, "activation": "tanh"},
    ],
)
@pytest.mark.parametrize("dataset", ["iris", "digits", "diabetes"])
def test_specs_count_what_keras_counts(settings, dataset):
    config = RunConfig(dataset=dataset, **settings)
    data = load_dataset(config)
    model = build_model(config, data)
    specs = model_specs(config, data)
    assert model.count_params() == count_params(specs)
    assert [(layer.name, layer.count_params()) for layer in model.layers] == [(s.name, s.params) for s in specs]
    assert sum(w.shape.num_elements() for w in model.trainable_weights) == sum(s.trainable for s in specs)
    assert model.output_shape == (None, data.n_outputs)


def test_course_network_has_the_lecture_count():
    # (784+1)·20 + (20+1)·20 + (20+1)·20 + (20+1)·10 = 15,700 + 420 + 420 + 210
    specs = layer_specs(RunConfig(hidden=(20, 20, 20)), 784, 10, "classification")
    assert count_params(specs) == 16_750
    assert specs[0].formula == "(784 inputs + 1 bias) × 20"
    assert dense_params(2, 3) == 9


def test_output_is_softmax_for_classes_and_linear_for_values():
    assert layer_specs(RunConfig(), 4, 3, "classification")[-1].activation == "softmax"
    assert layer_specs(RunConfig(), 4, 1, "regression")[-1].activation == "linear"
    data = load_dataset(RunConfig(dataset="iris"))
    probabilities = build_model(RunConfig(dataset="iris"), data).predict(data.x_test, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_gaussian_activation_is_exp_of_minus_x_squared():
    x = np.array([-2.0, 0.0, 1.0], dtype=np.float32)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gaussian(x)), np.exp(-x**2), rtol=1e-6)


def test_same_seed_same_initial_weights():
    config = RunConfig(dataset="iris", hidden=(8,))
    data = load_dataset(config)
    a, b = build_model(config, data).get_weights(), build_model(config, data).get_weights()
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)


def test_saved_model_with_gaussian_loads_again(tmp_path):
    config = RunConfig(dataset="iris", hidden=(4,), activation="gaussian")
    data = load_dataset(config)
    model = build_model(config, data)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(data.x_test, verbose=0), model.predict(data.x_test, verbose=0), rtol=1e-6)
