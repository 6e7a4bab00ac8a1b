"""Each lecture page renders, its controls work, and the lecture's numbers appear on it."""
import pytest

from apptest_helpers import button, charts, open_page, plain, wait_until, widget

NEURON, ACTIVATIONS, SOFTMAX, LOSSES = ("app_pages/6_One_neuron.py", "app_pages/7_Activations.py", "app_pages/8_Softmax.py",
                                        "app_pages/9_Loss_functions.py")
DESCENT, BACKPROP, APPROXIMATION, PARAMETERS = ("app_pages/10_Gradient_descent.py", "app_pages/11_Backpropagation.py",
                                                "app_pages/12_Universal_approximation.py", "app_pages/13_Counting_parameters.py")


def text_of(at) -> str:
    return " ".join([m.value for m in at.markdown] + [l.value for l in at.latex] + [str(m.value) for m in at.metric]
                    + [c.value for c in at.caption] + [s.value for s in at.success])


def test_one_neuron_shows_the_quiz_answer_and_follows_its_inputs(runs_dir):
    at = open_page(NEURON)
    assert at.metric[0].value == "11"
    assert "= 11" in text_of(at) and r"\text{relu}(11) = 11" in text_of(at)
    widget(at, "Bias b₁").set_value(-20.0).run()
    assert at.metric[0].value == "0"  # ReLU of −10
    widget(at, "Activation").set_value("linear").run()
    assert at.metric[0].value == "-10"


def test_activations_plot_functions_and_derivatives(runs_dir):
    at = open_page(ACTIVATIONS)
    function, derivative = charts(at)
    assert {row["activation"] for row in function["rows"]} == {"relu", "sigmoid", "tanh", "gaussian", "linear"}
    assert max(row["value"] for row in derivative["rows"] if row["activation"] == "sigmoid" and row["kind"] == "derivative") \
        == pytest.approx(0.25, abs=1e-3)
    widget(at, "Activations").set_value(["elu", "gelu", "swish"]).run()
    assert {row["activation"] for row in charts(at)[0]["rows"]} == {"elu", "gelu", "swish"}
    assert "ReLU keeps 1 — all of it" in text_of(at)  # the lesson at the default point: ReLU passes it on …
    assert "sigmoid keeps 8.63e-08" in text_of(at)  # … sigmoid leaves 0.197^10
    widget(at, "Where the neurons sit (x)").set_value(0.0).run()
    assert "9.54e-07" in text_of(at)  # 0.25^10: sigmoid's best after 10 layers


def test_softmax_table_adds_up_to_one(runs_dir):
    at = open_page(SOFTMAX)
    table = at.dataframe[0].value
    assert table["e^a / T"].sum() == pytest.approx(1.0) and list(table["a"]) == [2.0, 1.0, 0.1]
    assert "add up to **1.000000**" in text_of(at)
    widget(at, "Numbers (logits), separated by commas").set_value("1, 1, 1, 1").run()
    assert list(at.dataframe[0].value["e^a / T"]) == pytest.approx([0.25] * 4)
    widget(at, "Numbers (logits), separated by commas").set_value("two, 1").run()
    assert "Type numbers" in at.error[0].value
    assert list(at.dataframe) == []


def test_softmax_page_shows_the_three_animals_encodings(runs_dir):
    at = open_page(SOFTMAX)
    encodings = at.dataframe[1].value
    assert list(encodings["one-hot"]) == ["[1, 0, 0]", "[0, 1, 0]", "[0, 0, 1]"] and list(encodings["label"]) == [0, 1, 2]


def test_loss_page_punishes_a_confident_wrong_answer(runs_dir):
    at = open_page(LOSSES)
    widget(at, "Predicted probability of class 1").set_value(0.01).run()
    values = {m.label.split(" ")[0]: float(m.value) for m in at.metric}
    assert values["Squared"] == pytest.approx(0.9801) and values["Cross-entropy"] == pytest.approx(4.6052, abs=1e-4)


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_gradient_descent_reaches_the_screenshot_after_seven_iterations(runs_dir):
    at = open_page(DESCENT)
    for _ in range(7):
        button(at, "Next iteration").click().run()
    assert at.metric[0].value == "7" and at.metric[1].value == "-0.45703125"
    button(at, "Reset").click().run()
    assert at.metric[1].value == "5"


def test_gradient_descent_says_when_it_diverges_and_checks_typed_functions(runs_dir):
    at = open_page(DESCENT)
    widget(at, "Learning rate").set_value(1.5).run()
    button(at, "Run 10 steps").click().run()
    assert "ran away" in at.error[0].value
    widget(at, "Function").set_value("type your own").run()
    widget(at, "f(x) =").set_value("__import__('os')").run()
    assert "cannot read" in plain(at.error[0].value)
    widget(at, "f(x) =").set_value("x^4 - 3x^2").run()
    assert not at.error and "4 x^{3} - 6 x" in text_of(at)


def test_backpropagation_page_shows_every_lecture_number(runs_dir):
    at = open_page(BACKPROP)
    shown = text_of(at)
    for number in ("2.1", "3.61", "-3.8", "-7.98", "1.0798", "0.038", "2.87", "0.74"):
        assert number in shown, number
    widget(at, "Steps").set_value(5).run()
    assert len(at.dataframe[0].value) == 5


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_universal_approximation_fits_with_the_real_backend(runs_dir, monkeypatch):
    """While it fits, the browser fetches each epoch's fitted curve (issue 24): one component with a token for
    this run, the points and the true curve; no fragment polls; at its end, the page's chart as before."""
    import json

    from apptest_helpers import record_polls
    from nnlab.serving.live_answer import live_answer
    from nnlab.ui import live_chart, live_route

    polls = record_polls(monkeypatch)
    at = open_page(APPROXIMATION)
    widget(at, "Epochs").set_value(40).run()
    button(at, "Fit").click().run()
    job = at.session_state["approximation"]
    mounted = at.get("bidi_component")
    assert len(mounted) == 1 and mounted[0].proto.component_name.endswith("nnlab_live_fit")
    data = json.loads(mounted[0].proto.json)
    assert live_route.TOKENS.read(data["token"]).serials == (job.serial,) and len(data["target"]) == 200
    assert 0 < len(data["points"]) <= 600 and not at.get("vega_lite_chart") and polls == []
    at.session_state[live_chart.failure_key(job.serial)] = True  # the live view could not reach the route
    at.run()
    assert job.done or ("_polled_fragment" in polls and any("could not reach" in c.value for c in at.caption))
    del at.session_state[live_chart.failure_key(job.serial)]
    polls.clear()
    wait_until(at, lambda at: job.snapshot is not None)
    assert len(live_answer(job, 0)["curve"]) == 200  # what the browser fetches and draws: the network's curve
    wait_until(at, lambda at: at.session_state["approximation"].done)
    job = at.session_state["approximation"]
    assert job.status == "completed" and job.snapshot is not None and len(job.snapshot) == 200
    fit = charts(at)[0]
    assert len(fit["rows"]) > 500  # points, the true curve and the fitted curve
    assert any(m.label.startswith("Average distance") for m in at.metric)
    assert polls == [] and not at.get("bidi_component")  # nothing polled from the click to the end


def test_counting_parameters_matches_keras(runs_dir):
    at = open_page(PARAMETERS)
    assert at.metric[0].value == "16,750"
    widget(at, "Layer sizes: inputs, hidden layers…, outputs").set_value("2, 3, 1").run()
    assert at.metric[0].value == "13"  # (2 + 1)·3 + (3 + 1)·1
    button(at, "Check with Keras").click().run()
    assert at.success[0].value == "Keras' count_params(): 13 — the same."
    widget(at, "Layer sizes: inputs, hidden layers…, outputs").set_value("784").run()
    assert "at least two sizes" in at.error[0].value


def test_home_and_train_link_to_the_concept_pages(runs_dir):
    home = open_page()
    train = open_page("app_pages/1_Train.py")
    for at in (home, train):
        targets = {link.proto.page for link in at.get("page_link")}  # URL paths, e.g. Gradient_descent
        assert {"Gradient_descent", "Counting_parameters", "Activations"} <= targets, targets


def test_gradient_descent_on_a_function_too_large_to_evaluate_says_so_instead_of_a_broken_chart(runs_dir):
    import json

    def strict(spec: str):  # the browser's JSON: NaN or Infinity in a spec breaks the chart (a red box)
        return json.loads(spec, parse_constant=lambda name: pytest.fail(f"{name} in a chart's spec"))

    at = open_page(DESCENT)
    widget(at, "Function").set_value("type your own").run()
    widget(at, "f(x) =").set_value("(x+1)^999").run()  # 6^999 at the default start, 5: beyond any float
    assert "too large to work with" in plain(at.error[0].value) and not at.exception
    for chart in at.get("vega_lite_chart"):
        strict(chart.proto.spec)
    widget(at, "Starting point").set_value(-1.0).run()  # f(-1) = 0 there: the descent works, its chart too
    assert not at.error and at.get("vega_lite_chart")
    for chart in at.get("vega_lite_chart"):
        strict(chart.proto.spec)
    widget(at, "f(x) =").set_value("log(x + 1)").run()  # not defined at -1
    assert "not defined there" in plain(at.error[0].value) and not at.exception
