"""The pictures of a search, drawn with Altair from its trials table (nnlab.search.study.trials_frame):
best so far against trial number, which knobs mattered, parallel coordinates, one slice per knob and a
heat map for two knobs. Pure functions: tests read their specs.

Knobs on a log scale are drawn on a log axis (or placed by their logarithm where two knobs share a
picture), so 0.0001, 0.001 and 0.01 sit equally far apart, as the sampler sees them.
"""
from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from nnlab.charts.training import FIT_WIDTH, VIRIDIS_LIGHTER
from nnlab.search.study import KNOBS, Objective, Range

STATE_COLOURS = {"complete": "#4c78a8", "pruned": "#f58518", "fail": "#9d9d9d", "running": "#54a24b"}


def _value_axis(objective: Objective) -> dict:
    return {"title": objective.words, "axis": alt.Axis(format="%") if objective.maximize else alt.Axis()}


def _finished(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["state"] == "complete"].dropna(subset=["value"])


def best_so_far_chart(frame: pd.DataFrame, objective: Objective, height: int = 260) -> alt.LayerChart:
    """Each finished or pruned trial's figure as a point, and the best figure so far as a step line."""
    shown = frame[frame["state"].isin(["complete", "pruned"])].dropna(subset=["value"]).sort_values("trial")
    done = shown[shown["state"] == "complete"]
    best = (done["value"].cummax() if objective.maximize else done["value"].cummin())
    line = pd.DataFrame({"trial": done["trial"], "best": best})
    points = alt.Chart(shown).mark_circle(size=60).encode(
        x=alt.X("trial:Q", title="Trial", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("value:Q", scale=alt.Scale(zero=False), **_value_axis(objective)),
        color=alt.Color("state:N", title="Trial", scale=_state_scale()),
        tooltip=["trial:Q", "state:N", alt.Tooltip("value:Q", format=".4g"), "epochs:Q"])
    steps = alt.Chart(line).mark_line(interpolate="step-after", color="#e45756").encode(
        x="trial:Q", y=alt.Y("best:Q"), tooltip=["trial:Q", alt.Tooltip("best:Q", format=".4g", title="best so far")])
    return (points + steps).properties(height=height, title="Best so far (red) against trial number")


def importance_chart(importances: dict[str, float], height: int = 220) -> alt.Chart:
    """How much of the figure's variation each knob explains (optuna.importance), largest first."""
    table = pd.DataFrame({"knob": [KNOBS[name].title if name in KNOBS else name for name in importances],
                          "importance": list(importances.values())})
    return alt.Chart(table).mark_bar(color="#4c78a8").encode(
        x=alt.X("importance:Q", title="Share of the figure's variation", axis=alt.Axis(format="%")),
        y=alt.Y("knob:N", sort="-x", title=None),
        tooltip=["knob:N", alt.Tooltip("importance:Q", format=".0%")],
    ).properties(height=height, title="Which knobs mattered")


def parallel_coordinates_chart(frame: pd.DataFrame, space: dict[str, Range], objective: Objective,
                               height: int = 300) -> alt.Chart:
    """One line per finished trial across every knob (each placed between its range's ends), coloured
    by the trial's figure: the good trials' lines show where the good settings are."""
    done = _finished(frame)
    rows = []
    for _, trial in done.iterrows():
        for name, found in space.items():
            if name in trial and not _missing(trial[name]):
                rows.append({"trial": int(trial["trial"]), "knob": KNOBS[name].title, "position": _position(found, trial[name]),
                             "setting": _text(trial[name]), "value": trial["value"]})
    table = pd.DataFrame(rows, columns=["trial", "knob", "position", "setting", "value"])
    order = [KNOBS[name].title for name in space]
    return alt.Chart(table).mark_line(opacity=0.7).encode(
        x=alt.X("knob:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("position:Q", title="low … high end of each range", axis=alt.Axis(labels=False, ticks=False),
                scale=alt.Scale(domain=[0, 1])),
        detail="trial:N",
        # the worst trials' lines in viridis' darkest purples vanished on the dark theme's background
        color=alt.Color("value:Q", scale=alt.Scale(scheme=VIRIDIS_LIGHTER), title=objective.words),
        tooltip=["trial:Q", "knob:N", "setting:N", alt.Tooltip("value:Q", format=".4g")],
    ).properties(height=height, title="Parallel coordinates: one line per finished trial", autosize=FIT_WIDTH)


def slice_chart(frame: pd.DataFrame, found: Range, objective: Objective, height: int = 200) -> alt.Chart:
    """The figure of each finished trial against one knob (the others vary too: look for the trend)."""
    done = _finished(frame)
    done = done[[found.knob, "value", "trial"]].dropna()
    if found.kind == "choice":
        x = alt.X(f"{found.knob}:N", title=KNOBS[found.knob].title, sort=list(found.choices))
    else:
        x = alt.X(f"{found.knob}:Q", title=KNOBS[found.knob].title,
                  scale=alt.Scale(type="log") if found.log else alt.Scale(zero=False))
    # The x axis names the knob (a chart title above it was cut off in a third of the page), one colour that
    # reads on the light and the dark theme (greys by trial put the latest trials black on black), and
    # `height` the plot's own: Streamlit fits title, axes and legend into a chart's height otherwise.
    return alt.Chart(done).mark_circle(size=60, opacity=0.8, color=STATE_COLOURS["complete"]).encode(
        x=x, y=alt.Y("value:Q", scale=alt.Scale(zero=False), **_value_axis(objective)),
        tooltip=["trial:Q", alt.Tooltip(f"{found.knob}", title=KNOBS[found.knob].title),
                 alt.Tooltip("value:Q", format=".4g")],
    ).properties(height=height, autosize=FIT_WIDTH)


def contour_chart(frame: pd.DataFrame, x: Range, y: Range, objective: Objective, bins: int = 6,
                  height: int = 300) -> alt.LayerChart:
    """Two knobs at once: the mean figure of the finished trials in each cell of a grid (log-scaled
    knobs binned by their logarithm), with the trials themselves as points."""
    done = _finished(frame)[[x.knob, y.knob, "value", "trial"]].dropna()
    table = pd.DataFrame({"trial": done["trial"], "value": done["value"],
                          "x": _cells(done[x.knob], x, bins), "y": _cells(done[y.knob], y, bins),
                          "x_setting": done[x.knob].map(_text), "y_setting": done[y.knob].map(_text)})
    x_enc = alt.X("x:O", title=_axis_title(x), sort="ascending")
    y_enc = alt.Y("y:O", title=_axis_title(y), sort="descending")
    cells = alt.Chart(table).mark_rect().encode(
        x=x_enc, y=y_enc, color=alt.Color("mean(value):Q", scale=alt.Scale(scheme="viridis"), title=objective.words),
        tooltip=[alt.Tooltip("mean(value):Q", format=".4g", title=f"mean {objective.words}"),
                 alt.Tooltip("count():Q", title="trials")])
    counts = alt.Chart(table).mark_text(color="white").encode(x=x_enc, y=y_enc, text="count():Q")
    return (cells + counts).properties(height=height, title=f"{KNOBS[x.knob].title} and {KNOBS[y.knob].title}: mean "
                                                            f"figure per cell (the number: trials in it)")


# --- placing a knob's values ----------------------------------------------------------------------

def _position(found: Range, value) -> float:
    """Where a value sits in its range, 0 (low end, first choice) to 1 (high end, last choice)."""
    if found.kind == "choice":
        return found.choices.index(value) / max(1, len(found.choices) - 1) if value in found.choices else 0.5
    if found.high == found.low:
        return 0.5
    if found.log:
        return (math.log(value) - math.log(found.low)) / (math.log(found.high) - math.log(found.low))
    return (float(value) - found.low) / (found.high - found.low)


def _cells(values: pd.Series, found: Range, bins: int) -> pd.Series:
    """Each value's cell label: the choice itself, or the lower edge of its bin (by log if log-scaled)."""
    if found.kind == "choice":
        return values.astype(str)
    low, high = (math.log10(found.low), math.log10(found.high)) if found.log else (found.low, found.high)
    edges = np.linspace(low, high, bins + 1)
    where = np.log10(values.astype(float)) if found.log else values.astype(float)
    index = np.clip(np.searchsorted(edges, where, side="right") - 1, 0, bins - 1)
    lower = 10 ** edges[index] if found.log else edges[index]
    return pd.Series([float(f"{edge:.3g}") for edge in lower], index=values.index)


def _axis_title(found: Range) -> str:
    return f"{KNOBS[found.knob].title} (cells from this value up)" if found.kind != "choice" else KNOBS[found.knob].title


def _text(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _state_scale() -> alt.Scale:
    return alt.Scale(domain=list(STATE_COLOURS), range=list(STATE_COLOURS.values()))
