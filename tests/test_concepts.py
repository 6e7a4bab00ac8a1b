"""The lecture's worked examples, to the printed digits."""
import math

import numpy as np
import pytest

from nnlab.concepts import activations, backprop, gradient_descent, losses, neuron, parameters, softmax
from nnlab.concepts.approximation import approximation_config, fit_error, fitted_curve
from nnlab.config import RunConfig
from nnlab.errors import ConfigError


def test_the_neuron_quiz_gives_11():
    step = neuron.neuron([1, 3], [1, 3], bias=1, activation="relu")
    assert step.products == (1, 9) and step.weighted_sum == 10 and step.z == 11 and step.output == 11
    assert neuron.neuron([1, 3], [-1, -3], bias=1).output == 0  # ReLU cuts the negative sum
    with pytest.raises(ValueError, match="2 inputs need 2 weights"):
        neuron.neuron([1, 3], [1], 0)


def test_two_linear_neurons_are_one_line():
    slope, intercept = neuron.layers_stay_linear(2, -1, -1.5, 0.5)
    for x in (-2.0, 0.0, 3.0):
        assert -1.5 * (2 * x - 1) + 0.5 == pytest.approx(slope * x + intercept)


@pytest.mark.parametrize("name", list(activations.FUNCTIONS))
def test_activations_match_keras_and_their_derivatives_match_the_slope(name):
    from nnlab.model import gaussian
    from nnlab.tf_runtime import keras

    x = np.linspace(-4, 4, 81)
    keras_fn = gaussian if name == "gaussian" else keras.activations.get(name)
    np.testing.assert_allclose(activations.FUNCTIONS[name].f(x), keras.ops.convert_to_numpy(keras_fn(x.astype("float32"))),
                               atol=1e-5)
    h = 1e-5
    points = np.array([-2.3, -0.7, 0.4, 1.9])  # away from ReLU's kink at 0
    slope = (activations.FUNCTIONS[name].f(points + h) - activations.FUNCTIONS[name].f(points - h)) / (2 * h)
    np.testing.assert_allclose(activations.FUNCTIONS[name].derivative(points), slope, atol=1e-5)


def test_the_vanishing_gradient_of_sigmoid():
    assert activations.FUNCTIONS["sigmoid"].derivative(0.0) == 0.25
    assert activations.gradient_through_layers("sigmoid", 0.0, 10) == pytest.approx(0.25**10)
    assert activations.gradient_through_layers("relu", 1.0, 10) == 1.0


def test_softmax_steps_add_up_to_one_and_keep_the_order():
    steps = softmax.softmax([2.0, 1.0, 0.1])
    assert steps.exps == pytest.approx((math.e**2, math.e, math.e**0.1))
    assert steps.total == pytest.approx(sum(steps.exps))
    assert sum(steps.probabilities) == pytest.approx(1.0)
    assert steps.probabilities == pytest.approx((0.6590, 0.2424, 0.0986), abs=1e-4)
    big = softmax.softmax([1000.0, 999.0])  # no overflow in the probabilities
    assert big.probabilities == pytest.approx((0.7311, 0.2689), abs=1e-4)


def test_softmax_rows_sum_to_one_like_keras():
    from nnlab.tf_runtime import keras

    rows = np.random.default_rng(0).normal(0, 3, (20, 5))
    for row in rows:
        mine = softmax.softmax(list(row)).probabilities
        assert sum(mine) == pytest.approx(1.0)
        np.testing.assert_allclose(mine, keras.ops.convert_to_numpy(keras.activations.softmax(row[None, :]))[0], rtol=1e-5)


def test_three_animals_one_hot_and_label():
    classes = ["cat", "dog", "bird"]
    assert softmax.one_hot(classes, "dog") == [0, 1, 0] and softmax.label(classes, "bird") == 2
    assert list(softmax.encodings(classes)["one-hot"]) == ["[1, 0, 0]", "[0, 1, 0]", "[0, 0, 1]"]


def test_losses_punish_confident_mistakes_differently():
    assert losses.squared_error(0.9, 1) == pytest.approx(0.01)
    assert losses.binary_cross_entropy(0.9, 1) == pytest.approx(-math.log(0.9))
    assert losses.squared_error(0.01, 1) == pytest.approx(0.9801)
    assert losses.binary_cross_entropy(0.01, 1) == pytest.approx(4.6052, abs=1e-4)


def test_losses_match_keras():
    from nnlab.tf_runtime import keras

    for p, y in ((0.3, 1), (0.8, 0), (0.999, 1)):
        expected = float(keras.losses.BinaryCrossentropy()(np.array([[y]], "float32"), np.array([[p]], "float32")))
        assert losses.binary_cross_entropy(p, y) == pytest.approx(expected, rel=1e-4)  # Keras works in float32


def test_gradient_descent_lands_on_the_lecture_screenshot():
    path, diverged = gradient_descent.descend(gradient_descent.parse("x^2 + x"), start=5, learning_rate=0.25, iterations=7)
    assert path[-1].x == -0.45703125 and not diverged
    assert [p.x for p in path[:4]] == [5, 2.25, 0.875, 0.1875]


@pytest.mark.parametrize("text, derivative", [("x^2", "2*x"), ("x^3", "3*x**2"), ("sin(x)", "cos(x)"),
                                              ("x^4 - 3x^2 + x", "4*x**3 - 6*x + 1"), ("2x + 3 sin x", "3*cos(x) + 2")])
def test_functions_are_differentiated_exactly(text, derivative):
    assert str(gradient_descent.parse(text).derivative_expression) == derivative


def test_too_large_a_learning_rate_diverges():
    path, diverged = gradient_descent.descend(gradient_descent.parse("x^2"), 1, 1.5, 100)
    assert diverged and len(path) < 101  # ran away: stopped early
    assert gradient_descent.descend(gradient_descent.parse("x^2 + x"), 5, 1.5, 6)[1]  # growing steps, uphill
    assert not gradient_descent.descend(gradient_descent.parse("x^2"), 1, 0.9, 20)[1]  # overshoots, but shrinks


@pytest.mark.parametrize("text, message", [
    ("", "type a function"), ("__import__('os')", "cannot read"), ("x.real", "cannot read"), ("y + 1", "unknown name"),
    ("(x + 1", "not a complete formula"), ("9^9^9^9", "exponents without x"), ("x" * 90, "at most 80"),
])
def test_typed_functions_are_checked_before_sympy_sees_them(text, message):
    with pytest.raises(ConfigError, match=message):
        gradient_descent.parse(text)


def test_backpropagation_worked_example():
    step = backprop.step(x=2.1, y=4, w=1, b=0, learning_rate=0.01)
    assert step.prediction == pytest.approx(2.1)
    assert step.loss == pytest.approx(3.61)
    assert step.dloss_dprediction == pytest.approx(-3.8)
    assert step.dloss_dw == pytest.approx(-7.98)
    assert step.dloss_db == pytest.approx(-3.8)
    assert step.new_w == pytest.approx(1.0798) and step.new_b == pytest.approx(0.038)
    assert round(step.new_loss, 2) == 2.87 and round(step.decrease, 2) == 0.74
    more = backprop.steps(2.1, 4, 1, 0, 0.01, 50)
    assert more[1].w == step.new_w and all(a.loss > b.loss for a, b in zip(more, more[1:]))


def test_parameter_counts_equal_keras():
    from nnlab.model import build_for_shape

    for sizes in ([784, 20, 20, 20, 10], [2, 3, 1], [784, 10], [30, 128, 64, 2]):
        table = parameters.count_table(sizes)
        keras_count = build_for_shape(RunConfig(hidden=tuple(sizes[1:-1])), sizes[0], sizes[-1]).count_params()
        assert table["parameters"].sum() == keras_count
    assert parameters.count_table([784, 20, 20, 20, 10])["parameters"].sum() == 16_750


@pytest.mark.parametrize("text", ["784", "a, b", "0, 10", ""])
def test_bad_sizes_are_named(text):
    with pytest.raises(ConfigError):
        parameters.parse_sizes(text)


def test_more_neurons_fit_a_curve_closer():
    from nnlab.data import load_dataset
    from nnlab.synthetic import CURVES
    from nnlab.train import train

    errors = {}
    for neurons in (1, 32):
        config = approximation_config("fn_sin", neurons, "tanh", epochs=120)
        data = load_dataset(config)
        result = train(config, data)
        errors[neurons] = fit_error(fitted_curve(result.model, data), CURVES["fn_sin"][1])
    assert errors[32] < errors[1] / 2
