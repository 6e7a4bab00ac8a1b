"""The lecture's worked examples, to the printed digits."""
import json
import math
import select
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nnlab.concepts import activations, backprop, gradient_descent, losses, neuron, parameters, softmax
from nnlab.concepts.approximation import approximation_config, fit_error, fitted_curve
from nnlab.config.run_config import RunConfig
from nnlab.core.errors import ConfigError


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
    from nnlab.training.model import gaussian
    from nnlab.core.tf_runtime import keras

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
    from nnlab.core.tf_runtime import keras

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
    from nnlab.core.tf_runtime import keras

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


def test_too_many_iterations_are_refused_with_what_to_do():
    with pytest.raises(ConfigError, match="press Reset"):
        gradient_descent.descend(gradient_descent.parse("x^2"), 1, 0.1, gradient_descent.MAX_ITERATIONS + 1)


def test_the_view_frames_the_points_and_draws_the_tangent():
    path, _ = gradient_descent.descend(gradient_descent.parse("x^2 + x"), 5, 0.25, 7)
    view = gradient_descent.view(path)
    assert list(view.table["x"]) == [p.x for p in path] and len(view.points) == 8
    spread = 5 - -0.45703125  # the points span from the start to the last (lowest) x
    assert (view.low, view.high) == pytest.approx((-0.45703125 - spread / 4, 5 + spread / 4))  # margin: a quarter
    current, width = path[-1], 1 + spread / 10
    assert list(view.tangent["x"]) == pytest.approx([current.x - width, current.x + width])
    rise = view.tangent["f"].iloc[1] - view.tangent["f"].iloc[0]
    assert rise / (2 * width) == pytest.approx(current.slope) and current.slope == pytest.approx(2 * current.x + 1)


def test_the_view_leaves_out_points_that_ran_away():
    path, diverged = gradient_descent.descend(gradient_descent.parse("x^2"), 1, 3, 40)
    view = gradient_descent.view(path)
    assert diverged and len(view.points) < len(path) and view.tangent.empty
    assert view.points["x"].abs().max() < gradient_descent.DRAWN and math.isfinite(view.low) and math.isfinite(view.high)
    nowhere = gradient_descent.view(gradient_descent.descend(gradient_descent.parse("x"), 1e300, 1, 0)[0])
    assert nowhere.points.empty and (nowhere.low, nowhere.high) == (-1.0, 1.0)


def test_the_curve_leaves_gaps_where_the_function_is_undefined():
    drawn = gradient_descent.curve(gradient_descent.parse("log(x)"), -1, 1, points=5)
    assert drawn["f"].isna().tolist() == [True, True, True, False, False]


def test_too_large_a_learning_rate_diverges():
    path, diverged = gradient_descent.descend(gradient_descent.parse("x^2"), 1, 1.5, 100)
    assert diverged and len(path) < 101  # ran away: stopped early
    assert gradient_descent.descend(gradient_descent.parse("x^2 + x"), 5, 1.5, 6)[1]  # growing steps, uphill
    assert not gradient_descent.descend(gradient_descent.parse("x^2"), 1, 0.9, 20)[1]  # overshoots, but shrinks


@pytest.mark.parametrize("text, message", [
    ("", "type a function"), ("__import__('os')", "cannot read"), ("x.real", "cannot read"), ("y + 1", "unknown name"),
    ("(x + 1", "not a complete formula"), ("9^9^9^9", "too large"), ("x" * 90, "at most 80"),
    ("99!", "cannot read '!'"), ("x^", "not a complete formula"), ("sin", "not a complete formula"),
    ("1/0 + x", "divides by zero"), ("x/(x - x)", "divides by zero"), ("log(0) x", "outside where it is defined"),
    ("sqrt(-1) + x", "outside where it is defined"), ("exp(exp(exp(99)))", "too large"),
])
def test_typed_functions_are_checked_before_sympy_sees_them(text, message):
    with pytest.raises(ConfigError, match=message):
        gradient_descent.parse(text)


@pytest.mark.parametrize("text, expression", [
    ("sin 2x", "sin(2*x)"), ("sin x cos x", "sin(x)*cos(x)"), ("sin x^2", "sin(x**2)"), ("sin x/2", "sin(x)/2"),
    ("2^3^2 x", "512*x"), ("-x^2", "-x**2"), ("2^-x", "2**(-x)"), ("(x+1)(x-1)", "(x - 1)*(x + 1)"),
    ("1/2x", "x/2"), ("x**3", "x**3"), ("pi x", "pi*x"), ("3 (x - x + 2) x", "6*x"),
])
def test_formulas_read_the_way_they_are_written(text, expression):
    assert str(gradient_descent.parse(text).expression) == expression


@pytest.mark.parametrize("text, expression", [
    ("x^(9^99)", "x**2.95126654306528e+94"),  # exponents beyond 1000 become decimals, not exact giants
    ("x^2000", "x**2000.0"), ("x + 2000000", "x + 2000000.0"), ("x exp(-10^300) + x^2", "x**2"),
])
def test_large_numbers_become_decimals(text, expression):
    assert str(gradient_descent.parse(text).expression) == expression


def test_the_slope_of_abs_is_its_sign_even_inside_other_functions():
    function = gradient_descent.parse("abs(x^3 - 1) + abs(log(x))")
    assert function.derivative(2.0) == pytest.approx(3 * 4 + 1 / 2)
    assert function.derivative(0.5) == pytest.approx(-3 * 0.25 - 1 / 0.5)


# Typed functions that once could hold the interpreter for minutes (Python's big-integer arithmetic
# ignores signals and keeps the GIL), or that stress the parser and SymPy otherwise.
NASTY = [
    "9^9^9^9", "9**9**9**9", "(((9^100)^100)^100)^100", "9^(9^(9^9))", "x^(9^99)", "x^-9^99", "10^100^100",
    "exp(exp(exp(99)))", "exp(x - 10^300)", "99999999999999999999999999^99", "9" * 80, "(x - x + 2)^(9^99)",
    "2^x*2^(999-x)*2^(999-x)", "(1000x)^999999", "(1000001/1000000)^(10^8)", "0.5^(10^300)", "pi^(9^99)",
    "(-1)^(9^99) x", "99!", "((((((((((x^9^99)^9^99)^9^99)^9^99)^9^99)^9^99)^9^99)^9^99)^9^99)^9^99)",
    "x^" * 39 + "x", "(" * 39 + "x" + ")" * 39, "-" * 79 + "x", "sin(" * 15 + "x" + ")" * 15,
    "abs(" * 15 + "x" + ")" * 15, "tan(exp((-9^99 99^0.5^2)*(exp(x/9-10^300))))^pi", "abs(x^x)^abs(x)^abs(x)",
    "exp(log(x)*999999)*x^-999999", "sqrt(x)^(9^99)/sqrt(x)^(9^99)",
]
_ANSWER = """
import json, sys, time
from nnlab.concepts.gradient_descent import descend, parse
from nnlab.core.errors import UserError
for i, text in enumerate(json.loads(sys.argv[1])):
    print(json.dumps(["start", i]), flush=True)
    began = time.perf_counter()
    try:
        descend(parse(text), 1.5, 0.1, 100)
        outcome = "function"
    except UserError as error:
        outcome = "message"
    except Exception as error:
        outcome = f"bug: {type(error).__name__}: {error}"
    print(json.dumps(["done", i, outcome, time.perf_counter() - began]), flush=True)
"""


def test_whatever_is_typed_is_answered_without_freezing_the_server():
    """Each nasty input is answered (a function or a message), in a child process: a hang there would
    freeze this test's interpreter too. Ten seconds per input is a hang guard, not a speed check."""
    child = subprocess.Popen([sys.executable, "-c", _ANSWER, json.dumps(NASTY)], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[1])
    answers, current, deadline = {}, None, time.monotonic() + 60  # the first deadline includes importing SymPy
    try:
        while len(answers) < len(NASTY):
            ready, _, _ = select.select([child.stdout], [], [], max(0.0, deadline - time.monotonic()))
            line = child.stdout.readline() if ready else ""
            assert line, f"no answer within the deadline to {NASTY[current] if current is not None else 'the start'!r}"
            kind, index, *rest = json.loads(line)
            if kind == "start":
                current, deadline = index, time.monotonic() + 10
            else:
                answers[NASTY[index]] = rest
    finally:
        child.kill()
        child.wait(10)
    assert not {text: a for text, a in answers.items() if a[0].startswith("bug")}
    print("\n".join(f"{seconds:6.3f} s  {outcome:8}  {text}" for text, (outcome, seconds) in answers.items()))
    assert answers["9^9^9^9"][0] == "message" and answers["x^(9^99)"][0] == "function"


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
    from nnlab.training.model import build_for_shape

    for sizes in ([784, 20, 20, 20, 10], [2, 3, 1], [784, 10], [30, 128, 64, 2]):
        table = parameters.count_table(sizes)
        keras_count = build_for_shape(RunConfig(hidden=tuple(sizes[1:-1])), sizes[0], sizes[-1]).count_params()
        assert table["parameters"].sum() == keras_count
    assert parameters.count_table([784, 20, 20, 20, 10])["parameters"].sum() == 16_750


@pytest.mark.parametrize("text", ["784", "a, b", "0, 10", ""])
def test_bad_sizes_are_named(text):
    with pytest.raises(ConfigError):
        parameters.parse_sizes(text)


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_more_neurons_fit_a_curve_closer():
    from nnlab.data.datasets import load_dataset
    from nnlab.data.synthetic import CURVES
    from nnlab.training.train import train

    errors = {}
    for neurons in (1, 32):
        config = approximation_config("fn_sin", neurons, "tanh", epochs=120)
        data = load_dataset(config)
        result = train(config, data)
        errors[neurons] = fit_error(fitted_curve(result.model, data), CURVES["fn_sin"][1])
    assert errors[32] < errors[1] / 2
