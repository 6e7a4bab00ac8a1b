"""Universal approximation: one hidden layer of N neurons fitting a curve, with the real backend."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from nnlab.config.run_config import RunConfig

BASE = RunConfig(dataset="fn_sin", samples=500, noise=0.1, hidden=(8,), activation="relu", optimizer="adam",
                 learning_rate=0.01, batch_size=16, epochs=150, validation_fraction=0.2)


def approximation_config(curve: str, neurons: int, activation: str = "relu", epochs: int = BASE.epochs) -> RunConfig:
    return dataclasses.replace(BASE, dataset=curve, hidden=(neurons,), activation=activation, epochs=epochs)


def fitted_curve(model, dataset, points: int = 200) -> pd.DataFrame:
    """The network's output along x (in the curve's own units), to draw against the target."""
    from nnlab.core.tf_runtime import keras

    x = np.linspace(-3, 3, points).reshape(-1, 1)
    # A direct call, not model.predict: it runs after every epoch and predict's set-up costs more.
    outputs = keras.ops.convert_to_numpy(model(dataset.scaler.transform(x).astype(np.float32), training=False))
    return pd.DataFrame({"x": x[:, 0], "y": dataset.to_original_target(outputs[:, 0])})


def fit_error(fit: pd.DataFrame, function) -> float:
    """Mean absolute difference between the fitted curve and the true function."""
    return float(np.mean(np.abs(fit["y"].to_numpy() - function(fit["x"].to_numpy()))))
