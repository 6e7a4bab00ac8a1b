"""Altair charts of the concept pages (pure functions, like nnlab.charts.training)."""
from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from nnlab.charts.training import BLUE, ORANGE, TRAIN_COLOUR, VALIDATION_COLOUR

DASHES = [[1, 0], [8, 4], [3, 3], [8, 3, 2, 3], [12, 4], [4, 2], [10, 2, 2, 2]]  # one per activation shown


def activation_chart(table: pd.DataFrame, kind: str) -> alt.Chart:
    """Each activation (or its derivative) over x. Curves that coincide (ReLU and linear for x > 0)
    stay visible: each has its own dash, and linear a sparse dotted line the others show through."""
    part = table[table["kind"] == kind]
    names = list(dict.fromkeys(part["activation"]))
    dashes = [[2, 6] if name == "linear" else DASHES[i % len(DASHES)] for i, name in enumerate(names)]
    return alt.Chart(part).mark_line(strokeWidth=2.5).encode(
        x=alt.X("x:Q", title="x (the weighted sum + bias)"),
        y=alt.Y("value:Q", title="f(x)" if kind == "function" else "f′(x)"),
        color=alt.Color("activation:N", title=None, sort=names, legend=alt.Legend(orient="bottom", columns=4)),
        strokeDash=alt.StrokeDash("activation:N", sort=names, legend=None,
                                  scale=alt.Scale(domain=names, range=dashes)),
        tooltip=["activation:N", alt.Tooltip("x:Q", format=".2f"), alt.Tooltip("value:Q", format=".4f")],
    ).properties(height=300, width="container", title="the function" if kind == "function" else "its derivative")


def bars(table: pd.DataFrame, x: str, y: str, *, percent: bool = False, colour: str = TRAIN_COLOUR) -> alt.Chart:
    return alt.Chart(table).mark_bar(color=colour).encode(
        x=alt.X(f"{x}:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:Q", axis=alt.Axis(format="%") if percent else alt.Axis(), scale=alt.Scale(domain=[0, 1]) if percent else alt.Scale()),
        tooltip=[x, alt.Tooltip(f"{y}:Q", format=".2%" if percent else ".4g")],
    ).properties(height=260, width="container")


def loss_chart(curves: pd.DataFrame, prediction: float, losses: dict[str, float]) -> alt.LayerChart:
    lines = alt.Chart(curves).mark_line(strokeWidth=2.5).encode(
        x=alt.X("prediction:Q", title="predicted probability of class 1"),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(domain=[0, 5], clamp=True)),
        color=alt.Color("function:N", title=None, scale=alt.Scale(range=[TRAIN_COLOUR, VALIDATION_COLOUR]),
                        legend=alt.Legend(orient="bottom")),
    )
    here = pd.DataFrame([{"prediction": prediction, "loss": min(value, 5), "function": name} for name, value in losses.items()])
    dots = alt.Chart(here).mark_point(size=120, filled=True).encode(
        x="prediction:Q", y="loss:Q", color="function:N", tooltip=["function:N", alt.Tooltip("loss:Q", format=".4f")])
    return alt.layer(lines, dots).properties(height=320, width="container")


def descent_chart(curve: pd.DataFrame, path: pd.DataFrame, tangent: pd.DataFrame) -> alt.LayerChart:
    """The function, the points visited (numbered), and the tangent at the current point."""
    finite = curve["f"][np.isfinite(curve["f"])]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (math.nan, math.nan)
    bottom = low - 0.05 * (high - low)
    # A domain of NaN or infinity is no JSON the browser's chart library reads: it would fail with a red
    # box; the chart then picks its own scale.
    scale = alt.Scale(domain=[bottom, high], clamp=True) if math.isfinite(bottom) and math.isfinite(high) else alt.Scale()
    y = alt.Y("f:Q", title="f(x)", scale=scale)
    line = alt.Chart(curve).mark_line(color="#888888", strokeWidth=2).encode(x=alt.X("x:Q", title="x"), y=y)
    steps = alt.Chart(path).mark_line(color=ORANGE, strokeDash=[3, 3]).encode(x="x:Q", y="f:Q", order="iteration:Q")
    dots = alt.Chart(path).mark_circle(size=90, color=ORANGE).encode(
        x="x:Q", y="f:Q", tooltip=["iteration:Q", alt.Tooltip("x:Q", format=".8g"), alt.Tooltip("f:Q", format=".6g"),
                                   alt.Tooltip("slope:Q", format=".6g")])
    current = alt.Chart(path.tail(1)).mark_circle(size=220, color=BLUE).encode(x="x:Q", y="f:Q")
    touch = alt.Chart(tangent).mark_line(color=BLUE, strokeWidth=2).encode(x="x:Q", y="f:Q")
    return alt.layer(line, steps, dots, touch, current).properties(height=380, width="container")


def fit_chart(points: pd.DataFrame, target: pd.DataFrame, fit: pd.DataFrame | None) -> alt.LayerChart:
    dots = alt.Chart(points).mark_circle(size=18, opacity=0.35, color="#888888").encode(x=alt.X("x:Q"), y=alt.Y("y:Q"))
    truth = alt.Chart(target).mark_line(strokeWidth=2, strokeDash=[6, 4], color=TRAIN_COLOUR).encode(x="x:Q", y="y:Q")
    layers = [dots, truth]
    if fit is not None:
        layers.append(alt.Chart(fit).mark_line(strokeWidth=3, color=VALIDATION_COLOUR).encode(x="x:Q", y="y:Q"))
    return alt.layer(*layers).properties(height=360, width="container")


def line(table: pd.DataFrame, x: str, y: str, title: str) -> alt.Chart:
    return alt.Chart(table).mark_line(point=True, color=TRAIN_COLOUR).encode(
        x=alt.X(f"{x}:Q", axis=alt.Axis(tickMinStep=1)), y=alt.Y(f"{y}:Q", title=title),
        tooltip=[x, alt.Tooltip(f"{y}:Q", format=".6g")]).properties(height=260, width="container")
