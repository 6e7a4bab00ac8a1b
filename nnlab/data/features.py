"""TensorFlow Playground's input features: what the network is given of a 2-D point (x₁, x₂).

Playground offers seven inputs, each a toggle: x₁, x₂, x₁², x₂², x₁x₂, sin x₁, sin x₂. With the right
ones a network needs no hidden layer (the circle is x₁² + x₂² < r², a straight cut in those inputs).
They are computed from the raw points (about [−6, 6]², as Playground does), then standardized with
the training split's statistics like every other tabular input (nnlab/data/datasets.py). `code` is
each formula as the exported Keras script writes it (a test checks it gives the same columns).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Feature:
    label: str  # as Playground writes it
    explanation: str  # the control's help
    code: str  # the formula over an (n, 2) array `x`, as NumPy code
    compute: Callable[[np.ndarray], np.ndarray]


FEATURES: dict[str, Feature] = {
    "x1": Feature("x₁", "the point's first coordinate", "x[:, 0]", lambda x: x[:, 0]),
    "x2": Feature("x₂", "the point's second coordinate", "x[:, 1]", lambda x: x[:, 1]),
    "x1_squared": Feature("x₁²", "the first coordinate squared", "x[:, 0] ** 2", lambda x: x[:, 0] ** 2),
    "x2_squared": Feature("x₂²", "the second coordinate squared", "x[:, 1] ** 2", lambda x: x[:, 1] ** 2),
    "x1_x2": Feature("x₁x₂", "the product of the two coordinates", "x[:, 0] * x[:, 1]", lambda x: x[:, 0] * x[:, 1]),
    "sin_x1": Feature("sin x₁", "the sine of the first coordinate", "np.sin(x[:, 0])", lambda x: np.sin(x[:, 0])),
    "sin_x2": Feature("sin x₂", "the sine of the second coordinate", "np.sin(x[:, 1])", lambda x: np.sin(x[:, 1])),
}
DEFAULT = ("x1", "x2")  # Playground's start: the two coordinates alone


def choices() -> dict[str, str]:
    """name → 'x₁²: the first coordinate squared', for the settings table."""
    return {name: f"{feature.label}: {feature.explanation}" for name, feature in FEATURES.items()}


def labels(names) -> tuple[str, ...]:
    return tuple(FEATURES[name].label for name in names)


def columns(points: np.ndarray, names) -> np.ndarray:
    """The chosen inputs of (n, 2) raw points, one column each in the order given: (n, len(names))."""
    points = np.asarray(points, dtype=np.float64)
    return np.column_stack([FEATURES[name].compute(points) for name in names])
