"""The network's inside: weight images and neuron maps equal the model's own numbers, the layer
statistics' tables, the charts, a saved model read back, and the vanishing-gradient lesson."""
import base64
import io
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from nnlab.training import inside

from nnlab.charts import inside as inside_charts
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.core.errors import UserError
from nnlab.training.model import build_model


@pytest.fixture(scope="module")
def digits():
    config = RunConfig(dataset="digits", hidden=(100,), epochs=1)
    return config, load_dataset(config)


@pytest.fixture(scope="module")
def spiral():
    config = RunConfig(dataset="spiral", hidden=(8, 8), activation="tanh", samples=200)
    return config, load_dataset(config)


def test_the_weight_images_are_the_first_kernel_strongest_first(digits):
    config, dataset = digits
    model = build_model(config, dataset)
    kernel = model.get_layer("hidden_1").kernel.numpy()
    snap = inside.snapshot(model, dataset, epoch=3)
    weights = snap.weights
    assert snap.maps is None and (snap.epoch, snap.batch) == (3, 0)
    assert weights.units == 100 and len(weights.neurons) == inside.MOST_TILES == 64  # "64 of 100"
    norms = np.linalg.norm(kernel, axis=0)
    assert list(weights.neurons) == [int(i) + 1 for i in np.argsort(-norms)[:64]]
    assert np.all(np.diff(weights.strength) <= 0)
    for image, neuron in zip(weights.images, weights.neurons):
        np.testing.assert_array_equal(image, kernel[:, neuron - 1].reshape(8, 8))  # pixel (i, j) is input 8i + j


def test_a_snapshot_keeps_its_copy_while_training_goes_on(digits):
    config, dataset = digits
    model = build_model(config, dataset)
    snap = inside.snapshot(model, dataset, epoch=1)
    before = snap.weights.images.copy()
    kernel = model.get_layer("hidden_1").kernel  # as an optimizer step would
    kernel.assign(kernel.numpy() + 1.0)
    np.testing.assert_array_equal(snap.weights.images, before)


def _by_hand(model, inputs: np.ndarray) -> list[np.ndarray]:
    """tanh(x W + b) layer by layer, in numpy from the weights; the output softmax."""
    outputs, x = [], inputs
    for layer in inside.dense_layers(model):
        kernel, bias = (w.numpy() for w in (layer.kernel, layer.bias))
        z = x @ kernel + bias
        x = np.tanh(z) if layer.name != "output" else np.exp(z - z.max(1, keepdims=True)) / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)
        outputs.append(x)
    return outputs


def test_the_neuron_maps_are_the_layer_outputs_over_the_grid(spiral):
    config, dataset = spiral
    model = build_model(config, dataset)
    snap = inside.snapshot(model, dataset, epoch=1)
    maps = snap.maps
    assert snap.weights is None and [name for name, _ in maps.layers] == ["hidden_1", "hidden_2"]
    # the grid spans the data as the student sees it (raw units, 5 % margin), not the standardized inputs
    raw = dataset.scaler.inverse_transform(dataset.x_train)
    assert maps.x1[0] < raw[:, 0].min() < raw[:, 0].max() < maps.x1[-1]
    assert maps.x2[0] < raw[:, 1].min() < raw[:, 1].max() < maps.x2[-1]
    grid = np.array([(a, b) for b in maps.x2 for a in maps.x1])
    first, second, output = _by_hand(model, dataset.scaler.transform(grid))
    size = inside.GRID
    for (_, drawn), expected in zip(maps.layers, (first, second)):
        # neuron n's output at (x1[j], x2[i]) is drawn at [n, i, j]
        np.testing.assert_allclose(drawn, expected.T.reshape(-1, size, size), atol=1e-5)
    np.testing.assert_allclose(maps.prediction, output[:, 1].reshape(size, size), atol=1e-5)


def test_with_batch_norm_the_maps_are_taken_after_the_activation():
    from nnlab.core.tf_runtime import keras

    config = RunConfig(dataset="moons", hidden=(6, 5), activation="relu", batch_norm=True, dropout=0.2, samples=200)
    dataset = load_dataset(config)
    model = build_model(config, dataset)
    maps = inside.neuron_maps(model, dataset)
    _, _, points = inside.plane_grid(dataset)
    probe = keras.Model(model.inputs[0], [model.get_layer("activation_1").output, model.get_layer("activation_2").output])
    expected = [np.asarray(a) for a in probe(points, training=False)]
    for (name, drawn), out in zip(maps.layers, expected):
        np.testing.assert_allclose(drawn, out.T.reshape(drawn.shape), atol=1e-5)
    assert all(np.all(drawn >= 0) for _, drawn in maps.layers)  # ReLU's output, not the linear Dense's


def test_regression_maps_predict_in_the_targets_units():
    config = RunConfig(dataset="plane", hidden=(4,), samples=200)
    dataset = load_dataset(config)
    model = build_model(config, dataset)
    maps = inside.neuron_maps(model, dataset)
    _, _, points = inside.plane_grid(dataset)
    raw = np.asarray(model(points, training=False))[:, 0]
    np.testing.assert_allclose(maps.prediction.ravel(), dataset.to_original_target(raw), rtol=1e-5)


def test_a_network_without_hidden_layers_has_only_its_prediction_over_the_plane(spiral):
    config, dataset = spiral
    model = build_model(RunConfig(dataset="spiral", hidden=(), samples=200), dataset)
    maps = inside.neuron_maps(model, dataset)
    _, _, points = inside.plane_grid(dataset)
    assert maps.layers == ()
    np.testing.assert_allclose(maps.prediction.ravel(), np.asarray(model(points, training=False))[:, -1], rtol=1e-5)


def test_tabular_sets_have_neither_picture():
    config = RunConfig(dataset="iris", hidden=(4,))
    dataset = load_dataset(config)
    snap = inside.snapshot(build_model(config, dataset), dataset, epoch=1)
    assert snap.weights is None and snap.maps is None


STATS = [{"epoch": e, "layer": name, "grad_norm": g, **{f"w_{p}": p / 100 * scale for p in inside.PERCENTILES}}
         for e in (1, 2) for name, g, scale in (("hidden_1", 1e-6 * e, 1.0), ("hidden_2", 1e-3, 2.0), ("output", 0.1, 3.0))]


def test_the_tables_from_layer_stats():
    assert inside.layer_order(STATS) == ["hidden_1", "hidden_2", "output"]
    bands = inside.weight_bands(STATS)
    assert list(bands.columns[:2]) == ["epoch", "layer"] and bands["w_100"].max() == 3.0
    bad = STATS + [{"epoch": 3, "layer": "output", "grad_norm": float("nan")}, {"epoch": 3, "layer": "hidden_1", "grad_norm": 0.0}]
    assert len(inside.gradient_norms(bad)) == len(STATS)  # a log scale cannot draw NaN or 0
    assert inside.vanishing_ratio(STATS) == pytest.approx(2e-6 / 0.1)
    assert inside.vanishing_ratio([]) is None and inside.weight_bands([]).empty


def _image(url: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def _pixels(url: str) -> np.ndarray:
    """RGBA, as the browser shows it."""
    return np.asarray(_image(url).convert("RGBA"))


def test_the_diverging_colours_are_centred_on_zero():
    image = _pixels(inside_charts.png_uri(np.array([[-1.0, 0.0, 1.0, 2.5, np.nan]])))
    assert image.shape == (1, 5, 4)
    assert tuple(image[0, 0]) == (0xF5, 0x93, 0x22, 255) and tuple(image[0, 1]) == (0xF7, 0xF7, 0xF7, 255)
    assert tuple(image[0, 2]) == (0x08, 0x77, 0xBD, 255) == tuple(image[0, 3])  # clipped beyond ±1
    assert image[0, 4, 3] == 0  # a gap between tiles: transparent


def test_the_weights_grid_is_every_tile_on_its_own_scale(digits):
    config, dataset = digits
    weights = inside.first_layer_images(build_model(config, dataset), dataset)
    spec = inside_charts.weights_grid_chart(weights)
    tiles, (mosaic,) = spec["datasets"]["tiles"], spec["datasets"]["mosaic"]
    assert len(tiles) == 64 and tiles[9] == {"neuron": f"neuron {weights.neurons[9]}", "rank": 10,
                                             "strength": pytest.approx(float(weights.strength[9])),
                                             "x": 1, "x_end": 2, "y": 1, "y_end": 2}
    image = _pixels(mosaic["url"])
    assert image.shape == (8 * 9 - 1, 8 * 9 - 1, 4)
    tile = weights.images[9] / np.abs(weights.images[9]).max()  # the 10th tile: row 1, column 1
    np.testing.assert_array_equal(np.asarray(_image(mosaic["url"]))[9:17, 9:17], inside_charts.colour_index(tile))
    assert np.all(image[8, :, 3] == 0)  # the gap below the first row
    strongest = np.unravel_index(np.abs(tile).argmax(), tile.shape)
    assert tuple(image[9 + strongest[0], 9 + strongest[1]]) in ((0x08, 0x77, 0xBD, 255), (0xF5, 0x93, 0x22, 255))


def test_the_other_charts_carry_what_they_draw(spiral):
    config, dataset = spiral
    maps = inside.neuron_maps(build_model(config, dataset), dataset)
    chart = inside_charts.neuron_maps_chart(maps)["datasets"]
    cells, (image,) = chart["neurons"], chart["mosaic"]
    assert len(cells) == 2 + 16 and {c["layer"] for c in cells} == {"input x₁", "input x₂", "hidden_1", "hidden_2"}
    assert cells[10] == {"layer": "hidden_2", "neuron": 1, "low": pytest.approx(float(maps.layers[1][1][0].min())),
                         "high": pytest.approx(float(maps.layers[1][1][0].max())), "x": 0, "x_end": 1, "y": 2, "y_end": 3}
    indices = np.asarray(_image(image["url"]))
    size = inside.GRID
    assert indices.shape == (3 * (size + 1) - 1, 8 * (size + 1) - 1)  # the inputs' row, then one per layer
    second = maps.layers[1][1]  # hidden_2, neuron 1: row 2, column 0; its top row is the grid's highest x2
    np.testing.assert_array_equal(indices[2 * (size + 1):, :size],
                                  inside_charts.colour_index(second[0][::-1] / np.abs(second).max()))
    points = pd.DataFrame({"x1": [0.0], "x2": [1.0], "label": ["blue"], "split": ["train"]})
    prediction = inside_charts.prediction_chart(maps, points, dataset.class_names)["datasets"]
    assert len(prediction["grid"]) == inside.GRID ** 2 and prediction["points"].iloc[0]["label"] == "blue"
    grad = inside_charts.gradient_norm_chart(inside.gradient_norms(STATS), inside.layer_order(STATS))
    assert grad["encoding"]["y"]["scale"]["type"] == "log" and len(grad["datasets"]["norms"]) == 6
    bands = inside_charts.weight_distribution_chart(inside.weight_bands(STATS), inside.layer_order(STATS))
    assert "w_7" in json.dumps(bands["spec"]) and len(bands["datasets"]["bands"]) == 6


def test_each_link_of_the_network_drawing_carries_its_weight_from_the_models_kernels(spiral):
    config, dataset = spiral
    model = build_model(config, dataset)
    maps = inside.neuron_maps(model, dataset)
    kernels = [layer.kernel.numpy() for layer in inside.dense_layers(model)]
    assert [name for name, _ in maps.kernels] == ["hidden_1", "hidden_2", "output"]
    tables = inside_charts.network_tables(maps, dataset.class_names)
    links = tables["links"]
    assert len(links) == sum(kernel.size for kernel in kernels) == 2 * 8 + 8 * 8 + 8 * 2
    by_name = {(link["from"], link["to"]): link["weight"] for link in links}
    assert by_name[("input x₂", "hidden_1 neuron 3")] == pytest.approx(float(kernels[0][1, 2]))
    assert by_name[("hidden_1 neuron 8", "hidden_2 neuron 1")] == pytest.approx(float(kernels[1][7, 0]))
    assert by_name[("hidden_2 neuron 4", f"output: {dataset.class_names[1]}")] == pytest.approx(float(kernels[2][3, 1]))
    largest = max(abs(link["weight"]) for link in links)
    assert all(link["sign"] == ("positive" if link["weight"] >= 0 else "negative") for link in links)
    assert max(link["size"] for link in links) == pytest.approx(1.0) and largest > 0
    assert [column["name"] for column in tables["columns"]] == ["inputs", "hidden_1", "hidden_2", "output"]
    # a copy: training on leaves the drawn weights as they were
    model.layers[0].kernel.assign(kernels[0] + 1.0)
    assert maps.kernels[0][1][1, 2] == pytest.approx(float(kernels[0][1, 2]))
    spec = inside_charts.network_chart(maps, dataset.class_names)
    assert {"from", "to", "weight"} <= {tip["field"] for layer in spec["layer"] for tip in layer["encoding"].get("tooltip", [])
                                        if isinstance(layer["encoding"].get("tooltip"), list)}


def test_a_network_with_more_links_than_can_be_drawn_has_none(spiral):
    config, dataset = spiral
    wide = build_model(RunConfig(dataset="spiral", hidden=(40, 40), samples=200), dataset)  # 80 + 1,600 + 80 weights
    maps = inside.neuron_maps(wide, dataset)
    assert maps.kernels == () and inside_charts.network_tables(maps)["links"] == []
    assert len(maps.layers) == 2  # the neuron maps are still drawn


def test_a_saved_model_reads_back_and_a_damaged_one_is_a_user_error(spiral, tmp_path):
    config, dataset = spiral
    model = build_model(config, dataset)
    path = tmp_path / "m.keras"
    model.save(path)
    again = inside.load_model_bytes(path.read_bytes())
    np.testing.assert_allclose(inside.neuron_maps(again, dataset).prediction, inside.neuron_maps(model, dataset).prediction)
    with pytest.raises(UserError, match="cannot be read"):
        inside.load_model_bytes(b"PK\x03\x04 not a model")


