import json
import math

import pandas as pd

from nnlab.charts import training as charts

HISTORY = [{"epoch": i, "loss": 1 / i, "val_loss": 1.2 / i, "accuracy": 0.5 + i / 100, "val_accuracy": 0.5 + i / 120,
            "seconds": 0.1, "learning_rate": 0.01} for i in range(1, 6)]


def spec(chart) -> dict:
    return chart if isinstance(chart, dict) else chart.to_dict()


def rows(chart, name: str | None = None) -> list[dict]:
    datasets = spec(chart).get("datasets", {})
    return list(datasets[name]) if name else [row for values in datasets.values() for row in values]


def test_training_charts_hold_every_epoch_train_solid_and_validation_dashed():
    loss, accuracy = charts.training_charts(HISTORY, "classification", epochs=20, best_epoch=5)
    data = rows(loss)
    assert [row["epoch"] for row in data if "val_loss" in row] == [1, 2, 3, 4, 5]
    line = spec(loss)["layer"][0]
    assert line["encoding"]["strokeDash"]["scale"]["range"] == [[1, 0], [6, 4]]
    assert line["encoding"]["x"]["scale"]["domain"] == [1, 20]  # the curves grow into the planned epochs
    assert any(layer["mark"]["type"] == "rule" for layer in spec(loss)["layer"])  # the best epoch …
    assert rows(loss, "best")[0]["epoch"] == 5  # … at epoch 5
    assert json.loads(json.dumps(loss, allow_nan=False))  # strict JSON, as the browser parses it
    assert spec(accuracy)["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 1]


def test_regression_charts_show_mae():
    history = [{"epoch": 1, "loss": 1.0, "val_loss": 1.1, "mae": 30.0, "val_mae": 31.0}]
    _, mae = charts.training_charts(history, "regression")
    assert spec(mae)["layer"][0]["transform"][0]["fold"] == ["mae", "val_mae"]


def test_a_1000_epoch_chart_stays_small():
    history = [{**HISTORY[0], "epoch": i} for i in range(1, 1001)]
    size = sum(len(json.dumps(spec(chart))) for chart in charts.training_charts(history, "classification"))
    assert size < 400_000


def test_compare_charts_colour_each_run():
    loss, _ = charts.compare_charts([("A", HISTORY, "classification"), ("B", HISTORY[:3], "classification")])
    assert {row["run"] for row in rows(loss)} == {"A", "B"}
    assert spec(loss)["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["A", "B"]


def test_empty_history_draws_an_empty_chart():
    loss, _ = charts.training_charts([], "classification", epochs=5)
    assert rows(loss) == []


def test_a_diverged_epoch_is_a_gap_not_invalid_json():
    history = [*HISTORY[:2], {**HISTORY[2], "loss": float("nan"), "val_loss": float("inf")}]
    loss, _ = charts.training_charts(history, "classification")
    json.dumps(loss, allow_nan=False)
    assert rows(loss, "history")[2]["loss"] is None


def test_confusion_boundary_prediction_and_hparam_charts_build():
    confusion = pd.DataFrame([("0", "0", 5), ("0", "1", 1), ("1", "0", 2), ("1", "1", 7)], columns=["true", "predicted", "count"])
    assert spec(charts.confusion_chart(confusion))["layer"][0]["mark"]["type"] == "rect"
    grid = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.0, 0.0], "x1_end": [1.0, 2.0], "x2_end": [1.0, 1.0], "value": [0.1, 0.9]})
    points = pd.DataFrame({"x1": [0.5], "x2": [0.5], "label": ["blue"], "split": ["train"]})
    assert len(spec(charts.boundary_chart(grid, points, "classification", ("orange", "blue")))["layer"]) == 2
    grid = grid.assign(value=[0.49, 0.51])  # Playground's "Discretize output": the class each side of 0.5
    discrete = charts.boundary_chart(grid, points, "classification", ("orange", "blue"), discretize=True)
    heat = spec(discrete)["layer"][0]["data"]["name"]
    assert [row["value"] for row in rows(discrete, heat)] == [0, 1]
    assert spec(charts.prediction_chart(pd.DataFrame({"true": [1.0, 2.0], "predicted": [1.1, 1.9]})))
    table = pd.DataFrame({"run": ["a", "b", "c"], "learning_rate": [0.001, 0.01, 0.1], "optimizer": ["adam", "sgd", "adam"],
                          "val accuracy": [0.9, 0.95, 0.8]})
    scatter = spec(charts.metric_vs_setting_chart(table, "learning_rate", "val accuracy", log_x=True))
    assert scatter["encoding"]["x"]["scale"]["type"] == "log"
    parallel = charts.parallel_coordinates_chart(table, ["learning_rate", "optimizer", "val accuracy"], "val accuracy")
    positions = {(r["run"], r["axis"]): r["position"] for r in rows(parallel)}
    assert positions[("a", "learning_rate")] == 0 and positions[("c", "learning_rate")] == 1
    assert positions[("b", "optimizer")] == 1 and positions[("a", "optimizer")] == 0


def test_the_scatter_colours_each_run_as_the_curves_do():
    names = ["first run", "second run", "third run"]
    loss, _ = charts.compare_charts([(name, HISTORY, "classification") for name in names])
    table = pd.DataFrame({"run": names, "dropout": [0.0, 0.2, 0.5], "test accuracy": [0.9, 0.95, 0.8]})
    scatter = spec(charts.metric_vs_setting_chart(table, "dropout", "test accuracy", colour="run"))
    curve_colour = spec(loss)["layer"][0]["encoding"]["color"]
    assert scatter["encoding"]["color"]["scale"] == curve_colour["scale"] == {"domain": names, "scheme": "tableau10"}
    assert curve_colour["legend"]["direction"] == "vertical"  # long names go down, not off the right edge


def test_a_result_axis_starts_at_the_baseline_and_accuracy_ends_at_100_percent():
    table = pd.DataFrame({"learning_rate": [0.001, 0.01, 0.1], "validation accuracy": [0.958, 0.966, 0.961],
                          "validation mae": [3.0, 2.5, 2.8]})
    accuracy = spec(charts.metric_vs_setting_chart(table, "learning_rate", "validation accuracy", baseline=0.1))
    assert accuracy["encoding"]["y"]["scale"]["domain"] == [0.1, 1]  # not zoomed to 0.958–0.966
    mae = spec(charts.metric_vs_setting_chart(table, "learning_rate", "validation mae"))
    assert mae["encoding"]["y"]["scale"]["domainMin"] == 0


def test_parallel_coordinates_write_each_value_on_its_axis():
    table = pd.DataFrame({"run": ["a", "b"], "learning_rate": [0.001, 0.1], "val accuracy": [0.912345, 0.95]})
    parallel = spec(charts.parallel_coordinates_chart(table, ["learning_rate", "val accuracy"], "val accuracy"))
    text = [layer for layer in parallel["layer"] if layer["mark"]["type"] == "text"]
    assert text and text[0]["encoding"]["text"]["field"] == "raw"
    assert {row["raw"] for row in rows(parallel)} == {"0.001", "0.1", "0.9123", "0.95"}


def test_parallel_coordinates_values_and_lines_read_on_the_light_and_the_dark_theme():
    # Issue 21: the values were Vega-Lite's default black text, black on the dark theme's background.
    # Streamlit's chart theme leaves text marks alone; currentColor is the page's own text colour.
    table = pd.DataFrame({"run": ["a", "b", "c"], "learning_rate": [0.001, 0.01, 0.1], "val accuracy": [0.5, 0.9, 0.7]})
    parallel = spec(charts.parallel_coordinates_chart(table, ["learning_rate", "val accuracy"], "val accuracy"))
    text = [layer["mark"] for layer in parallel["layer"] if layer["mark"]["type"] == "text"]
    assert text and all(mark.get("color") == "currentColor" for mark in text)
    lines = next(layer for layer in parallel["layer"] if layer["mark"]["type"] == "line")
    scheme = lines["encoding"]["color"]["scale"]["scheme"]  # the worst run's line not near-black either
    assert scheme["name"] == "viridis" and scheme["extent"][0] >= 0.2


def test_class_labels_are_written_upright():
    confusion = pd.DataFrame([("0", "0", 5), ("0", "1", 1), ("1", "0", 2), ("1", "1", 7)], columns=["true", "predicted", "count"])
    assert spec(charts.confusion_chart(confusion))["layer"][0]["encoding"]["x"]["axis"]["labelAngle"] == 0
    from nnlab.concepts.charts import activation_chart, bars
    from nnlab.concepts.activations import curves

    assert spec(bars(pd.DataFrame({"digit": ["0", "1"], "p": [0.3, 0.7]}), "digit", "p"))["encoding"]["x"]["axis"]["labelAngle"] == 0
    dash = spec(activation_chart(curves(["relu", "linear"]), "function"))["encoding"]["strokeDash"]["scale"]
    assert dash["domain"] == ["relu", "linear"] and dash["range"][0] == [1, 0] and dash["range"][1] != [1, 0]  # ReLU shows under linear


def test_a_learning_rate_set_during_the_run_is_marked_on_both_curves():
    history = [{"epoch": e, "loss": 1 / e, "val_loss": 1.1 / e, "accuracy": 0.5, "val_accuracy": 0.5,
                "learning_rate": 0.01 if e < 3 else 0.001} for e in range(1, 6)]
    for spec in charts.training_charts(history, "classification", epochs=5, rate_changes=[3]):
        assert spec["datasets"]["rate_changes"] == [{"epoch": 3, "short": "rate → 0.001",
                                                     "label": "learning rate set to 0.001 from epoch 3"}]
        assert any(layer.get("data", {}).get("name") == "rate_changes" for layer in spec["layer"])
    assert all(spec["datasets"]["rate_changes"] == [] for spec in charts.training_charts(history, "classification"))


def _shape(spec: dict) -> str:
    """The spec as Streamlit hands it to the browser's Vega view: without its named data sets."""
    return json.dumps({key: value for key, value in spec.items() if key != "datasets"}, sort_keys=True)


def test_a_live_chart_keeps_one_spec_for_the_whole_run_while_its_data_grows():
    # The browser keeps its Vega view (and only swaps the data) while the spec stays the same.
    history = [{"epoch": e, "loss": 1 / e, "val_loss": 1.1 / e + (0.1 * e if e > 6 else 0), "accuracy": 0.5 + e / 100,
                "val_accuracy": 0.5, "learning_rate": 0.01 if e < 4 else 0.001} for e in range(1, 11)]
    shapes, sizes = set(), []
    for done in range(0, 11):
        evidence = {"onset_epoch": 7, "val_rise": 0.3, "trend_line": [(5, 0.2), (done, 0.1)]} if done > 8 else {}
        charts_now = charts.training_charts(history[:done], "classification", epochs=10, best_epoch=min(done, 6) or None,
                                            evidence=evidence, rate_changes=[4] if done >= 4 else [])
        shapes.add(tuple(_shape(chart) for chart in charts_now))
        sizes.append(len(charts_now[0]["datasets"]["history"]))
    assert len(shapes) == 1
    assert sizes == list(range(0, 11))
    loss, _ = charts.training_charts(history, "classification", epochs=10, evidence={"onset_epoch": 7, "val_rise": 0.3})
    assert loss["datasets"]["onset"][0]["epoch"] == 7 and loss["datasets"]["best"] == []


def test_compare_charts_keep_one_spec_while_the_runs_grow():
    grow = lambda n: charts.compare_charts([("A", HISTORY[:n], "classification"), ("B", HISTORY[:max(1, n - 1)],  # noqa: E731
                                                                                    "classification")], epochs=5)
    assert len({_shape(grow(n)[0]) for n in range(1, 6)}) == 1
    assert len(grow(5)[0]["datasets"]["history"]) == 9


def test_parallel_coordinates_and_the_scatter_take_runs_of_different_shapes():
    # Issue 21: a spiral run with 200 training examples beside runs of "all" (no count recorded) and a
    # run with no hidden layer: a column of text and missing values crashed the sort (str < float).
    from nnlab.store.table import typed

    settings = typed([{"train_size": 200, "hidden": "8", "target": None, "batch_norm": False},
                      {"train_size": None, "hidden": "8, 8", "target": "price", "batch_norm": True},
                      {"train_size": None, "hidden": "none", "target": None, "batch_norm": False}])
    table = settings.assign(run=["spiral", "circle", "iris"], **{"best val accuracy": [0.6, math.nan, 0.9]})
    assert str(table["train_size"].dtype) == "Int64" and list(table["target"]) == ["–", "price", "–"]
    parallel = charts.parallel_coordinates_chart(table, ["train_size", "hidden", "target", "batch_norm",
                                                         "best val accuracy"], "best val accuracy")
    drawn = {(r["run"], r["axis"]): (r["position"], r["raw"]) for r in rows(parallel)}
    assert drawn[("spiral", "train_size")][1] == "200" and drawn[("iris", "train_size")] == (0.0, "–")
    assert drawn[("spiral", "train_size")][0] > drawn[("iris", "train_size")][0]  # a missing value sits below
    assert drawn[("circle", "best val accuracy")][1] == "–"
    assert all(0 <= position <= 1 for position, _ in drawn.values())
    scatter = spec(charts.metric_vs_setting_chart(table, "train_size", "best val accuracy", colour="run"))
    assert scatter["encoding"]["x"]["type"] == "nominal"  # one value only: no number axis ticking 200.000000
    many = table.assign(train_size=pd.array([200, 10_000, None], dtype="Int64"))
    scatter = spec(charts.metric_vs_setting_chart(many, "train_size", "best val accuracy", colour="run"))
    assert scatter["encoding"]["x"]["type"] == "quantitative" and scatter["encoding"]["x"]["axis"]["format"] == ",d"
