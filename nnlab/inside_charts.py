"""Altair charts of the network's inside (tables and snapshots from `nnlab.inside`): the first layer's
weights as tiles, each hidden neuron's map over the plane, the weights' distribution per layer over the
epochs, and each layer's gradient norm.

Tiles and maps are small PNG images (one `mark_image` each) rather than one rectangle per pixel: 64
tiles of 28×28 would be 50,000 marks for the browser to redraw every epoch. Colours are TensorFlow
Playground's (orange below zero, blue above, near-white at zero); the images carry their own colours,
so they read the same on the light and the dark theme.
"""
from __future__ import annotations

import base64
import io

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

from nnlab.charts import BLUE, ORANGE, boundary_chart

TILE_COLUMNS = 8  # the weights grid: 8 tiles a row (64 tiles make a square)
MAP_COLUMNS = 8  # neuron maps: 8 a row, further neurons of a wide layer continue on the next row
MOST_MAPS = 32  # a wider hidden layer shows its first 32 neurons' maps
_ZERO = "#f7f7f7"


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)


_NEGATIVE, _MIDDLE, _POSITIVE = _rgb(ORANGE), _rgb(_ZERO), _rgb(BLUE)


def diverging_png(values: np.ndarray, limit: float) -> str:
    """A 2-D array as a PNG data URI: −limit orange, 0 near-white, +limit blue (clipped beyond)."""
    share = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float32)) / (limit or 1.0), -1.0, 1.0)[..., None]
    rgb = np.where(share < 0, _MIDDLE + (_NEGATIVE - _MIDDLE) * -share, _MIDDLE + (_POSITIVE - _MIDDLE) * share)
    buffer = io.BytesIO()
    Image.fromarray(rgb.round().astype(np.uint8), mode="RGB").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def weights_grid_chart(weights, tile: int = 64) -> alt.Chart:
    """One tile per neuron of the first layer (a `nnlab.inside.WeightImages`), strongest first. Each
    tile has its own scale (its largest |weight| is full colour): the strengths differ tenfold between
    neurons, and one shared scale would leave the weaker tiles blank when what a student looks for is
    each neuron's pattern; the strength itself is in the tooltip and in the order."""
    rows = [{"neuron": f"neuron {n}", "rank": k + 1, "column": k % TILE_COLUMNS, "row": k // TILE_COLUMNS,
             "strength": float(s), "url": diverging_png(image, float(np.abs(image).max()))}
            for k, (n, s, image) in enumerate(zip(weights.neurons, weights.strength, weights.images))]
    columns = min(TILE_COLUMNS, len(rows)) or 1
    tiles = alt.Chart(pd.DataFrame(rows)).mark_image(width=tile, height=tile, smooth=False).encode(
        x=alt.X("column:O", axis=None, scale=alt.Scale(type="band", paddingInner=0.08)),
        y=alt.Y("row:O", axis=None, scale=alt.Scale(type="band", paddingInner=0.08)),
        url="url:N",
        tooltip=[alt.Tooltip("neuron:N"), alt.Tooltip("rank:Q", title="rank by strength"),
                 alt.Tooltip("strength:Q", format=".3g", title="strength (L2 norm of its weights)")],
    )
    return tiles.properties(width=columns * (tile + 6), height=(len(rows) + columns - 1) // columns * (tile + 6))


def neuron_maps_chart(maps, tile: int = 72) -> alt.Chart:
    """Every hidden neuron's output over the plane (a `nnlab.inside.NeuronMaps`), a row of tiles per
    layer. One scale per layer, symmetric around 0 (its largest |output|): the neurons of a layer are
    compared with each other, as the next layer weighs them; tanh stays within ±1, ReLU does not."""
    rows = []
    for layer_number, (name, outputs) in enumerate(maps.layers):
        limit = float(np.abs(outputs).max()) if outputs.size else 1.0
        for k, output in enumerate(outputs[:MOST_MAPS]):
            block = k // MAP_COLUMNS
            label = name if block == 0 else f"{name} ({block * MAP_COLUMNS + 1}–)"
            rows.append({"layer": name, "row": label, "order": layer_number * 100 + block, "column": k % MAP_COLUMNS,
                         "neuron": k + 1, "low": float(output.min()), "high": float(output.max()),
                         "url": diverging_png(output[::-1], limit)})  # image rows run top-down, x2 bottom-up
    frame = pd.DataFrame(rows)
    row_order = list(dict.fromkeys(frame.sort_values("order")["row"])) if len(frame) else []
    columns = int(frame["column"].max()) + 1 if len(frame) else 1
    chart = alt.Chart(frame).mark_image(width=tile, height=tile, smooth=True).encode(
        x=alt.X("column:O", axis=None, scale=alt.Scale(type="band", paddingInner=0.06)),
        y=alt.Y("row:O", sort=row_order, title=None, scale=alt.Scale(type="band", paddingInner=0.1),
                axis=alt.Axis(ticks=False, domain=False, labelPadding=6)),
        url="url:N",
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("neuron:Q"), alt.Tooltip("low:Q", format=".3g", title="lowest output"),
                 alt.Tooltip("high:Q", format=".3g", title="highest output")],
    )
    return chart.properties(width=columns * (tile + 6), height=len(row_order) * (tile + 8))


def prediction_frame(maps) -> pd.DataFrame:
    """The prediction over the grid as `charts.boundary_chart` takes it (cells from x1, x2 to the next)."""
    step1, step2 = maps.x1[1] - maps.x1[0], maps.x2[1] - maps.x2[0]
    x1, x2 = np.meshgrid(maps.x1, maps.x2)
    return pd.DataFrame({"x1": x1.ravel(), "x2": x2.ravel(), "x1_end": x1.ravel() + step1,
                         "x2_end": x2.ravel() + step2, "value": maps.prediction.ravel()})


def prediction_chart(maps, points: pd.DataFrame, class_names: tuple[str, ...] = ()) -> alt.LayerChart:
    """The network's output over the plane with the data points: the Playground's big picture."""
    return boundary_chart(prediction_frame(maps), points, maps.task, class_names).properties(height=360)


def weight_distribution_chart(bands: pd.DataFrame, layers: list[str], width: int = 200) -> alt.FacetChart:
    """TensorBoard's distributions: per layer, the weights' percentiles over the epochs as nested bands
    (min–max, 7–93, 16–84, 31–69: darker towards the middle) around the median."""
    base = alt.Chart()
    x = alt.X("epoch:Q", title="Epoch", axis=alt.Axis(tickMinStep=1))
    areas = [base.mark_area(opacity=opacity, color=BLUE).encode(
        x=x, y=alt.Y(f"w_{low}:Q", title="Weight"), y2=f"w_{high}:Q")
        for low, high, opacity in ((0, 100, 0.15), (7, 93, 0.2), (16, 84, 0.25), (31, 69, 0.3))]
    median = base.mark_line(color=BLUE, strokeWidth=1.5).encode(
        x=x, y="w_50:Q", tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("epoch:Q"),
                                  *[alt.Tooltip(f"w_{p}:Q", format=".3g", title=f"{label}")
                                    for p, label in ((0, "min"), (16, "16 %"), (50, "median"), (84, "84 %"), (100, "max"))]])
    return alt.layer(*areas, median, data=bands).properties(width=width, height=150).facet(
        facet=alt.Facet("layer:N", sort=layers, title=None), columns=4).resolve_scale(y="independent")


def gradient_norm_chart(norms: pd.DataFrame, layers: list[str], height: int = 280) -> alt.Chart:
    """Each layer's gradient norm per epoch on a log scale: vanishing shows as the first layers far
    below the last, exploding as a climb. Colours run along the depth, viridis from yellow (first layer)
    to blue (output), leaving out its darkest purples, which vanish on the dark theme."""
    return alt.Chart(norms).mark_line(point=alt.OverlayMarkDef(size=30)).encode(
        x=alt.X("epoch:Q", title="Epoch", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("grad_norm:Q", title="Gradient norm (log scale)", scale=alt.Scale(type="log")),
        color=alt.Color("layer:N", sort=layers, scale=alt.Scale(domain=layers, scheme={"name": "viridis", "extent": [1, 0.25]}),
                        legend=alt.Legend(title=None, orient="right")),
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("epoch:Q"), alt.Tooltip("grad_norm:Q", format=".3g", title="gradient norm")],
    ).properties(width="container", height=height)
