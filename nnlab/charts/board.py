"""A class's board, drawn to be read on a projector from the back of a room: large type and marks, one
colour per verdict on every chart (the same colour means the same verdict everywhere).

    params_chart   every shared run: parameters (log) against accuracy, coloured by verdict, with the front
    sweep_chart    the combined sweep: one setting against accuracy, every student's runs, coloured by verdict
    verdicts_chart how many runs got each verdict
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from nnlab.charts.training import FIT_WIDTH
from nnlab.verdict.diagnose import KINDS

# Overfitting warm, underfitting cool, diverged red, a good fit green: readable on light and dark themes.
VERDICT_COLOURS = {"Overfitting": "#f58518", "Underfitting": "#4c78a8", "Still improving": "#b279a2",
                   "Good fit": "#54a24b", "Diverged / not learning": "#e45756", "Not enough epochs": "#9d9d9d"}
FRONT_COLOUR = "#888888"
FONT = {"labelFontSize": 15, "titleFontSize": 17}
POINT_SIZE = 170
TOOLTIP = ["student", "name", "params", "accuracy", "verdict", "optimizer", "learning_rate", "hidden"]


def _verdict_colour(legend: bool = True) -> alt.Color:
    assert list(VERDICT_COLOURS) == list(KINDS.values())  # one colour per verdict, in the verdicts' order
    return alt.Color("verdict:N", title="verdict", scale=alt.Scale(domain=list(VERDICT_COLOURS),
                                                                  range=list(VERDICT_COLOURS.values())),
                     legend=alt.Legend(orient="bottom", columns=3, labelFontSize=15, titleFontSize=15, symbolSize=200,
                                       labelLimit=240)
                     if legend else None)


def _tooltip(columns: list[str]) -> list:
    """A point's tooltip: its accuracy as the axis writes it (81.3 %, not 0.8133), its parameters grouped."""
    formats = {"accuracy": ("accuracy:Q", ".1%"), "params": ("params:Q", ",")}
    return [alt.Tooltip(formats[c][0], format=formats[c][1]) if c in formats else c for c in columns]


def _accuracy_axis(title: str = "accuracy") -> alt.Y:
    return alt.Y("accuracy:Q", title=title, scale=alt.Scale(zero=False, domainMax=1, padding=12),  # no dot cut at an edge
                 axis=alt.Axis(format="%", **FONT))


def _points(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.assign(verdict=frame["verdict"].replace("", "Not enough epochs"),
                         entry=frame["hidden_entry"].map(lambda h: "hidden" if h else "shown"))
    return shown[[c for c in dict.fromkeys([*TOOLTIP, "entry", "params"]) if c in shown]].astype(
        {"student": str, "name": str, "hidden": str})


def params_chart(frame: pd.DataFrame, front: pd.DataFrame, *, height: int = 280) -> alt.LayerChart:
    """Parameters (log axis) against accuracy, a point per run coloured by verdict (a hidden one, the
    teacher's view only, faint), the front as a grey step line through the best run of each budget."""
    points = _points(frame)
    x = alt.X("params:Q", title="parameters (log scale)", scale=alt.Scale(type="log", nice=False, padding=14),
              axis=alt.Axis(format="~s", **FONT))
    dots = alt.Chart(points).mark_point(filled=True, size=POINT_SIZE, stroke="#333333", strokeWidth=0.6).encode(
        x=x, y=_accuracy_axis(), color=_verdict_colour(),
        opacity=alt.Opacity("entry:N", scale=alt.Scale(domain=["shown", "hidden"], range=[0.9, 0.25]), legend=None),
        tooltip=_tooltip([c for c in TOOLTIP if c in points]))
    steps = front[["params", "accuracy"]]
    if len(steps) and len(points):  # on to the largest network: no bigger budget beat the best
        steps = pd.concat([steps, pd.DataFrame({"params": [points["params"].max()],
                                                "accuracy": [steps["accuracy"].iloc[-1]]})], ignore_index=True)
    line = alt.Chart(steps) \
        .mark_line(interpolate="step-after", color=FRONT_COLOUR, strokeWidth=2.5, strokeDash=[6, 3]).encode(
            x=x, y=_accuracy_axis())
    return alt.layer(line, dots).properties(width="container", height=height, autosize=FIT_WIDTH)


def sweep_chart(frame: pd.DataFrame, setting: str, *, log_x: bool = False, height: int = 260) -> alt.Chart:
    """One setting against accuracy, every student's runs, coloured by verdict."""
    table = _points(frame.assign(**{setting: frame[setting]}))
    table[setting] = frame[setting].values
    numeric = pd.api.types.is_numeric_dtype(table[setting]) and table[setting].nunique() > 1
    if not numeric:
        table[setting] = table[setting].astype(str)
    x = alt.X(f"{setting}:{'Q' if numeric else 'N'}", title=setting.replace("_", " "),
              scale=alt.Scale(type="log", nice=False, padding=14) if numeric and log_x else alt.Scale(zero=False, padding=14),
              axis=alt.Axis(labelAngle=0, **FONT))
    return alt.Chart(table).mark_point(filled=True, size=POINT_SIZE, stroke="#333333", strokeWidth=0.6).encode(
        x=x, y=_accuracy_axis(), color=_verdict_colour(),
        tooltip=_tooltip([c for c in [*TOOLTIP, setting] if c in table])).properties(width="container", height=height,
                                                                            autosize=FIT_WIDTH)


def verdicts_chart(counts: dict[str, int], *, height: int = 220) -> alt.LayerChart:
    """A bar per verdict, its count written beside it."""
    table = pd.DataFrame({"verdict": list(counts), "runs": list(counts.values())})
    y = alt.Y("verdict:N", sort=list(counts), title=None, axis=alt.Axis(labelFontSize=16, labelLimit=260))
    bars = alt.Chart(table).mark_bar().encode(x=alt.X("runs:Q", title="runs", axis=alt.Axis(tickMinStep=1, **FONT)),
                                              y=y, color=_verdict_colour(legend=False))
    labels = alt.Chart(table).mark_text(align="left", dx=4, fontSize=18, color="currentColor").encode(
        x="runs:Q", y=y, text="runs:Q")
    return alt.layer(bars, labels).properties(width="container", height=height)
