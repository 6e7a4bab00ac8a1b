"""Activation functions and their derivatives, in NumPy, as Keras computes them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import erf


@dataclass(frozen=True)
class Activation:
    f: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    formula: str  # LaTeX


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _gelu(x):
    x = np.asarray(x, dtype=float)
    return 0.5 * x * (1 + erf(x / np.sqrt(2)))  # Keras' exact GELU


def _gelu_derivative(x):
    x = np.asarray(x, dtype=float)
    return 0.5 * (1 + erf(x / np.sqrt(2))) + x * np.exp(-x**2 / 2) / np.sqrt(2 * np.pi)


FUNCTIONS = {
    "relu": Activation(lambda x: np.maximum(0.0, x), lambda x: (np.asarray(x) > 0).astype(float), r"\max(0, x)"),
    "sigmoid": Activation(_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)), r"\frac{1}{1 + e^{-x}}"),
    "tanh": Activation(np.tanh, lambda x: 1 - np.tanh(x) ** 2, r"\tanh x"),
    "linear": Activation(lambda x: np.asarray(x, dtype=float), lambda x: np.ones_like(np.asarray(x, dtype=float)), "x"),
    "gaussian": Activation(lambda x: np.exp(-np.square(x)), lambda x: -2 * np.asarray(x) * np.exp(-np.square(x)),
                           r"e^{-x^2}"),
    "elu": Activation(lambda x: np.where(np.asarray(x) > 0, x, np.expm1(np.minimum(x, 0))),
                      lambda x: np.where(np.asarray(x) > 0, 1.0, np.exp(np.minimum(x, 0))),
                      r"x \text{ if } x > 0 \text{ else } e^x - 1"),
    "gelu": Activation(_gelu, _gelu_derivative, r"x \cdot \Phi(x)"),
    "swish": Activation(lambda x: np.asarray(x) * _sigmoid(x),
                        lambda x: _sigmoid(x) + np.asarray(x) * _sigmoid(x) * (1 - _sigmoid(x)), r"x \cdot \sigma(x)"),
}


def curves(names: list[str], low: float = -5.0, high: float = 5.0, points: int = 201):
    """Long table (x, function, value, kind) of each activation and its derivative."""
    import pandas as pd

    x = np.linspace(low, high, points)
    parts = []
    for name in names:
        for kind, values in (("function", FUNCTIONS[name].f(x)), ("derivative", FUNCTIONS[name].derivative(x))):
            parts.append(pd.DataFrame({"x": x, "value": values, "activation": name, "kind": kind}))
    return pd.concat(parts, ignore_index=True)


def gradient_through_layers(name: str, z: float, layers: int) -> float:
    """The factor a gradient keeps after passing `layers` neurons that all sit at z (weights 1):
    the vanishing gradient of sigmoid, made a number (0.25 per layer at best)."""
    return float(FUNCTIONS[name].derivative(np.array(z))) ** layers
