"""What the network has become, taken from a Keras model between epochs: the first layer's weights as
images (image data sets) and every hidden neuron's output over the input plane (2-D data sets).

`snapshot(model, dataset, epoch=…, batch=…)` is called by the training thread (after an epoch, at a
step-mode pause, at the end) and must stay cheap: it reads one kernel, or runs one forward pass over a
small grid, and copies what it keeps, since the weights change once it returns. The tables the charts
of `layer_stats` need are here too (`nnlab.charts.inside` draws them).
"""
from __future__ import annotations

import os
import tempfile
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nnlab.core.errors import UserError

MOST_TILES = 64  # a wider first layer shows its strongest 64 neurons: more tiles are unreadable
GRID = 32  # neuron-map resolution per axis: 1,024 points, one forward pass of ≈0.1 ms on 8-8
MOST_LINKS = 1000  # the network drawing's links (weights) at most: more are neither readable nor cheap to send
PERCENTILES = (0, 7, 16, 31, 50, 69, 84, 93, 100)  # the w_P keys of layer_stats: TensorBoard's bands, rounded


@dataclass(frozen=True)
class WeightImages:
    """The first Dense layer's kernel, one image per neuron, strongest first."""

    layer: str
    images: np.ndarray  # (shown, h, w): neuron n's weight from pixel (i, j) at [k, i, j]
    neurons: tuple[int, ...]  # each image's neuron number, counted from 1 as the layer table does
    strength: np.ndarray  # (shown,) the L2 norm of each shown neuron's incoming weights
    units: int  # neurons in the layer (more than shown when the layer is wider than MOST_TILES)


@dataclass(frozen=True)
class NeuronMaps:
    """Every hidden neuron's output over a grid of the input plane, in the data's own units."""

    x1: np.ndarray  # (GRID,) the grid's first input, as the student sees it (before standardizing)
    x2: np.ndarray  # (GRID,)
    layers: tuple[tuple[str, np.ndarray], ...]  # (hidden layer name, (units, GRID, GRID)): after the activation
    prediction: np.ndarray  # (GRID, GRID): P(last class), or the predicted value in the target's units
    task: str
    inputs: tuple[tuple[str, np.ndarray], ...] = ()  # (input's label, (GRID, GRID)): each input feature, standardized
    # (Dense layer's name, its kernel (inputs, units)): every link's weight, for the network drawing; () when the
    # network has more than MOST_LINKS of them
    kernels: tuple[tuple[str, np.ndarray], ...] = ()


@dataclass(frozen=True)
class InsideSnapshot:
    epoch: int  # where training stood: batch 0 = at the end of this epoch
    batch: int
    weights: WeightImages | None = None  # image data sets
    maps: NeuronMaps | None = None  # 2-D data sets
    # weights set by hand after training (training/weight_edit.py): ((layer, row, column), (trained, set)) pairs
    edits: tuple = ()


def snapshot(model, dataset, *, epoch: int, batch: int = 0, edits: tuple = ()) -> InsideSnapshot:
    return InsideSnapshot(
        epoch=epoch, batch=batch, edits=edits,
        weights=first_layer_images(model, dataset) if dataset.image_shape is not None else None,
        maps=neuron_maps(model, dataset) if is_plane(dataset) else None,
    )


def is_plane(dataset) -> bool:
    """Examples that are points of a plane (the 2-D sets, whatever input features they give the
    network; a 2-column CSV as well): a plane to draw on."""
    return dataset.plane is not None


# --- the first layer's weights ---------------------------------------------------------------------

def dense_layers(model) -> list:
    return [layer for layer in model.layers if hasattr(layer, "kernel")]


def first_layer_images(model, dataset, most: int = MOST_TILES) -> WeightImages:
    """"Strongest" is the L2 norm of a neuron's incoming weights: the neurons whose pattern moves their
    weighted sum most for a given image (and, from random starts, those training changed most)."""
    layer = dense_layers(model)[0]
    kernel = np.asarray(layer.kernel.numpy())  # (pixels, units)
    strength = np.linalg.norm(kernel, axis=0)
    order = np.argsort(-strength, kind="stable")[:most]
    images = kernel[:, order].T.reshape(len(order), *dataset.image_shape).copy()
    return WeightImages(layer=layer.name, images=images, neurons=tuple(int(i) + 1 for i in order),
                        strength=strength[order].copy(), units=int(kernel.shape[1]))


# --- neuron maps over the plane --------------------------------------------------------------------

_grids: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # dataset → (x1, x2, model inputs)
_probes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model → (names, compiled forward pass)


def plane_grid(dataset, size: int = GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axes over the raw points' range (as `predictions.boundary_grid`, 5 % margin) and the grid's
    points as the model sees them (input features, standardized), row by row: point [i * size + j] is (x1[j], x2[i])."""
    cached = _grids.get(dataset)
    if cached is None or len(cached[0]) != size:
        raw = np.concatenate([dataset.plane_points("train"), dataset.plane_points("test")])
        low, high = raw.min(axis=0), raw.max(axis=0)
        pad = (high - low) * 0.05
        x1, x2 = (np.linspace(low[i] - pad[i], high[i] + pad[i], size) for i in range(2))
        points = np.column_stack([a.ravel() for a in np.meshgrid(x1, x2)])
        cached = (x1, x2, dataset.model_inputs(points))
        _grids[dataset] = cached
    return cached


def hidden_outputs(model) -> list[tuple[str, object]]:
    """Each hidden block's output after its activation: `activation_i` with batch norm (the Dense layer
    is linear there), else the Dense layer `hidden_i` itself. Dropout is left out: at inference it
    passes its input on unchanged."""
    layers = {layer.name: layer for layer in model.layers}
    return [(layer.name, layers.get(layer.name.replace("hidden_", "activation_"), layer))
            for layer in model.layers if layer.name.startswith("hidden_")]


def _probe(model):
    """A model with every hidden block's output and the prediction, as one compiled forward pass;
    built once per model (a traced function per poll would cost more than the pass itself)."""
    cached = _probes.get(model)
    if cached is None:
        from nnlab.core.tf_runtime import keras, tf

        chosen = hidden_outputs(model)
        probe = keras.Model(inputs=model.inputs[0], outputs=[layer.output for _, layer in chosen] + list(model.outputs))
        forward = tf.function(lambda x: probe(x, training=False), reduce_retracing=True)
        cached = (tuple(name for name, _ in chosen), forward)
        _probes[model] = cached
    return cached


def neuron_maps(model, dataset, size: int = GRID) -> NeuronMaps:
    x1, x2, points = plane_grid(dataset, size)
    names, forward = _probe(model)
    outputs = forward(points)
    if not isinstance(outputs, (list, tuple)):  # no hidden layer: Keras returns the one output alone
        outputs = [outputs]
    outputs = [np.asarray(out) for out in outputs]  # fresh arrays: the weights may change next
    maps = tuple((name, out.T.reshape(-1, size, size)) for name, out in zip(names, outputs[:-1]))
    last = outputs[-1]
    prediction = last[:, -1] if dataset.task == "classification" else dataset.to_original_target(last[:, 0])
    inputs = tuple(zip(dataset.feature_names, points.T.reshape(-1, size, size)))  # the same at every epoch
    return NeuronMaps(x1=x1, x2=x2, layers=maps, prediction=prediction.reshape(size, size), task=dataset.task,
                      inputs=inputs, kernels=link_weights(model))


def link_weights(model) -> tuple[tuple[str, np.ndarray], ...]:
    """Each Dense layer's kernel, copied (the weights change once the snapshot returns): the weight of every
    link of the network drawing; () beyond MOST_LINKS links. ≈0.2 ms a layer (TensorFlow's read of a
    variable), at most 4 snapshots a second (serving/jobs.SNAPSHOT_SECONDS)."""
    layers = dense_layers(model)
    if sum(int(np.prod(layer.kernel.shape)) for layer in layers) > MOST_LINKS:
        return ()
    return tuple((layer.name, np.array(layer.kernel.numpy())) for layer in layers)


# --- layer statistics as tables ----------------------------------------------------------------------

def layer_order(stats: list[dict] | pd.DataFrame) -> list[str]:
    """The layers in model order (as recorded: hidden_1 … output)."""
    return list(dict.fromkeys(pd.DataFrame(stats).get("layer", pd.Series(dtype=str))))


def weight_bands(stats: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """One row per layer and epoch with the percentile columns w_0 … w_100 (missing ones NaN)."""
    columns = ["epoch", "layer"] + [f"w_{p}" for p in PERCENTILES]
    frame = pd.DataFrame(stats)
    if not len(frame):
        return pd.DataFrame(columns=columns)
    frame = frame.reindex(columns=columns)
    values = frame[columns[2:]].apply(pd.to_numeric, errors="coerce")
    frame[columns[2:]] = values.where(np.isfinite(values))  # a blown-up run's ±inf would void the axis
    return frame


def gradient_norms(stats: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """epoch, layer, grad_norm: rows a log scale can draw (finite and above zero)."""
    frame = pd.DataFrame(stats).reindex(columns=["epoch", "layer", "grad_norm"])
    norm = pd.to_numeric(frame["grad_norm"], errors="coerce")
    return frame[np.isfinite(norm) & (norm > 0)].reset_index(drop=True)


def vanishing_ratio(stats: list[dict] | pd.DataFrame) -> float | None:
    """The last epoch's gradient norm of the first layer over the output layer's: far below 1 is a
    vanishing gradient (1e-3 is three orders of magnitude; 0 when it vanished entirely), far above 1
    an exploding one. None when it cannot be said (no statistics, one layer, a norm not finite)."""
    frame = pd.DataFrame(stats).reindex(columns=["epoch", "layer", "grad_norm"])
    frame["grad_norm"] = pd.to_numeric(frame["grad_norm"], errors="coerce")
    frame = frame[pd.to_numeric(frame["epoch"], errors="coerce") == pd.to_numeric(frame["epoch"], errors="coerce").max()]
    last = frame.drop_duplicates("layer", keep="last").set_index("layer")["grad_norm"]
    order = [name for name in layer_order(stats) if name in last.index]
    if len(order) < 2:
        return None
    first, output = float(last[order[0]]), float(last[order[-1]])
    if not (np.isfinite(first) and np.isfinite(output)) or output <= 0:
        return None
    return first / output


# --- a saved run's model ------------------------------------------------------------------------------

def load_model_bytes(blob: bytes):
    """A .keras file's bytes as a model (Keras reads .keras from a path only); a damaged file is a
    UserError, not a crash."""
    from nnlab.training import model as _registers_custom_activations  # noqa: F401  (the Gaussian activation)
    from nnlab.core.tf_runtime import keras

    handle, path = tempfile.mkstemp(suffix=".keras")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(blob)
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many kinds for a damaged zip or config
        raise UserError(f"this run's saved model cannot be read ({type(error).__name__}); "
                        "train the run again to see inside it") from None
    finally:
        os.unlink(path)
