"""The charts a lesson needs to be seen (issue 21, problem 7): checked on their Vega-Lite specs."""
import numpy as np
import pandas as pd
import pytest

from nnlab.charts import training as charts, inside as inside_charts

HISTORY = [{"epoch": i, "loss": 1 / i, "val_loss": 1.2 / i, "accuracy": 0.5 + i / 100, "val_accuracy": 0.5 + i / 120,
            "learning_rate": 0.01} for i in range(1, 6)]
RACE = ["A", "B: optimizer SGD → SGD + momentum", "C: optimizer SGD → Adam; learning rate 0.01 → 0.001",
        "D: optimizer SGD → Lion; learning rate 0.01 → 0.0001"]


def test_a_race_of_four_keeps_its_plot_height_whatever_its_legend():
    loss, accuracy = charts.compare_charts([(name, HISTORY, "classification") for name in RACE], epochs=8, height=280)
    for spec in (loss, accuracy):
        # Streamlit fits a chart's whole height, legend included, into `height` unless only the width is fitted
        assert spec["autosize"]["type"] == "fit-x" and spec["height"] == 280
    scale = accuracy["layer"][0]["encoding"]["y"]["scale"]
    assert scale["domain"] == [0, 1] and scale["clamp"] is True  # no line above 100 %


def test_the_learning_rate_chart_fits_its_width_only():
    spec = charts.learning_rate_chart([{"epoch": e, "learning_rate": 0.1} for e in range(1, 6)], HISTORY,
                                      height=160).to_dict()
    assert spec["autosize"]["type"] == "fit-x" and spec["height"] == 160


def test_every_layer_of_a_deep_network_gets_its_own_colour_and_a_whole_legend():
    layers = [f"hidden {i}" for i in range(1, 9)] + ["output"]
    norms = pd.DataFrame([{"epoch": 1, "layer": name, "grad_norm": 10.0 ** -i} for i, name in enumerate(layers)])
    spec = inside_charts.gradient_norm_chart(norms, layers)
    colour = spec["encoding"]["color"]
    assert len(set(colour["scale"]["range"])) == len(layers)
    assert colour["legend"]["orient"] == "bottom" and colour["legend"]["labelLimit"] == 0
    assert spec["autosize"]["type"] == "fit-x"


def test_the_decision_boundary_is_opaque_and_its_points_keep_an_edge_on_an_unsure_prediction():
    grid = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.0, 0.0], "x1_end": [1.0, 2.0], "x2_end": [1.0, 1.0], "value": [0.5, 0.9]})
    points = pd.DataFrame({"x1": [0.5], "x2": [0.5], "label": ["blue"], "split": ["train"]})
    heat, dots = charts.boundary_chart(grid, points, "classification", ("orange", "blue")).to_dict()["layer"]
    assert heat["mark"].get("opacity", 1) == 1  # translucent cells showed the background through their seams
    assert heat["encoding"]["stroke"]["scale"] == heat["encoding"]["color"]["scale"]
    near_white = heat["encoding"]["color"]["scale"]["range"][1]
    assert dots["encoding"]["stroke"]["value"] not in (near_white, "white", "#ffffff")


def test_boundary_cells_are_centred_on_the_points_they_were_computed_at():
    from nnlab.config.run_config import RunConfig
    from nnlab.data.datasets import load_dataset
    from nnlab.training.model import build_model
    from nnlab.verdict.predictions import boundary_grid

    config = RunConfig(dataset="spiral", hidden=(4,), epochs=1)
    dataset = load_dataset(config)
    grid = boundary_grid(build_model(config, dataset), dataset)
    centre = (grid["x1"] + grid["x1_end"]) / 2
    raw = dataset.scaler.inverse_transform(np.concatenate([dataset.x_train, dataset.x_test]))[:, 0]
    pad = (raw.max() - raw.min()) * 0.05
    # the first and last cells centred on the grid's first and last points, where their values were computed
    assert centre.min() == pytest.approx(raw.min() - pad) and centre.max() == pytest.approx(raw.max() + pad)


def _search_frame():
    from nnlab.search.study import Objective, Range

    frame = pd.DataFrame({"trial": range(6), "state": ["complete"] * 6, "value": [0.6, 0.7, 0.8, 0.9, 0.65, 0.85],
                          "epochs": 3, "learning_rate": [1e-4, 1e-3, 1e-2, 1e-1, 3e-3, 3e-2],
                          "dropout": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]})
    space = {"learning_rate": Range("learning_rate", 1e-4, 1, log=True), "dropout": Range("dropout", 0, 0.5)}
    return frame, space, Objective("val_accuracy", True)


def test_each_knob_alone_keeps_its_plot_and_reads_on_the_dark_theme():
    import json

    from nnlab.charts import search as search_charts

    frame, space, objective = _search_frame()
    for found in space.values():
        spec = search_charts.slice_chart(frame, found, objective).to_dict()
        assert "title" not in spec  # the x axis names the knob: a title above was cut off
        assert spec["autosize"]["type"] == "fit-x" and spec["height"] == 200
        assert "greys" not in json.dumps(spec)  # late trials drawn black, on the dark theme's black
    lines = search_charts.parallel_coordinates_chart(frame, space, objective).to_dict()
    assert lines["encoding"]["color"]["scale"]["scheme"]["extent"][0] > 0  # no near-black purple
    assert "black" not in json.dumps(lines) and "#000" not in json.dumps(lines)  # axes coloured by the theme
