"""What a browser watching a run's inside panel live is told (the live route with `view=inside-<tab>`, built
here since its images come from nnlab.charts.inside): the open tab's view, as the page would draw it, in
images and numbers the live chart draws itself (ui/live_chart.js) — the first layer's weights and the
neurons' maps as palette PNGs (≈50 KB at most), the prediction over the plane as a PNG under the training
points, each layer's gradient norm and weight percentiles per epoch as numbers.

Its cursor is the run's `stamp`, which grows with each snapshot and each epoch's statistics: an answer
carries the view only when the browser's stamp is behind, so a poll woken by a batch's progress costs
nothing. Bounded: at most MOST_EPOCHS epochs of statistics (thinned evenly, the last kept), strict JSON."""
from __future__ import annotations

import math

import numpy as np

from nnlab.charts import inside as inside_charts
from nnlab.core.jsonsafe import json_safe
from nnlab.serving.live_answer import progress_text
from nnlab.training import inside

TABS = ("weights", "maps", "stats")
MOST_EPOCHS = 300  # epochs of statistics per answer: a line per layer needs no more points than pixels


def stamp(job) -> int:
    """Grows whenever what the panel shows changes: a snapshot taken, an epoch's statistics recorded."""
    return job.inside_version + len(job.layer_stats)


def inside_answer(job, after: int, tab: str) -> dict:
    """The `tab` view of `job` (a TrainingJob) if its stamp is past `after`, else only where the run stands."""
    if tab != "stats":
        job.want_inside()  # a worker's run: its views come while someone looks
    now = stamp(job)
    answer = {"rows": [], "next": now, "done": job.done, "status": progress_text(job), "view": None}
    if now == after:
        return answer
    snapshot = job.inside
    if tab == "weights" and snapshot is not None and snapshot.weights is not None:
        answer["view"] = _weights(snapshot)
    elif tab == "maps" and snapshot is not None and snapshot.maps is not None:
        answer["view"] = _maps(snapshot, job.dataset.class_names if job.dataset is not None else ())
    elif tab == "stats":
        answer["view"] = _stats(list(job.layer_stats))
    return json_safe(answer)


def _where(snapshot) -> str:
    return f"after batch {snapshot.batch} of epoch {snapshot.epoch}" if snapshot.batch else f"after epoch {snapshot.epoch}"


def _weights(snapshot) -> dict:
    weights = snapshot.weights
    mosaic = inside_charts.weights_mosaic(weights)
    return {"url": inside_charts.png_uri(mosaic), "width": mosaic.shape[1], "tile": int(weights.images.shape[-1]),
            "caption": f"{len(weights.neurons)} of {weights.units} neurons of {weights.layer}, strongest first (the L2 "
                       f"norm of their weights), {_where(snapshot)}; each tile on its own scale."}


def _maps(snapshot, class_names: tuple[str, ...] = ()) -> dict:
    maps = snapshot.maps
    spec = inside_charts.neuron_maps_chart(maps)
    mosaic = spec["datasets"]["mosaic"]
    cells = spec["datasets"]["neurons"]
    labels = ([f"inputs ({', '.join(name for name, _ in maps.inputs)})"] if maps.inputs else []) + [
        cell["layer"] for cell in cells if not cell["layer"].startswith("input ")]
    prediction = maps.prediction
    if maps.task == "classification":  # P(last class) from 0 to 1, as −1 (orange) to +1 (blue)
        share = 2 * prediction - 1
    else:  # the predicted value around its middle, on its own scale
        middle, spread = float(np.nanmedian(prediction)), float(np.nanmax(np.abs(prediction - np.nanmedian(prediction))))
        share = (prediction - middle) / (spread or 1.0)
    return {"url": mosaic[0]["url"] if mosaic else "", "layers": list(dict.fromkeys(labels)),
            "columns": max((cell["x_end"] for cell in cells), default=1),
            "prediction": inside_charts.png_uri(share[::-1]),  # image rows run top-down, x2 bottom-up
            "classes": inside_charts.png_uri(np.sign(share[::-1])),  # "discretize output": each side of 0.5 one colour
            "x1": [float(maps.x1[0]), float(maps.x1[-1])], "x2": [float(maps.x2[0]), float(maps.x2[-1])],
            "caption": f"Every hidden neuron's output {_where(snapshot)}, a row per layer under the inputs' row (each input "
                       f"on its own scale), each layer on one scale around 0 (at most {inside_charts.MOST_MAPS} neurons a "
                       "layer); below, what the network predicts.",
            "network": _network(maps, class_names)}


def _network(maps, class_names: tuple[str, ...]) -> dict:
    """The network drawing as the browser lays it out (charts/inside.network_tables does the same for the page):
    each column's neuron names and each Dense layer's kernel (inputs × units), to 4 significant digits: at most
    inside.MOST_LINKS weights, ≈10 KB. Without kernels, the words saying why."""
    if not maps.kernels:
        return {"caption": inside_charts.TOO_MANY_LINKS, "columns": [], "layers": [], "weights": []}
    return {"caption": inside_charts.NETWORK_CAPTION, "columns": inside_charts.node_names(maps, class_names),
            "layers": ["inputs"] + [name for name, _ in maps.kernels],
            "weights": [[[float(f"{w:.4g}") for w in row] for row in kernel.tolist()] for _, kernel in maps.kernels]}


def _stats(stats: list[dict]) -> dict | None:
    if not stats:
        return None
    layers = inside.layer_order(stats)
    epochs = sorted({row["epoch"] for row in stats})
    if len(epochs) > MOST_EPOCHS:  # evenly thinned, the last kept
        kept = {epochs[round(i * (len(epochs) - 1) / (MOST_EPOCHS - 1))] for i in range(MOST_EPOCHS)}
    else:
        kept = set(epochs)
    norms = inside.gradient_norms(stats)
    bands = inside.weight_bands(stats)
    ratio = inside.vanishing_ratio(stats)
    return {
        "layers": layers, "colours": inside_charts.depth_colours(len(layers)),
        "norms": {layer: [[int(e), float(v)] for e, v in zip(part["epoch"], part["grad_norm"]) if e in kept]
                  for layer, part in norms.groupby("layer")},
        "bands": {layer: [[int(e), *(_number(part[f"w_{p}"].iloc[i]) for p in (16, 50, 84))]
                          for i, e in enumerate(part["epoch"]) if e in kept]
                  for layer, part in bands.groupby("layer")},
        "ratio": f"Last epoch: the first layer's gradient is {ratio:.2g} × the output layer's." if ratio is not None else "",
    }


def _number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
