"""One neuron: weighted sum of the inputs, plus the bias, through the activation."""
from __future__ import annotations

from dataclasses import dataclass

from nnlab.concepts.activations import FUNCTIONS


@dataclass(frozen=True)
class NeuronStep:
    products: tuple[float, ...]  # x_i · w_i
    weighted_sum: float  # Σ x_i · w_i
    z: float  # weighted sum + bias
    output: float  # activation(z)


def neuron(inputs: list[float], weights: list[float], bias: float, activation: str = "relu") -> NeuronStep:
    if len(inputs) != len(weights):
        raise ValueError(f"{len(inputs)} inputs need {len(inputs)} weights, got {len(weights)}")
    products = tuple(x * w for x, w in zip(inputs, weights))
    weighted_sum = sum(products)
    z = weighted_sum + bias
    return NeuronStep(products, weighted_sum, z, float(FUNCTIONS[activation].f(z)))


def layers_stay_linear(w1: float, b1: float, w2: float, b2: float) -> tuple[float, float]:
    """Two neurons without activation, y = w2·(w1·x + b1) + b2, are one: (w2·w1)·x + (w2·b1 + b2)."""
    return w2 * w1, w2 * b1 + b2
