"""Charts of groups of seeds: each group's mean curve with a band from its lowest to its highest seed
(min–max), and a figure against a setting with error bars (±1 sd). The titles say which spread and of
how many seeds: a band nobody can read is worse than none.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from nnlab.charts.training import FIT_WIDTH, METRIC_TITLES, SPLITS, run_colours


def band_charts(bands: pd.DataFrame, task: str, *, height: int = 280) -> tuple[alt.LayerChart, alt.LayerChart]:
    """Loss and metric panels from verdict/seeds.band_frame rows of one or more groups (a lone run is a
    group of one: its band is its line): one colour per group, train solid and validation dashed, each
    mean line in a band that spans the seeds."""
    metric = "accuracy" if task == "classification" else "mae"
    names = tuple(dict.fromkeys(bands["run"])) if len(bands) else ()
    seeds = sorted(set(bands["seeds"]) - {1}) if len(bands) else []  # a lone run beside the groups has no band
    counted = " and ".join(map(str, seeds or [1])) + " seeds"
    return tuple(_panel(bands, panel, names, counted, height) for panel in ("loss", metric))


def _panel(bands: pd.DataFrame, figure: str, names: tuple, counted: str, height: int) -> alt.LayerChart:
    is_accuracy = figure == "accuracy"
    rows = bands[bands["figure"].isin([figure, f"val_{figure}"])].assign(
        split=lambda frame: frame["figure"].map(lambda name: "validation" if name.startswith("val_") else "train"))
    title = METRIC_TITLES[figure]
    y_scale = alt.Scale(domain=[0, 1], clamp=True) if is_accuracy else alt.Scale(zero=False)
    axis = alt.Axis(format="%") if is_accuracy else alt.Axis()
    epochs = int(rows["epoch"].max()) if len(rows) else 1
    x = alt.X("epoch:Q", title="Epoch", scale=alt.Scale(domain=[1, max(2, epochs)]), axis=alt.Axis(tickMinStep=1))
    colour = alt.Color("run:N", scale=run_colours(names), title=None,
                       legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=320))
    base = alt.Chart(rows)
    band = base.mark_area(opacity=0.2).encode(
        x=x, y=alt.Y("low:Q", title=f"{title} (mean; band: min–max of {counted})", scale=y_scale, axis=axis),
        y2="high:Q", color=colour, detail="split:N")
    fmt = ".2%" if is_accuracy else ".4g"
    lines = base.mark_line(point=alt.OverlayMarkDef(size=25)).encode(
        x=x, y=alt.Y("mean:Q", scale=y_scale, axis=axis), color=colour,
        strokeDash=alt.StrokeDash("split:N", scale=alt.Scale(domain=SPLITS, range=[[1, 0], [6, 4]]),
                                  legend=alt.Legend(title=None, orient="top", symbolType="stroke")),
        detail="split:N",
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("split:N"), alt.Tooltip("epoch:Q"),
                 alt.Tooltip("mean:Q", format=fmt, title="mean"), alt.Tooltip("low:Q", format=fmt, title="lowest seed"),
                 alt.Tooltip("high:Q", format=fmt, title="highest seed"), alt.Tooltip("sd:Q", format=".3g"),
                 alt.Tooltip("seeds:Q")])
    chart = alt.layer(band, lines).properties(height=height, width="container")
    chart.autosize = FIT_WIDTH
    return chart


def error_bar_chart(table: pd.DataFrame, setting: str, figure: str, *, log_x: bool = False,
                    baseline: float = 0.0) -> alt.LayerChart:
    """A figure's mean against a setting's values with error bars of ±1 sd over the seeds. `table` has
    the setting, `mean`, `sd`, `low`, `high` and `seeds` per value (one row each)."""
    is_accuracy = "accuracy" in figure
    table = table.assign(lower=table["mean"] - table["sd"], upper=table["mean"] + table["sd"])
    numeric = pd.api.types.is_numeric_dtype(table[setting]) and table[setting].nunique() > 1
    x = alt.X(f"{setting}:{'Q' if numeric else 'N'}", title=setting.replace("_", " "),
              scale=alt.Scale(type="log") if log_x and numeric else alt.Scale(zero=False), axis=alt.Axis(labelAngle=0))
    seeds = sorted(set(table["seeds"]))
    title = f"{figure} (mean ± 1 sd of {', '.join(map(str, seeds))} seeds)"
    y_scale = alt.Scale(domain=[baseline, 1], clamp=True) if is_accuracy else alt.Scale(domainMin=baseline)
    axis = alt.Axis(format="%") if is_accuracy else alt.Axis()
    fmt = ".2%" if is_accuracy else ".4g"
    tooltip = [alt.Tooltip(f"{setting}:N"), alt.Tooltip("mean:Q", format=fmt), alt.Tooltip("sd:Q", format=".3g"),
               alt.Tooltip("low:Q", format=fmt, title="lowest seed"), alt.Tooltip("high:Q", format=fmt, title="highest seed"),
               alt.Tooltip("seeds:Q")]
    base = alt.Chart(table)
    bars = base.mark_errorbar(ticks=True).encode(x=x, y=alt.Y("lower:Q", title=title, scale=y_scale, axis=axis),
                                                  y2="upper:Q", tooltip=tooltip)
    means = base.mark_line(point=alt.OverlayMarkDef(size=60)) if numeric else base.mark_circle(size=90)
    return alt.layer(bars, means.encode(x=x, y=alt.Y("mean:Q", scale=y_scale, axis=axis), tooltip=tooltip)).properties(
        width="container", height=300)
