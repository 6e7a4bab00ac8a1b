"""The layers a RunConfig asks for, described without TensorFlow.

One list of LayerSpec is the single source of the network's shape: `model.build_model` turns it into
Keras layers, and the pages show it as the layer table with parameter counts before TensorFlow has
even been imported ("how many parameters in this neural network?").
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayerSpec:
    name: str
    kind: str  # "dense", "batch_norm", "activation" or "dropout"
    units: int  # width of the layer's output
    activation: str = ""  # dense and activation layers
    rate: float = 0.0  # dropout
    params: int = 0  # weights and biases, as Keras counts them
    trainable: int = 0  # of those, the ones gradient descent changes

    @property
    def formula(self) -> str:
        """How the count comes about, for the layer table."""
        if self.kind == "dense":
            inputs = self.params // self.units - 1
            return f"({inputs} inputs + 1 bias) × {self.units}"
        if self.kind == "batch_norm":
            return f"4 × {self.units} (γ, β trained; mean, variance tracked)"
        return ""


def dense_params(inputs: int, outputs: int) -> int:
    """(inputs + 1) × outputs: a weight per input and one bias, for each neuron."""
    return (inputs + 1) * outputs


def layer_specs(config, n_inputs: int, n_outputs: int, task: str) -> list[LayerSpec]:
    """Hidden blocks of Dense → [BatchNorm → activation] → [Dropout], then the output layer."""
    specs: list[LayerSpec] = []
    width_in = n_inputs
    for i, width in enumerate(config.hidden, start=1):
        count = dense_params(width_in, width)
        if config.batch_norm:
            # Normalize the weighted sums before the activation, as in the original paper.
            specs.append(LayerSpec(f"hidden_{i}", "dense", width, "linear", params=count, trainable=count))
            specs.append(LayerSpec(f"batch_norm_{i}", "batch_norm", width, params=4 * width, trainable=2 * width))
            specs.append(LayerSpec(f"activation_{i}", "activation", width, config.activation))
        else:
            specs.append(LayerSpec(f"hidden_{i}", "dense", width, config.activation, params=count, trainable=count))
        if config.dropout > 0:
            specs.append(LayerSpec(f"dropout_{i}", "dropout", width, rate=config.dropout))
        width_in = width
    count = dense_params(width_in, n_outputs)
    output_activation = "softmax" if task == "classification" else "linear"
    specs.append(LayerSpec("output", "dense", n_outputs, output_activation, params=count, trainable=count))
    return specs


def count_params(specs: list[LayerSpec]) -> int:
    return sum(spec.params for spec in specs)
