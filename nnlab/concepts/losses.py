"""Loss of one prediction: squared error and cross-entropy, and how they punish mistakes."""
from __future__ import annotations

import numpy as np

EPSILON = 1e-7  # Keras clips probabilities to [ε, 1 − ε] before taking logarithms


def squared_error(prediction: float, target: float) -> float:
    return float((prediction - target) ** 2)


def binary_cross_entropy(probability: float, target: int) -> float:
    """−[y·log p + (1 − y)·log(1 − p)], natural logarithm, as Keras computes it."""
    p = float(np.clip(probability, EPSILON, 1 - EPSILON))
    return float(-(target * np.log(p) + (1 - target) * np.log(1 - p)))


def loss_curves(target: int, points: int = 199):
    """Both losses for every predicted probability of class 1, for a chart."""
    import pandas as pd

    p = np.linspace(0.005, 0.995, points)
    return pd.concat([
        pd.DataFrame({"prediction": p, "loss": [squared_error(v, target) for v in p], "function": "squared error"}),
        pd.DataFrame({"prediction": p, "loss": [binary_cross_entropy(v, target) for v in p], "function": "cross-entropy"}),
    ], ignore_index=True)
