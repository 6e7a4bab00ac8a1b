"""Softmax step by step, and the two ways of writing a class down (one-hot, label)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SoftmaxSteps:
    logits: tuple[float, ...]
    exps: tuple[float, ...]  # e^a for each number
    total: float  # T = Σ e^a
    probabilities: tuple[float, ...]  # e^a / T, adding up to 1


def softmax(logits: list[float]) -> SoftmaxSteps:
    values = np.asarray(logits, dtype=float)
    # Subtracting the largest number first changes nothing mathematically and avoids overflow;
    # the shown e^a are the true ones whenever they fit in a float.
    shifted = np.exp(values - values.max())
    probabilities = shifted / shifted.sum()
    with np.errstate(over="ignore"):
        exps = np.exp(values)
    return SoftmaxSteps(tuple(values), tuple(exps), float(exps.sum()), tuple(probabilities))


def one_hot(classes: list[str], value: str) -> list[int]:
    return [int(c == value) for c in classes]


def label(classes: list[str], value: str) -> int:
    return classes.index(value)


def encodings(classes: list[str]):
    """A table: each class with its label number and its one-hot vector."""
    import pandas as pd

    return pd.DataFrame({"class": classes, "label": [label(classes, c) for c in classes],
                         "one-hot": [str(one_hot(classes, c)) for c in classes]})
