"""Weights of a trained network set by hand, as Playground lets a student do from its network drawing:
on a copy of the trained model, so the run's saved model, test figures and downloads keep the weights it
learned; one weight at a time, each within ±MAX_WEIGHT. The inside views are then taken from the copy
(serving/jobs.TrainingJob.edit_weight): the neurons' maps and the prediction over the plane are redrawn."""
from __future__ import annotations

import math

from nnlab.core.errors import UserError

MAX_WEIGHT = 100.0  # far beyond what training gives a 2-D network; typed 1e300 would only blank the maps


class WeightEdits:
    """A copy of `model` and the weights set on it: (layer, row, column) → (trained value, value set)."""

    def __init__(self, model):
        from nnlab.core.tf_runtime import keras

        self.model = keras.models.clone_model(model)
        self.model.set_weights(model.get_weights())
        self.changes: dict[tuple[str, int, int], tuple[float, float]] = {}

    def set(self, layer: str, row: int, column: int, value) -> None:
        """Set the weight of the link from neuron `row` (counted from 0) of the layer before `layer` to neuron
        `column` of `layer`; a UserError saying what to change for a value or a link that cannot be."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value) or abs(value) > MAX_WEIGHT:
            raise UserError(f"A weight must be a number between −{MAX_WEIGHT:g} and {MAX_WEIGHT:g}.")
        kernel = next((dense.kernel for dense in self.model.layers if dense.name == layer and hasattr(dense, "kernel")), None)
        if kernel is None or not (0 <= row < kernel.shape[0] and 0 <= column < kernel.shape[1]):
            raise UserError("This network has no such link: choose one of the links drawn.")
        weights = kernel.numpy()
        trained = self.changes.get((layer, row, column), (float(weights[row, column]), None))[0]
        weights[row, column] = value
        kernel.assign(weights)
        self.changes[(layer, row, column)] = (trained, value)
