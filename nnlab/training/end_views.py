"""What a page shows of a run's end besides its figures — its test-set predictions (verdict/predictions.py)
and the inside views of the trained network (training/inside.py) — as bytes kept with the run.

A worker (issue 25) makes them from the model it trained, at the run's end, and saves them with the run;
the web server that follows the run reads them back without TensorFlow (loading the model there imported
TensorFlow and held a cold server's pages ≈16 s). NumPy's `.npz` holds the arrays, read back with
`allow_pickle=False`: no code comes out of the database. At most MOST_BYTES: the built-in data sets give
at most ≈0.6 MB (MNIST's 10,000 test predictions and 64 weight images); beyond that nothing is kept.
"""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from nnlab.training.inside import InsideSnapshot, NeuronMaps, WeightImages
from nnlab.verdict.predictions import TestPredictions

MOST_BYTES = 4_000_000
FORMAT = 1


def encode(predictions: TestPredictions | None, inside: InsideSnapshot | None) -> bytes | None:
    """The views as bytes; None when there are none, or they would pass MOST_BYTES."""
    if predictions is None and inside is None:
        return None
    arrays: dict[str, np.ndarray] = {}
    meta: dict = {"format": FORMAT}
    if predictions is not None:
        arrays["outputs"] = np.asarray(predictions.outputs)
        if predictions.grid is not None:
            meta["grid"] = list(predictions.grid.columns)
            arrays.update({f"grid_{i}": predictions.grid[column].to_numpy() for i, column in enumerate(meta["grid"])})
    if inside is not None:
        meta["inside"] = {"epoch": inside.epoch, "batch": inside.batch}
        if inside.weights is not None:
            weights = inside.weights
            meta["weights"] = {"layer": weights.layer, "neurons": list(weights.neurons), "units": weights.units}
            arrays.update(weight_images=weights.images, weight_strength=weights.strength)
        if inside.maps is not None:
            maps = inside.maps
            meta["maps"] = {"task": maps.task, **{part: [name for name, _ in getattr(maps, part)]
                                                  for part in ("layers", "inputs", "kernels")}}
            arrays.update(maps_x1=maps.x1, maps_x2=maps.x2, maps_prediction=maps.prediction)
            for part in ("layers", "inputs", "kernels"):
                arrays.update({f"maps_{part}_{i}": array for i, (_, array) in enumerate(getattr(maps, part))})
    buffer = io.BytesIO()
    np.savez_compressed(buffer, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    blob = buffer.getvalue()
    return blob if len(blob) <= MOST_BYTES else None


def decode(blob: bytes) -> tuple[TestPredictions | None, InsideSnapshot | None]:
    """The views `encode` kept: (predictions, inside views), each None where none was kept. A ValueError
    for bytes that are not such views (damaged, or written by a newer nnlab)."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        meta = json.loads(arrays.pop("meta").tobytes())
    except Exception as error:  # NumPy and zipfile raise many kinds for damaged bytes
        raise ValueError(f"not a run's end views ({type(error).__name__})") from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"end views of format {meta.get('format')!r}; this nnlab reads {FORMAT}")
    predictions = None
    if "outputs" in arrays:
        grid = (pd.DataFrame({column: arrays[f"grid_{i}"] for i, column in enumerate(meta["grid"])})
                if "grid" in meta else None)
        predictions = TestPredictions(arrays["outputs"], grid)
    inside = None
    if "inside" in meta:
        weights = maps = None
        if "weights" in meta:
            told = meta["weights"]
            weights = WeightImages(layer=told["layer"], images=arrays["weight_images"], neurons=tuple(told["neurons"]),
                                   strength=arrays["weight_strength"], units=int(told["units"]))
        if "maps" in meta:
            told = meta["maps"]
            parts = {part: tuple((name, arrays[f"maps_{part}_{i}"]) for i, name in enumerate(told[part]))
                     for part in ("layers", "inputs", "kernels")}
            maps = NeuronMaps(x1=arrays["maps_x1"], x2=arrays["maps_x2"], prediction=arrays["maps_prediction"],
                              task=told["task"], **parts)
        inside = InsideSnapshot(epoch=int(meta["inside"]["epoch"]), batch=int(meta["inside"]["batch"]), weights=weights,
                                maps=maps)
    return predictions, inside
