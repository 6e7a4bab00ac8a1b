"""What a well-tuned dense network reaches on each built-in data set, and where that figure comes from.

The verdict measures a run against it: a training fit far below what the data allow is underfitting,
however flat the curves. Published figures where a public benchmark exists; for the other sets, the
best of several nnlab runs measured here (settings named), on the set's default size and noise 0.
A CSV file has no reference: its verdict is judged from the training fit alone.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    metric: str  # "accuracy" (classification) or "loss" (regression: mean squared error of standardized targets)
    value: float  # test accuracy reached, or test loss reached (1.0 = guessing the mean)
    source: str  # where the figure comes from, in words a student can follow

    def describe(self) -> str:
        figure = f"{self.value:.1%} accuracy" if self.metric == "accuracy" else f"a loss of {self.value:.2f}"
        return f"{figure} ({self.source})"


_MEASURED = "measured by nnlab's verdict corpus (bench/make_verdict_corpus.py)"

REFERENCES: dict[str, Reference] = {
    "mnist": Reference("accuracy", 0.984, "Keras' mnist_mlp example: 784-512-512-10, dropout 0.2, RMSprop, "
                                          "20 epochs, 98.40 % test accuracy"),
    "fashion_mnist": Reference("accuracy", 0.875, "the Fashion-MNIST benchmark's multilayer perceptrons: "
                                                  "≈87–88 % test accuracy"),
    "digits": Reference("accuracy", 0.975, f"one hidden layer of 2048 (or 256 with dropout 0.5), Adam: 97.5 % test, {_MEASURED}"),
    "iris": Reference("accuracy", 1.0, f"one hidden layer of 16, Adam 0.01, 100 epochs: 100 % of 30 test flowers, {_MEASURED}"),
    "wine": Reference("accuracy", 1.0, f"one hidden layer of 64, Adam, 60 epochs: 100 % of 36 test wines, {_MEASURED}"),
    "breast_cancer": Reference("accuracy", 0.95, f"one hidden layer of 32, Adam, 50 epochs: 94.7 % test, {_MEASURED}"),
    "spiral": Reference("accuracy", 0.99, f"three hidden layers of 16, Adam 0.01, 100 epochs: 99 % test, {_MEASURED}"),
    "circle": Reference("accuracy", 1.0, f"one hidden layer of 8, Adam 0.03, 30 epochs: 100 % test, {_MEASURED}"),
    "xor": Reference("accuracy", 1.0, f"two hidden layers of 8, Adam 0.01, 50 epochs: 100 % test, {_MEASURED}"),
    "moons": Reference("accuracy", 1.0, f"two hidden layers of 16, Adam 0.01, 50 epochs: 100 % test, {_MEASURED}"),
    "gauss": Reference("accuracy", 1.0, f"no hidden layer, Adam 0.01, 20 epochs: 100 % test, {_MEASURED}"),
    "diabetes": Reference("loss", 0.55, f"one hidden layer of 64 or none, Adam: test loss 0.55–0.56, {_MEASURED}"),
    "fn_sin": Reference("loss", 0.001, f"two hidden layers of 32, Adam 0.01, 100 epochs: test loss 0.001, {_MEASURED}"),
}


# Classes and the share of the largest class (what guessing it scores) of the built-in
# classification sets at their default split, seed 0 (measured with nnlab.data.datasets.load_dataset): a saved
# run's verdict is made again from these when the run predates recording them with its verdict.
CLASSES: dict[str, tuple[int, float]] = {
    "mnist": (10, 0.1124), "fashion_mnist": (10, 0.1), "digits": (10, 0.1013), "breast_cancer": (2, 0.6259),
    "wine": (3, 0.4016), "iris": (3, 0.3333), "circle": (2, 0.5), "xor": (2, 0.5361), "gauss": (2, 0.5),
    "spiral": (2, 0.5), "moons": (2, 0.5),
}


def reference_for(dataset: str | None, noise: float = 0.0) -> Reference | None:
    """The reference of a built-in data set, or None: for CSV files, unknown names, and synthetic
    sets generated with noise (the figures hold for noise 0 only)."""
    if dataset is None or noise:
        return None
    return REFERENCES.get(dataset)
