"""Charts of the network's inside (tables and snapshots from `nnlab.training.inside`), as Vega-Lite specs: the
first layer's weights as tiles, each hidden neuron's map over the plane, the weights' distribution per
layer over the epochs, and each layer's gradient norm.

They are redrawn live, at most once a second: each spec is built with Altair once per shape (tens of
milliseconds) and filled with each update's data, as `nnlab.charts.training` does for the curves. Tiles and
maps are PNG images rather than a rectangle per pixel (64 tiles of 28×28 would be 50,000 marks to
redraw); the weights grid is one image of all tiles (one PNG to encode, ≈2 ms, where 64 cost ≈50 ms),
with an invisible cell over each tile for its tooltip. Colours are TensorFlow Playground's: orange
below zero, blue above, near-white at zero; images carry their own colours, so they read the same on
the light and the dark theme.
"""
from __future__ import annotations

import base64
import io
import json
import warnings
from functools import lru_cache

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

from nnlab.charts.training import BLUE, ORANGE, boundary_chart
from nnlab.training.inside import MOST_LINKS

TILE_COLUMNS = 8  # the weights grid: 8 tiles a row (64 tiles make a square)
TILE_PIXELS = 64  # a tile's size on screen
MAP_COLUMNS = 8  # neuron maps: 8 a row, further neurons of a wide layer continue on the next rows
MOST_MAPS = 32  # a wider hidden layer shows its first 32 neurons' maps
_ZERO = "#f7f7f7"


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)


_NEGATIVE, _MIDDLE, _POSITIVE = _rgb(ORANGE), _rgb(_ZERO), _rgb(BLUE)


def _palette() -> list[int]:
    """Index 0 transparent (the gaps between tiles), 1–255 from −1 (orange) through 0 to +1 (blue)."""
    share = np.linspace(-1.0, 1.0, 255, dtype=np.float32)[:, None]
    colours = _MIDDLE + np.where(share < 0, (_MIDDLE - _NEGATIVE) * share, (_POSITIVE - _MIDDLE) * share)
    return [0, 0, 0] + colours.round().astype(np.uint8).ravel().tolist()


_PALETTE = _palette()


def colour_index(share: np.ndarray) -> np.ndarray:
    """Values in [−1, 1] (clipped) as palette indices 1–255; NaN as 0, transparent."""
    share = np.asarray(share, dtype=np.float32)
    index = np.rint((np.clip(np.nan_to_num(share), -1.0, 1.0) + 1.0) * 127.0).astype(np.uint8) + 1
    return np.where(np.isnan(share), 0, index).astype(np.uint8)


def png_uri(share: np.ndarray) -> str:
    """A palette PNG: one byte a pixel, so a 231×231 grid of 64 MNIST tiles is ≈50 KB, not 200."""
    image = Image.fromarray(colour_index(share), mode="P")
    image.putpalette(_PALETTE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1, transparency=0)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _fill(template: str, **datasets: list[dict] | pd.DataFrame) -> dict:
    """The template with its named data sets, rows or tables (the page turns either into Arrow, once)."""
    spec = json.loads(template)
    spec["datasets"] = datasets
    return spec


# --- the first layer's weights -----------------------------------------------------------------------

def mosaic(tiles: np.ndarray, places: list[tuple[int, int]], rows: int, columns: int) -> np.ndarray:
    """Tiles (n, h, w) in one array at their (row, column) places, a transparent pixel (NaN) between."""
    _, height, width = tiles.shape
    whole = np.full((rows * (height + 1) - 1, columns * (width + 1) - 1), np.nan, dtype=np.float32)
    for tile, (row, column) in zip(tiles, places):
        top, left = row * (height + 1), column * (width + 1)
        whole[top:top + height, left:left + width] = tile
    return whole


def weights_mosaic(weights, columns: int = TILE_COLUMNS) -> np.ndarray:
    """All tiles, `columns` a row, strongest first. Each tile on its own scale (its largest |weight| is
    ±1): the strengths differ severalfold between neurons, and one shared scale would leave the weaker
    tiles blank when what a student looks for is each neuron's pattern; the strength itself is in the
    tooltip and the order."""
    count = len(weights.images)
    columns = max(1, min(columns, count))
    limits = np.abs(weights.images).reshape(count, -1).max(axis=1)
    scaled = weights.images / np.where(limits > 0, limits, 1.0)[:, None, None]
    return mosaic(scaled, [divmod(k, columns) for k in range(count)], -(-count // columns), columns)


@lru_cache(maxsize=32)
def _weights_template(columns: int, rows: int, tile: int) -> str:
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[0, columns], nice=False))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[rows, 0], nice=False))  # row 0 at the top
    image = alt.Chart(alt.Data(name="mosaic")).mark_image(
        width=columns * tile, height=rows * tile, smooth=False).encode(x=x, y=y, url="url:N")
    cells = alt.Chart(alt.Data(name="tiles")).mark_rect(opacity=0.01, color=_ZERO).encode(
        x=x, x2="x_end:Q", y=y, y2="y_end:Q",
        tooltip=[alt.Tooltip("neuron:N"), alt.Tooltip("rank:Q", title="rank by strength"),
                 alt.Tooltip("strength:Q", format=".3g", title="strength (L2 norm of its weights)")])
    return json.dumps(alt.layer(image, cells).properties(width=columns * tile, height=rows * tile).to_dict())


def weights_grid_chart(weights, tile: int = TILE_PIXELS) -> dict:
    """One tile per neuron of the first layer (a `nnlab.training.inside.WeightImages`), strongest first."""
    count = len(weights.neurons)
    columns = max(1, min(TILE_COLUMNS, count))
    rows = -(-count // columns)
    tiles = [{"neuron": f"neuron {n}", "rank": k + 1, "strength": float(s), "x": k % columns, "x_end": k % columns + 1,
              "y": k // columns, "y_end": k // columns + 1} for k, (n, s) in enumerate(zip(weights.neurons, weights.strength))]
    mosaic = [{"x": columns / 2, "y": rows / 2, "url": png_uri(weights_mosaic(weights, columns))}]
    return _fill(_weights_template(columns, rows, tile), mosaic=mosaic, tiles=tiles)


# --- neuron maps over the plane ------------------------------------------------------------------------

@lru_cache(maxsize=32)
def _maps_template(columns: int, row_labels: tuple[str, ...], tile: int) -> str:
    rows = len(row_labels)
    labels = " : ".join(f"datum.value == {row + 0.5} ? '{label}'" for row, label in enumerate(row_labels)) + " : ''"
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[0, columns], nice=False))
    y = alt.Y("y:Q", title=None, scale=alt.Scale(domain=[rows, 0], nice=False),  # row 0 at the top
              axis=alt.Axis(values=[row + 0.5 for row in range(rows)], labelExpr=labels, ticks=False, domain=False,
                            grid=False, labelPadding=6))
    image = alt.Chart(alt.Data(name="mosaic")).mark_image(
        width=columns * tile, height=rows * tile, smooth=True).encode(x=x, y=y, url="url:N")
    cells = alt.Chart(alt.Data(name="neurons")).mark_rect(opacity=0.01, color=_ZERO).encode(
        x=x, x2="x_end:Q", y=y, y2="y_end:Q",
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("neuron:Q"), alt.Tooltip("low:Q", format=".3g", title="lowest output"),
                 alt.Tooltip("high:Q", format=".3g", title="highest output")])
    # room on the left for the layer names: Streamlit's sizing would cut them off otherwise
    chart = alt.layer(image, cells).properties(width=columns * tile, height=rows * tile, padding={"left": 90},
                                               autosize=alt.AutoSizeParams(type="pad", contains="padding"))
    return json.dumps(chart.to_dict())


def neuron_maps_chart(maps, tile: int = 64) -> dict:
    """Each input (a row of its own, first) and every hidden neuron's output over the plane (a
    `nnlab.training.inside.NeuronMaps`), a row of tiles per layer (wider layers go on over more rows), drawn as one image. One scale per layer, symmetric
    around 0 (its largest |output|): the neurons of a layer are compared with each other, as the next
    layer weighs them; tanh stays within ±1, ReLU does not."""
    tiles, places, cells, labels = [], [], [], []
    if maps.inputs:  # the inputs first, each on its own scale, as Playground draws them left of the network
        labels.append("inputs")
        for k, (name, values) in enumerate(maps.inputs):
            tiles.append(values[::-1] / (float(np.abs(values).max()) or 1.0))
            places.append((0, k))
            cells.append({"layer": f"input {name}", "neuron": k + 1, "low": float(values.min()),
                          "high": float(values.max()), "x": k, "x_end": k + 1, "y": 0, "y_end": 1})
    for name, outputs in maps.layers:
        shown = outputs[:MOST_MAPS]
        limit = float(np.abs(outputs).max()) or 1.0
        first_row = len(labels)
        labels += [name] + [f"{name} ({row * MAP_COLUMNS + 1}–)" for row in range(1, -(-len(shown) // MAP_COLUMNS))]
        for k, output in enumerate(shown):
            row, column = first_row + k // MAP_COLUMNS, k % MAP_COLUMNS
            tiles.append(output[::-1] / limit)  # image rows run top-down, x2 bottom-up
            places.append((row, column))
            cells.append({"layer": name, "neuron": k + 1, "low": float(output.min()), "high": float(output.max()),
                          "x": column, "x_end": column + 1, "y": row, "y_end": row + 1})
    columns = max([column + 1 for _, column in places], default=1)
    rows = max(len(labels), 1)
    url = png_uri(mosaic(np.array(tiles), places, rows, columns)) if tiles else ""
    return _fill(_maps_template(columns, tuple(labels), tile),
                 mosaic=[{"x": columns / 2, "y": rows / 2, "url": url}] if tiles else [], neurons=cells)


def prediction_frame(maps) -> pd.DataFrame:
    """The prediction over the grid as `charts.boundary_chart` takes it (cells from x1, x2 to the next)."""
    half1, half2 = (maps.x1[1] - maps.x1[0]) / 2, (maps.x2[1] - maps.x2[0]) / 2  # cells centred on their points
    x1, x2 = np.meshgrid(maps.x1, maps.x2)
    return pd.DataFrame({"x1": x1.ravel() - half1, "x2": x2.ravel() - half2, "x1_end": x1.ravel() + half1,
                         "x2_end": x2.ravel() + half2, "value": maps.prediction.ravel()})


@lru_cache(maxsize=32)
def _prediction_template(task: str, class_names: tuple[str, ...]) -> str:
    """`charts.boundary_chart` drawn from empty tables of the right types, its two data sets renamed."""
    grid = pd.DataFrame({name: pd.Series(dtype=float) for name in ("x1", "x2", "x1_end", "x2_end", "value")})
    points = pd.DataFrame({"x1": pd.Series(dtype=float), "x2": pd.Series(dtype=float), "split": pd.Series(dtype=object),
                           "label": pd.Series(dtype=object if task == "classification" else float)})
    with warnings.catch_warnings():  # "cannot infer a type from an empty column": nominal, as meant
        warnings.simplefilter("ignore", UserWarning)
        spec = boundary_chart(grid, points, task, class_names).to_dict()
    for layer, name in zip(spec["layer"], ("grid", "points")):
        layer["data"] = {"name": name}
    spec.pop("datasets", None)
    return json.dumps(spec)


def prediction_chart(maps, points: pd.DataFrame, class_names: tuple[str, ...] = ()) -> dict:
    """The network's output over the plane with the data points: the Playground's big picture."""
    return _fill(_prediction_template(maps.task, tuple(class_names)),
                 grid=prediction_frame(maps), points=points)


# --- the network drawing: every link's weight ------------------------------------------------------------

NODE_SPACING, LAYER_SPACING = 34, 130  # pixels between two neurons of a layer, between two layers
NETWORK_CAPTION = ("The network, as Playground draws it: each link is one weight, blue above zero and orange below, "
                   "the wider the larger. Point at a link for its weight.")
TOO_MANY_LINKS = (f"The network has more than {MOST_LINKS:,} weights: too many links to draw one by one "
                  "(*Weights & gradients* shows how they spread).")


def network_tables(maps, class_names: tuple[str, ...] = ()) -> dict:
    """The network as Playground draws it, from a snapshot's kernels (`maps.kernels`): a column per layer (the
    inputs first, the output last), each neuron a node, each weight a link between two nodes. `nodes`: x (the
    column), y (the row, centred on 0), name; `links`: x, y, x2, y2, their nodes' names, the `weight`, its
    `sign` and `size` (|weight| over the largest |weight|: Playground's line width). Each layer's column name
    in `columns`. Empty without kernels (more than inside.MOST_LINKS)."""
    if not maps.kernels:
        return {"nodes": [], "links": [], "columns": []}
    names = node_names(maps, class_names)
    rows = [[k - (len(column) - 1) / 2 for k in range(len(column))] for column in names]
    largest = max(float(np.abs(kernel).max()) for _, kernel in maps.kernels) or 1.0
    nodes = [{"x": x, "y": y, "name": name} for x, column in enumerate(names) for y, name in zip(rows[x], column)]
    links = [{"x": x, "y": rows[x][i], "x2": x + 1, "y2": rows[x + 1][j], "from": names[x][i], "to": names[x + 1][j],
              "weight": float(w), "sign": "positive" if w >= 0 else "negative", "size": abs(float(w)) / largest}
             for x, (_, kernel) in enumerate(maps.kernels) for (i, j), w in np.ndenumerate(kernel)]
    return {"nodes": nodes, "links": links, "columns": [{"x": 0, "name": "inputs"}] + [
        {"x": x + 1, "name": layer} for x, (layer, _) in enumerate(maps.kernels)]}


def node_names(maps, class_names: tuple[str, ...] = ()) -> list[list[str]]:
    """The network drawing's neurons, a list per column (inputs, each Dense layer), as its tooltips name them."""
    first = maps.kernels[0][1].shape[0]
    inputs = [name for name, _ in maps.inputs] if len(maps.inputs) == first else [str(k + 1) for k in range(first)]
    names = [[f"input {name}" for name in inputs]]
    for layer, kernel in maps.kernels:
        units = kernel.shape[1]
        if layer == "output" and len(class_names) == units:
            names.append([f"output: {name}" for name in class_names])
        else:
            names.append([f"{layer} neuron {k + 1}" if units > 1 else layer for k in range(units)])
    return names


@lru_cache(maxsize=32)
def _network_template(columns: int, tallest: int) -> str:
    half = (tallest - 1) / 2
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-0.3, columns - 0.7], nice=False))
    # neuron 1 at the top, under the layers' names
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[half + 0.6, -half - 1.2], nice=False))
    links = alt.Chart(alt.Data(name="links")).mark_rule(opacity=0.8).encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q",
        color=alt.Color("sign:N", scale=alt.Scale(domain=["negative", "positive"], range=[ORANGE, BLUE]), legend=None),
        strokeWidth=alt.StrokeWidth("size:Q", scale=alt.Scale(domain=[0, 1], range=[1.5, 7]), legend=None),
        tooltip=[alt.Tooltip("from:N"), alt.Tooltip("to:N"), alt.Tooltip("weight:Q", format=".4g")])
    nodes = alt.Chart(alt.Data(name="nodes")).mark_circle(size=260, color="#888888", opacity=1, stroke="#333333").encode(
        x=x, y=y, tooltip=[alt.Tooltip("name:N", title="neuron")])
    titles = alt.Chart(alt.Data(name="columns")).mark_text(baseline="bottom", fontSize=11).encode(
        x=x, y=alt.value(12), text="name:N")
    chart = alt.layer(links, nodes, titles).properties(
        width=LAYER_SPACING * columns, height=NODE_SPACING * (tallest + 1.8))
    return json.dumps(chart.to_dict())


def network_chart(maps, class_names: tuple[str, ...] = ()) -> dict:
    """The network drawing (network_tables): each link coloured by its weight's sign (blue positive, orange
    negative) and as wide as it is large, its weight in its tooltip."""
    tables = network_tables(maps, class_names)
    columns = len(tables["columns"]) or 1
    tallest = max((sum(node["x"] == x for node in tables["nodes"]) for x in range(columns)), default=1)
    return _fill(_network_template(columns, tallest), **tables)


# --- weights and gradients per layer ---------------------------------------------------------------------

@lru_cache(maxsize=32)
def _bands_template(layers: tuple[str, ...], width: int, columns: int) -> str:
    base = alt.Chart()
    x = alt.X("epoch:Q", title="Epoch", axis=alt.Axis(tickMinStep=1))
    areas = [base.mark_area(opacity=opacity, color=BLUE).encode(x=x, y=alt.Y(f"w_{low}:Q", title="Weight"), y2=f"w_{high}:Q")
             for low, high, opacity in ((0, 100, 0.15), (7, 93, 0.2), (16, 84, 0.25), (31, 69, 0.3))]
    median = base.mark_line(color=BLUE, strokeWidth=1.5).encode(
        x=x, y="w_50:Q", tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("epoch:Q"),
                                  *[alt.Tooltip(f"w_{p}:Q", format=".3g", title=label)
                                    for p, label in ((0, "min"), (16, "16 %"), (50, "median"), (84, "84 %"), (100, "max"))]])
    chart = alt.layer(*areas, median, data=alt.Data(name="bands")).properties(width=width, height=150).facet(
        facet=alt.Facet("layer:N", sort=list(layers), title=None), columns=columns).resolve_scale(y="independent")
    return json.dumps(chart.to_dict())


def weight_distribution_chart(bands: pd.DataFrame, layers: list[str], width: int = 180, columns: int = 3) -> dict:
    """TensorBoard's distributions: per layer, the weights' percentiles over the epochs as nested bands
    (min–max, 7–93, 16–84, 31–69: darker towards the middle) around the median."""
    return _fill(_bands_template(tuple(layers), width, columns), bands=bands)


# Viridis from yellow (1) down to blue (0.25) in steps of 0.125: its darkest purples vanish on the dark theme.
VIRIDIS_TOP = ("#fde725", "#a0da39", "#4ac16d", "#1fa187", "#277f8e", "#365c8d", "#3b528b")
LEGEND_COLUMNS = 4


def depth_colours(count: int) -> list[str]:
    """`count` distinct colours along the depth, first layer yellow to output blue: sampled from
    viridis here, since a continuous scheme on Vega's nominal scale repeats colours between layers."""
    stops = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in VIRIDIS_TOP]
    colours = []
    for k in range(count):
        where = k / max(1, count - 1) * (len(stops) - 1)
        low = min(int(where), len(stops) - 2)
        part = where - low
        colours.append("#" + "".join(f"{round(a + (b - a) * part):02x}" for a, b in zip(stops[low], stops[low + 1])))
    return colours


@lru_cache(maxsize=32)
def _gradient_template(layers: tuple[str, ...], height: int) -> str:
    chart = alt.Chart(alt.Data(name="norms")).mark_line(point=alt.OverlayMarkDef(size=30)).encode(
        x=alt.X("epoch:Q", title="Epoch", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("grad_norm:Q", title="Gradient norm (log scale)", scale=alt.Scale(type="log")),
        color=alt.Color("layer:N", sort=list(layers), scale=alt.Scale(domain=list(layers), range=depth_colours(len(layers))),
                        # below the plot, in columns, names whole: on the right a narrow column clipped them
                        legend=alt.Legend(title=None, orient="bottom", columns=min(LEGEND_COLUMNS, len(layers)) or 1,
                                          labelLimit=0)),
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("epoch:Q"), alt.Tooltip("grad_norm:Q", format=".3g", title="gradient norm")],
    )
    # the width fits the page; `height` is the plot's own, the legend's rows come below it
    return json.dumps(chart.properties(width="container", height=height,
                                       autosize={"type": "fit-x", "contains": "padding"}).to_dict())


def gradient_norm_chart(norms: pd.DataFrame, layers: list[str], height: int = 280) -> dict:
    """Each layer's gradient norm per epoch on a log scale: vanishing shows as the first layers far
    below the last, exploding as a climb. Colours run along the depth, viridis from yellow (first layer)
    to blue (output), leaving out its darkest purples, which vanish on the dark theme."""
    return _fill(_gradient_template(tuple(layers), height), norms=norms)
