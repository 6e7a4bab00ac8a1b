"""Altair charts built from DataFrames: pure functions, so tests can read their specs. The training
curves come as Vega-Lite specs (dicts), built once per shape and filled with each update's data.

Colours are chosen to read on light and dark themes alike; train is a solid line, validation dashed.
"""
from __future__ import annotations

import json
import numbers
from functools import lru_cache

import altair as alt
import numpy as np
import pandas as pd

from nnlab.config.rate_marks import penalty_marks, rate_marks
from nnlab.core.jsonsafe import is_missing, json_safe

TRAIN_COLOUR, VALIDATION_COLOUR = "#4c78a8", "#f58518"
ORANGE, BLUE = "#f59322", "#0877bd"  # TensorFlow Playground's class colours
POINT_EDGE = "#3a3a3a"  # a data point's edge: seen on orange, blue and the near-white of an unsure prediction
# Text marks in the page's own text colour, whatever the theme: Streamlit's chart theme colours axes, legends
# and titles but leaves text marks at Vega-Lite's black (black on the dark theme's background). The charts
# are SVG in the page, so CSS's currentColor is the colour Streamlit gives the text around them.
THEME_TEXT = "currentColor"
# viridis without its darkest purples, which vanish on the dark theme's background
VIRIDIS_LIGHTER = {"name": "viridis", "extent": [0.2, 1]}
SPLITS = ["train", "validation"]
METRIC_TITLES = {"loss": "Loss", "accuracy": "Accuracy", "mae": "Mean absolute error"}
# Streamlit fits a chart's whole height (legend and axes included) into its `height`: a legend of four
# runs left a race's curves 57 px. These charts fit the width only; `height` is the plot's own.
FIT_WIDTH = {"type": "fit-x", "contains": "padding"}


def history_frame(history: list[dict] | pd.DataFrame, task: str, run: str = "") -> pd.DataFrame:
    """The columns the curve charts need, one row per epoch (wide: small chart specs)."""
    metric = "accuracy" if task == "classification" else "mae"
    columns = ["epoch", "loss", "val_loss", metric, f"val_{metric}"]
    frame = pd.DataFrame(history)
    frame = frame.reindex(columns=columns) if len(frame) else pd.DataFrame(columns=columns)
    frame["run"] = run
    return frame


def _metric_panel(metric: str, epochs: int, colour: alt.Color, height: int, dash_legend: bool) -> alt.LayerChart:
    """One panel over the named data sets "history" (wide rows) and "best" (the best epoch)."""
    is_accuracy = metric == "accuracy"
    title = METRIC_TITLES[metric]
    y = alt.Y("value:Q", title=title, scale=alt.Scale(domain=[0, 1], clamp=True) if is_accuracy else alt.Scale(zero=False),
              axis=alt.Axis(format="%") if is_accuracy else alt.Axis())
    x = alt.X("epoch:Q", title="Epoch", scale=alt.Scale(domain=[1, max(2, epochs)]), axis=alt.Axis(tickMinStep=1))
    lines = alt.Chart(alt.Data(name="history")).transform_fold(
        [metric, f"val_{metric}"], as_=["series", "value"]).transform_calculate(
        split=f"datum.series == '{metric}' ? 'train' : 'validation'"
    ).mark_line(point=alt.OverlayMarkDef(size=30)).encode(
        x=x, y=y, color=colour,
        strokeDash=alt.StrokeDash("split:N", scale=alt.Scale(domain=SPLITS, range=[[1, 0], [6, 4]]),
                                  legend=alt.Legend(title=None, orient="top", symbolType="stroke", symbolStrokeWidth=2)
                                  if dash_legend else None),
        detail="split:N",
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("split:N"), alt.Tooltip("epoch:Q"),
                 alt.Tooltip("value:Q", format=".2%" if is_accuracy else ".4g", title=title)],
    )
    best = alt.Chart(alt.Data(name="best"))
    rule = best.mark_rule(color="#2ca02c", strokeWidth=2).encode(x="epoch:Q", tooltip=["label:N"])
    middle = max(2, epochs) / 2  # the label goes left of the rule in the right half, to stay inside
    left = best.transform_filter(f"datum.epoch <= {middle}").mark_text(
        align="left", dx=4, baseline="top", color="#2ca02c").encode(x="epoch:Q", y=alt.value(2), text="short:N")
    right = best.transform_filter(f"datum.epoch > {middle}").mark_text(
        align="right", dx=-4, baseline="top", color="#2ca02c").encode(x="epoch:Q", y=alt.value(2), text="short:N")
    return alt.layer(lines, rule, left, right).properties(height=height, width="container")


@lru_cache(maxsize=128)
def _curve_specs(metric: str, epochs: int, height: int, runs: tuple[str, ...] | None) -> tuple[str, str]:
    """The two panels' Vega-Lite specs without data, as JSON. Building them with Altair takes tens
    of milliseconds; live charts are redrawn several times a second, so they are built once and filled.
    A single run's panels hold every layer its chart may come to draw (evidence, rate changes), each
    over a named data set that may be empty: the spec stays the same for the whole run, so the browser
    keeps its Vega view and only swaps the data (Streamlit re-embeds a chart whose spec changed)."""
    if runs is None:  # one run: colour tells train from validation, merged with the dash legend
        colour = alt.Color("split:N", scale=alt.Scale(domain=SPLITS, range=[TRAIN_COLOUR, VALIDATION_COLOUR]),
                           legend=alt.Legend(title=None, orient="top", symbolType="stroke", symbolStrokeWidth=2))
    else:  # Vega-Lite draws a line-style legend without colour here (invisible); pages say it in words
        colour = alt.Color("run:N", scale=run_colours(runs),  # one run a line: long names never run off the edge
                           legend=alt.Legend(title=None, orient="bottom", direction="vertical", labelLimit=320))
    specs = []
    for panel in ("loss", metric):
        spec = _metric_panel(panel, epochs, colour, height, dash_legend=runs is None).to_dict()
        if runs is not None:  # a race's or a comparison's legend, a row per run, goes below the plot's height
            spec["autosize"] = FIT_WIDTH
        if runs is None:
            spec["layer"] += json.loads(_evidence_layers(epochs, with_trend=panel == "loss")) + json.loads(_rate_change_layers())
        specs.append(json.dumps(spec))
    return tuple(specs)


def _fill(specs: tuple[str, str], datasets: dict[str, list[dict]]) -> tuple[dict, dict]:
    filled = []
    for text in specs:
        spec = json.loads(text)
        spec["datasets"] = datasets
        filled.append(spec)
    return tuple(filled)


def _history_rows(history: pd.DataFrame) -> list[dict]:
    return json_safe(history.astype(object).where(history.notna(), None).to_dict("records"))


def _best_rows(best_epoch: int | None) -> list[dict]:
    return [{"epoch": best_epoch, "short": f"best: {best_epoch}", "label": f"best validation loss: epoch {best_epoch}"}] \
        if best_epoch else []


ONSET_COLOUR, TREND_COLOUR = "#d62728", "#9467bd"
RATE_CHANGE_COLOUR = "#8c564b"  # a learning rate set during the run: neither a curve's nor the verdict's colour


def training_charts(history: list[dict] | pd.DataFrame, task: str, *, epochs: int | None = None,
                    best_epoch: int | None = None, evidence: dict | None = None, rate_changes: list[int] | None = None,
                    height: int = 260, penalty_changes: list[dict] | None = None) -> tuple[dict, dict]:
    """Loss and accuracy (or MAE) as two Vega-Lite specs: train solid and validation dashed, the
    best validation epoch marked. The x axis spans all planned epochs so the curves grow into it.
    `evidence` (a verdict's, or a live finding's) adds what the verdict saw: the onset of
    overfitting (`onset_epoch`, `val_rise`) on both panels, the trend of the last epochs of a run
    still improving (`trend_line`) on the loss panel. `rate_changes`: the epochs from which a learning
    rate set during the run took over, each a rule labelled with the new rate on both panels;
    `penalty_changes` (config/penalty_changes.py) the same for an L1 / L2 rate."""
    data = history_frame(history, task, "this run")
    last = int(data["epoch"].max()) if len(data) else 1
    metric = "accuracy" if task == "classification" else "mae"
    onset, trend = _evidence_rows(evidence or {})
    rows = history.to_dict("records") if isinstance(history, pd.DataFrame) else history
    return _fill(_curve_specs(metric, max(epochs or 0, last), height, None), {
        "history": _history_rows(data), "best": _best_rows(best_epoch), "onset": onset, "trend": trend,
        "rate_changes": rate_marks(rows, rate_changes or []) + penalty_marks(penalty_changes or [])})


@lru_cache(maxsize=1)
def _rate_change_layers() -> str:
    """A rule and a label per change of the learning rate during the run (data set "rate_changes")."""
    changes = alt.Chart(alt.Data(name="rate_changes"))
    layers = [changes.mark_rule(color=RATE_CHANGE_COLOUR, strokeWidth=2, strokeDash=[2, 2]).encode(
                  x="epoch:Q", tooltip=["label:N"]),
              changes.mark_text(align="left", dx=4, baseline="top", color=RATE_CHANGE_COLOUR).encode(
                  x="epoch:Q", y=alt.value(32), text="short:N")]  # under the onset's label
    return json.dumps([{k: v for k, v in layer.to_dict().items() if k not in ("$schema", "config")} for layer in layers])


def _evidence_rows(evidence: dict) -> tuple[list[dict], list[dict]]:
    onset = []
    if evidence.get("onset_epoch"):
        epoch, rise = int(evidence["onset_epoch"]), evidence.get("val_rise")
        known = isinstance(rise, (int, float)) and rise == rise
        onset = [{"epoch": epoch, "short": f"overfitting: {epoch}" + (f", val loss +{rise:.0%}" if known else ""),
                  "label": f"overfitting from epoch {epoch}" + (f" (validation loss +{rise:.0%} since)" if known else "")}]
    trend = []
    if evidence.get("trend_line"):
        per_epoch = evidence.get("trend_per_epoch", 0.0)
        trend = [{"epoch": epoch, "value": value, "label": f"validation loss trend: {per_epoch:+.1%} per epoch"}
                 for epoch, value in evidence["trend_line"]]
    return onset, trend


@lru_cache(maxsize=64)
def _evidence_layers(epochs: int, with_trend: bool) -> str:
    """Layers over the named data sets "onset" (a rule, labelled below the best epoch's label) and
    "trend" (a straight line over the last epochs), as JSON, added to a curve panel's layers."""
    onset = alt.Chart(alt.Data(name="onset"))
    middle = max(2, epochs) / 2
    layers = [
        onset.mark_rule(color=ONSET_COLOUR, strokeWidth=2, strokeDash=[5, 3]).encode(x="epoch:Q", tooltip=["label:N"]),
        onset.transform_filter(f"datum.epoch <= {middle}").mark_text(
            align="left", dx=4, baseline="top", color=ONSET_COLOUR).encode(x="epoch:Q", y=alt.value(16), text="short:N"),
        onset.transform_filter(f"datum.epoch > {middle}").mark_text(
            align="right", dx=-4, baseline="top", color=ONSET_COLOUR).encode(x="epoch:Q", y=alt.value(16), text="short:N"),
    ]
    if with_trend:
        layers.append(alt.Chart(alt.Data(name="trend")).mark_line(color=TREND_COLOUR, strokeWidth=3, opacity=0.8).encode(
            x="epoch:Q", y="value:Q", tooltip=["label:N"]))
    # Each layer alone: Altair would lift data the layers share out of them (into the layer chart).
    return json.dumps([{k: v for k, v in layer.to_dict().items() if k not in ("$schema", "config")} for layer in layers])


def compare_charts(runs: list[tuple[str, list[dict] | pd.DataFrame, str]], *, epochs: int | None = None,
                   height: int = 280) -> tuple[dict, dict]:
    """Several runs overlaid: one colour per run label, train solid, validation dashed.
    `runs` holds (label, history, task) triples of one task."""
    task = runs[0][2] if runs else "classification"
    data = pd.concat([history_frame(history, task, label) for label, history, _ in runs] or
                     [history_frame([], task)], ignore_index=True)
    last = int(data["epoch"].max()) if data["epoch"].notna().any() else 1
    labels = tuple(dict.fromkeys(label for label, _, _ in runs))
    metric = "accuracy" if task == "classification" else "mae"
    return _fill(_curve_specs(metric, max(epochs or 0, last), height, labels), {"history": _history_rows(data), "best": []})


def run_colours(runs) -> alt.Scale:
    """The colour of each run, the same in every chart of a page (curves, scatter): by its place in `runs`."""
    return alt.Scale(domain=list(runs), scheme="tableau10")


def confusion_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Heatmap of true vs predicted class with the counts written in."""
    order = list(dict.fromkeys(table["true"]))
    base = alt.Chart(table).encode(
        x=alt.X("predicted:N", sort=order, title="Predicted class", axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("true:N", sort=order, title="True class"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["true:N", "predicted:N", "count:Q"],
    )
    high = float(table["count"].max()) / 2 if len(table) else 0
    text = base.mark_text(fontSize=11).encode(
        text="count:Q", color=alt.condition(alt.datum.count > high, alt.value("white"), alt.value("black")))
    return alt.layer(cells, text).properties(width="container", height=alt.Step(28) if len(order) > 3 else 160)


def boundary_chart(grid: pd.DataFrame, points: pd.DataFrame, task: str, class_names: tuple[str, ...] = (),
                   discretize: bool = False) -> alt.LayerChart:
    """TensorFlow Playground's picture: the network's output over the plane, and the points.
    `discretize`, Playground's "Discretize output": each cell in its class's colour (P above or below
    0.5), a regression's on either side of its middle, instead of the shades between."""
    if discretize and len(grid):
        value = grid["value"]
        middle = 0.5 if task == "classification" else float(value.median())
        high, low = (1.0, 0.0) if task == "classification" else (float(value.max()), float(value.min()))
        grid = grid.assign(value=np.where(value >= middle, high, low))
    if task == "classification":
        scale = alt.Scale(domain=[0, 0.5, 1], range=[ORANGE, "#f7f7f7", BLUE], clamp=True)
        colour = alt.Color("value:Q", title=f"P({class_names[-1]})" if class_names else "P", scale=scale)
        point_colour = alt.Color("label:N", scale=alt.Scale(domain=list(class_names), range=[ORANGE, BLUE]), title="class")
    else:
        scale = alt.Scale(scheme="blueorange", reverse=True)
        colour = alt.Color("value:Q", title="prediction", scale=scale)
        point_colour = alt.Color("label:Q", scale=alt.Scale(scheme="blueorange", reverse=True), legend=None)
    # Opaque cells, each edged in its own colour: translucent ones let the background through their seams (a
    # pale grid of flat rectangles). The points are edged in dark grey: white edges vanished where the
    # network is unsure (P near 0.5 is drawn near white), just where the points matter most.
    heat = alt.Chart(grid).mark_rect(strokeWidth=0.6).encode(
        x=alt.X("x1:Q", title="x1", scale=alt.Scale(nice=False, zero=False)), x2="x1_end:Q",
        y=alt.Y("x2:Q", title="x2", scale=alt.Scale(nice=False, zero=False)), y2="x2_end:Q",
        color=colour, stroke=alt.Stroke("value:Q", scale=scale, legend=None),
    )
    dots = alt.Chart(points).mark_point(filled=True, size=28, strokeWidth=1).encode(
        x="x1:Q", y="x2:Q", color=point_colour,
        shape=alt.Shape("split:N", scale=alt.Scale(domain=["train", "test"], range=["circle", "triangle"])),
        stroke=alt.value(POINT_EDGE),
        tooltip=["split:N", "label", alt.Tooltip("x1:Q", format=".2f"), alt.Tooltip("x2:Q", format=".2f")],
    )
    return alt.layer(heat, dots).properties(width="container", height=420)


def prediction_chart(points: pd.DataFrame) -> alt.LayerChart:
    """Predicted against true values; the diagonal is a perfect prediction."""
    low = float(min(points["true"].min(), points["predicted"].min()))
    high = float(max(points["true"].max(), points["predicted"].max()))
    dots = alt.Chart(points).mark_circle(size=40, opacity=0.7, color=TRAIN_COLOUR).encode(
        x=alt.X("true:Q", title="True value", scale=alt.Scale(domain=[low, high])),
        y=alt.Y("predicted:Q", title="Predicted value", scale=alt.Scale(domain=[low, high])),
        tooltip=[alt.Tooltip("true:Q", format=".3g"), alt.Tooltip("predicted:Q", format=".3g")],
    )
    diagonal = alt.Chart(pd.DataFrame({"true": [low, high], "predicted": [low, high]})).mark_line(
        color="#999999", strokeDash=[4, 4]).encode(x="true:Q", y="predicted:Q")
    return alt.layer(diagonal, dots).properties(width="container", height=360)


def metric_vs_setting_chart(table: pd.DataFrame, setting: str, metric: str, *, log_x: bool = False,
                            colour: str | None = None, baseline: float = 0.0) -> alt.Chart:
    """A final metric against the value of one setting (sweeps, and the many-runs scatter). The y
    axis starts at `baseline` (e.g. chance accuracy) and accuracy ends at 100 %: a zoomed axis would
    make a 0.7-point difference look like a cliff."""
    x_type = "Q" if _numbers(table[setting]) and table[setting].dropna().nunique() > 1 else "N"
    if x_type == "N":  # text, or one value only (a number axis over one value ticks "10,000.000000")
        table = table.assign(**{setting: table[setting].map(_short)})
    whole = x_type == "Q" and pd.api.types.is_integer_dtype(table[setting])
    x = alt.X(f"{setting}:{x_type}", title=setting.replace("_", " "),
              scale=alt.Scale(type="log") if log_x and x_type == "Q" else alt.Scale(zero=False),
              axis=alt.Axis(labelAngle=0, format=",d", tickMinStep=1) if whole else alt.Axis(labelAngle=0))
    is_accuracy = "accuracy" in metric
    y = alt.Y(f"{metric}:Q", title=metric.replace("_", " "),
              scale=alt.Scale(domain=[baseline, 1]) if is_accuracy else alt.Scale(domainMin=baseline),
              axis=alt.Axis(format="%") if is_accuracy else alt.Axis())
    encoding = {"x": x, "y": y, "tooltip": list(table.columns)}
    if colour:
        encoding["color"] = alt.Color(f"{colour}:N", title=colour.replace("_", " "),
                                      scale=run_colours(table[colour]) if colour == "run" else alt.Undefined,
                                      legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=320))
    chart = alt.Chart(table).mark_line(point=alt.OverlayMarkDef(size=60), color=TRAIN_COLOUR) if x_type == "Q" and not colour \
        else alt.Chart(table).mark_circle(size=90)
    return chart.encode(**encoding).properties(width="container", height=300)


def parallel_coordinates_chart(table: pd.DataFrame, columns: list[str], colour: str) -> alt.LayerChart:
    """TensorBoard's HParams view: each run a line across its settings and result, every axis
    scaled to 0–1, each point labelled with its real value."""
    table = table.reset_index(drop=True)
    rows = []
    for index, row in table.iterrows():
        for column in columns:
            rows.append({"run": str(row["run"]), "axis": column, "raw": _short(row[column]),
                         "colour": None if is_missing(row[colour]) else row[colour]})
    data = pd.DataFrame(rows)
    data["position"] = 0.0
    for column in columns:
        mask = data["axis"] == column
        data.loc[mask, "position"] = list(_positions(table[column]))
    colour_type = "Q" if _numbers(table[colour]) else "N"
    base = alt.Chart(data).encode(
        x=alt.X("axis:N", sort=columns, title=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("position:Q", axis=None, scale=alt.Scale(domain=[0, 1])),
    )
    lines = base.mark_line(point=True, opacity=0.8).encode(
        color=alt.Color(f"colour:{colour_type}", title=colour.replace("_", " "),
                        scale=alt.Scale(scheme=VIRIDIS_LIGHTER) if colour_type == "Q" else alt.Scale(scheme="tableau10"),
                        legend=alt.Legend(orient="bottom")),
        detail="run:N",
        tooltip=["run:N", "axis:N", alt.Tooltip("raw:N", title="value")],
    )
    values = base.mark_text(align="left", dx=6, fontSize=11, color=THEME_TEXT).encode(
        text="raw:N")  # runs that share a value share its label
    return alt.layer(lines, values).properties(width="container", height=320)


def _positions(values: pd.Series) -> pd.Series:
    """One parallel-coordinates axis, 0–1: numbers scaled from the lowest to the highest, text as
    categories evenly spaced in order; a missing value (a setting a run does not have) at the bottom,
    below the values it lacks, labelled "–"."""
    missing = values.map(is_missing)
    present = values[~missing]
    bottom = 0.15 if missing.any() else 0.0
    if _numbers(values):
        numbers = pd.to_numeric(present, errors="coerce").astype(float)
        low, high = (float(numbers.min()), float(numbers.max())) if len(numbers) else (0.0, 0.0)
        scaled = (numbers - low) / (high - low) if high > low else numbers * 0 + 0.5
    else:
        labels = present.map(_short)
        categories = sorted(labels.unique())
        scaled = labels.map({c: i / max(1, len(categories) - 1) for i, c in enumerate(categories)}) \
            if len(categories) > 1 else labels.map(lambda _: 0.5)
    return pd.concat([bottom + (1 - bottom) * scaled.astype(float), values[missing].map(lambda _: 0.0)]).sort_index()


def _numbers(values: pd.Series) -> bool:
    """A column of numbers (yes/no is not one), whatever is missing."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _short(value) -> str:
    """A value as an axis label: 0.9512 rather than 0.951234567; whole numbers as 10,000; "–" for missing."""
    if is_missing(value):
        return "–"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        return f"{value:,}"
    return str(value)


LR_COLOUR, SET_COLOUR = "#54a24b", "#e45756"


def learning_rate_chart(planned: list[dict], history: list[dict] | pd.DataFrame = (), changed: list[int] = (),
                        *, height: int = 200) -> alt.LayerChart:
    """The learning rate per epoch on a log axis: the schedule planned (dashed), the rate each
    epoch trained with (solid, from the history), and the epochs where a rate set by hand took
    over (a rule). `planned` rows and history rows hold "epoch" and "learning_rate"."""
    used = pd.DataFrame(history).reindex(columns=["epoch", "learning_rate"]) if len(history) else \
        pd.DataFrame(columns=["epoch", "learning_rate"])
    rows = [{**row, "series": "planned"} for row in planned] + \
        [{"epoch": int(e), "learning_rate": float(r), "series": "used"} for e, r in used.dropna().itertuples(index=False)]
    data = pd.DataFrame(rows or [{"epoch": 1, "learning_rate": None, "series": "planned"}])
    epochs = max([int(row["epoch"]) for row in rows] or [1])
    x = alt.X("epoch:Q", title="Epoch", scale=alt.Scale(domain=[1, max(2, epochs)]), axis=alt.Axis(tickMinStep=1))
    lines = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=25)).encode(
        x=x, y=alt.Y("learning_rate:Q", title="Learning rate", scale=alt.Scale(type="log", nice=False, padding=6)),
        color=alt.Color("series:N", scale=alt.Scale(domain=["planned", "used"], range=["#9d9d9d", LR_COLOUR]),
                        legend=alt.Legend(title=None, orient="top")),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=["planned", "used"], range=[[5, 4], [1, 0]]),
                                  legend=None),
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip("epoch:Q"), alt.Tooltip("learning_rate:Q", format=".3g")],
    )
    marks = pd.DataFrame([{"epoch": e, "label": f"set by you from epoch {e}"} for e in changed],
                         columns=["epoch", "label"])
    rules = alt.Chart(marks).mark_rule(color=SET_COLOUR, strokeWidth=2).encode(x="epoch:Q", tooltip=["label:N"])
    text = alt.Chart(marks).mark_text(align="left", dx=4, baseline="top", color=SET_COLOUR).encode(
        x="epoch:Q", y=alt.value(2), text=alt.value("set by you"))
    return alt.layer(lines, rules, text).properties(height=height, width="container", autosize=FIT_WIDTH)


def lr_finder_chart(curve: list[dict], suggested: float, *, height: int = 280) -> alt.LayerChart:
    """The range test: loss against learning rate on a log axis, each batch's loss faint and the
    smoothed loss solid, the suggested rate marked. The y axis stops a little above the first
    loss, so the explosion at the end does not flatten the part that matters."""
    data = pd.DataFrame(curve, columns=["learning_rate", "loss", "smoothed"])
    finite = pd.to_numeric(data["smoothed"], errors="coerce").dropna()
    low, high = (float(finite.min()), float(finite.iloc[0])) if len(finite) else (0.0, 1.0)
    top = high + 0.3 * max(high - low, abs(high) * 0.1, 1e-9)
    x = alt.X("learning_rate:Q", title="Learning rate (log scale)", scale=alt.Scale(type="log"))
    y = alt.Y("value:Q", title="Loss", scale=alt.Scale(domain=[low - 0.05 * (top - low), top], zero=False))
    base = alt.Chart(data).transform_fold(["loss", "smoothed"], as_=["series", "value"])
    lines = base.mark_line(clip=True).encode(
        x=x, y=y,
        color=alt.Color("series:N", scale=alt.Scale(domain=["loss", "smoothed"], range=["#c6dbef", TRAIN_COLOUR]),
                        legend=alt.Legend(title=None, orient="top",
                                          labelExpr="datum.label == 'loss' ? 'each batch' : 'smoothed'")),
        tooltip=[alt.Tooltip("learning_rate:Q", format=".3g"), alt.Tooltip("value:Q", format=".4g", title="loss")],
    )
    mark = pd.DataFrame([{"learning_rate": suggested, "label": f"suggested: {suggested:.2g}"}])
    rule = alt.Chart(mark).mark_rule(color=SET_COLOUR, strokeWidth=2).encode(x="learning_rate:Q", tooltip=["label:N"])
    rates = pd.to_numeric(data["learning_rate"], errors="coerce").dropna()
    right_part = len(rates) > 1 and suggested / rates.min() > (rates.max() / rates.min()) ** 0.7  # label left of the rule
    text = alt.Chart(mark).mark_text(align="right" if right_part else "left", dx=-4 if right_part else 4,
                                     baseline="top", color=SET_COLOUR).encode(
        x="learning_rate:Q", y=alt.value(2), text="label:N")
    return alt.layer(lines, rule, text).properties(height=height, width="container")
