"""Counting parameters: (inputs + 1) × outputs for each dense layer, summed."""
from __future__ import annotations

import pandas as pd

from nnlab.training.architecture import dense_params
from nnlab.core.errors import ConfigError
from nnlab.config.settings import split_values


def parse_sizes(text: str) -> list[int]:
    """'784, 128, 10' → [784, 128, 10]: the inputs, each hidden layer, the outputs."""
    try:
        sizes = [int(part) for part in split_values(text)]
    except ValueError:
        raise ConfigError(f"give whole numbers separated by commas, like 784, 128, 10 (got {text!r})") from None
    if len(sizes) < 2:
        raise ConfigError("give at least two sizes: the number of inputs and the number of outputs")
    if min(sizes) < 1 or max(sizes) > 100_000:
        raise ConfigError("every layer needs 1 to 100,000 neurons")
    return sizes


def count_table(sizes: list[int]) -> pd.DataFrame:
    rows = []
    for i, (inputs, outputs) in enumerate(zip(sizes, sizes[1:]), start=1):
        name = "output" if i == len(sizes) - 1 else f"hidden {i}"
        rows.append({"layer": name, "inputs": inputs, "neurons": outputs, "weights": inputs * outputs,
                     "biases": outputs, "parameters": dense_params(inputs, outputs),
                     "formula": f"({inputs} + 1) × {outputs}"})
    return pd.DataFrame(rows)
