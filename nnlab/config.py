"""RunConfig: every setting of one training run, in one frozen, validated dataclass.

Derive variants with `dataclasses.replace(config, dropout=0.3)`; validation runs again there.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

from nnlab.errors import ConfigError


# Each choice with a one-line explanation in the lecture's words (the dashboard shows them as help).
ACTIVATIONS = {
    "relu": "ReLU: max(0, x). The default of modern networks: cheap, and no vanishing gradient for x > 0.",
    "sigmoid": "Sigmoid: 1 / (1 + e^-x), squashes to (0, 1). Its gradient vanishes for large |x|.",
    "tanh": "tanh: squashes to (-1, 1), centred on 0. Also saturates for large |x|.",
    "linear": "Linear (no activation): stacked linear layers stay one linear function.",
    "gaussian": "Gaussian: exp(-x²), a bump around 0 (named in the lecture).",
    "elu": "ELU: x for x > 0, e^x - 1 below: like ReLU but smooth and with negative outputs.",
    "gelu": "GELU: x times the chance a standard normal is below x; used in Transformers.",
    "swish": "Swish (SiLU): x · sigmoid(x); smooth, slightly non-monotonic.",
}
OPTIMIZERS = {
    "sgd": "Gradient descent on mini-batches: w ← w − learning rate × gradient.",
    "sgd_momentum": "SGD with momentum 0.9: keeps a running direction, rolls through flat parts.",
    "adam": "Adam: momentum plus a per-weight step size; works well with its default 0.001.",
    "adamw": "AdamW: Adam with weight decay kept apart from the gradient.",
    "rmsprop": "RMSprop: divides each step by a running average of squared gradients.",
    "adagrad": "Adagrad: step sizes shrink for weights that have had large gradients.",
    "nadam": "Nadam: Adam with Nesterov momentum.",
    "lion": "Lion: updates by the sign of a momentum; use a learning rate 3–10× smaller than Adam's.",
}
LOSSES = {
    "cross_entropy": "Cross-entropy: −log of the probability given to the true class; punishes confident mistakes hard.",
    "mse": "Mean squared error: the average of (prediction − target)²; the loss of the course notebook.",
}
ENCODINGS = {
    "one_hot": "One-hot: class 2 of 4 becomes [0, 0, 1, 0]; one output neuron per class.",
    "label": "Label: class 2 stays the number 2 (the loss compares it with the softmax directly).",
}
TASKS = {
    "auto": "Guess from the target column: text or few whole numbers → classification.",
    "classification": "Predict one of several classes (softmax output).",
    "regression": "Predict a number (linear output).",
}

MAX_LAYERS = 10
MAX_WIDTH = 2048


@dataclass(frozen=True)
class RunConfig:
    """The settings of one run. Defaults give a sound first MNIST network."""

    # --- data ---
    dataset: str = "mnist"  # a name from nnlab.data.DATASETS, or "csv" with csv_path and target
    train_size: int = 0  # training examples to keep (0 = all); small values provoke overfitting
    validation_fraction: float = 0.1  # share of the training data held out, shuffled, for validation
    test_fraction: float = 0.2  # share held out for the test, for data sets without a test split
    noise: float = 0.0  # synthetic sets: label noise, 0 to 0.5 (TensorFlow Playground's 0–50 %)
    samples: int = 500  # synthetic sets: number of points generated
    csv_path: str = ""  # dataset "csv": the file to read
    target: str = ""  # dataset "csv": the column to predict
    task: str = "auto"  # dataset "csv": classification, regression or auto (guessed from the target)
    # --- network ---
    hidden: tuple[int, ...] = (128,)  # neurons of each hidden layer; () means no hidden layer
    activation: str = "relu"  # of the hidden layers; the output is softmax or linear by task
    batch_norm: bool = False  # batch normalization after each hidden layer's weighted sum
    dropout: float = 0.0  # share of hidden neurons switched off at random in each training step
    l1: float = 0.0  # L1 penalty on the weights (pushes many weights to exactly zero)
    l2: float = 0.0  # L2 penalty on the weights (keeps weights small)
    # --- training ---
    loss: str = "cross_entropy"  # cross_entropy or mse (regression always uses mse)
    encoding: str = "one_hot"  # how classes are given to the loss: one_hot or label
    optimizer: str = "adam"
    learning_rate: float = 0.001
    batch_size: int = 32  # examples per gradient step
    epochs: int = 10  # passes over the training data
    early_stopping: int = 0  # patience in epochs without a better validation loss; 0 = off
    seed: int = 0  # one seed fixes the split, the initial weights, dropout and the batch order

    def __post_init__(self) -> None:
        # Lists from JSON or a form become tuples so the config stays hashable and frozen.
        if isinstance(self.hidden, list):
            object.__setattr__(self, "hidden", tuple(self.hidden))
        for f in dataclasses.fields(self):  # 3 where 3.0 is meant: store the float
            value = getattr(self, f.name)
            if f.type == "float" and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, f.name, float(value))
        _validate(self)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["hidden"] = list(self.hidden)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunConfig":
        if not isinstance(data, dict):
            raise ConfigError(f"settings must be a mapping of names to values, got {type(data).__name__}")
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]!r}; known settings: {', '.join(known)}")
        return cls(**{name: _coerce(name, known[name].type, value) for name, value in data.items()})

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"settings file is not valid JSON: {error}") from None
        return cls.from_dict(data)

    def changes_from(self, other: "RunConfig") -> dict[str, tuple[Any, Any]]:
        """The settings that differ: name → (other's value, this value)."""
        mine, theirs = self.to_dict(), other.to_dict()
        return {k: (theirs[k], mine[k]) for k in mine if mine[k] != theirs[k]}


def parse_hidden(text: str) -> tuple[int, ...]:
    """'128, 64' → (128, 64); '' → (). For the command line and text inputs."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(
            f"hidden must be neuron counts separated by commas, like '128,64' (or '' for none), got {text!r}"
        ) from None


def _coerce(name: str, type_name: str, value: Any) -> Any:
    """Accept the forms JSON and query strings give (lists, '3', 'true') and turn them into the
    field's type; anything else is left for _validate to reject with a clear message."""
    if type_name.startswith("tuple"):
        if isinstance(value, str):
            return parse_hidden(value)
        if isinstance(value, (list, tuple)):
            return tuple(value)
        return value
    if isinstance(value, str):
        text = value.strip()
        if type_name == "bool":
            if text.lower() in ("true", "1", "yes", "on"):
                return True
            if text.lower() in ("false", "0", "no", "off", ""):
                return False
        elif type_name == "int":
            try:
                return int(text)
            except ValueError:
                pass
        elif type_name == "float":
            try:
                return float(text)
            except ValueError:
                pass
    if type_name == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _choice(config: RunConfig, name: str, allowed: dict[str, str]) -> None:
    value = getattr(config, name)
    if value not in allowed:
        raise ConfigError(f"{name} {value!r} is not one of: {', '.join(allowed)}")


def _number(config: RunConfig, name: str, low: float, high: float, *, whole: bool, low_open: bool = False) -> None:
    value = getattr(config, name)
    kind = "a whole number" if whole else "a number"
    ok_type = isinstance(value, int) if whole else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or (not whole and not math.isfinite(value)):
        raise ConfigError(f"{name} must be {kind}, got {value!r}")
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        left = "(" if low_open else "["
        raise ConfigError(f"{name} must be in {left}{low:g}, {high:g}], got {value!r}")


def _validate(config: RunConfig) -> None:
    from nnlab.data import DATASETS  # the registry lives with the data; imported late to avoid a cycle

    if config.dataset != "csv" and config.dataset not in DATASETS:
        raise ConfigError(f"dataset {config.dataset!r} is not one of: {', '.join([*DATASETS, 'csv'])}")
    if config.dataset == "csv" and not (config.csv_path and config.target):
        raise ConfigError("dataset 'csv' needs csv_path (the file) and target (the column to predict)")
    _choice(config, "task", TASKS)
    _choice(config, "activation", ACTIVATIONS)
    _choice(config, "optimizer", OPTIMIZERS)
    _choice(config, "loss", LOSSES)
    _choice(config, "encoding", ENCODINGS)
    if config.loss == "mse" and config.encoding == "label":
        raise ConfigError(
            "loss 'mse' needs encoding 'one_hot': squared error compares the softmax vector with a "
            "one-hot vector; with encoding 'label' use loss 'cross_entropy'"
        )
    if not isinstance(config.hidden, tuple) or not all(
        isinstance(w, int) and not isinstance(w, bool) for w in config.hidden
    ):
        raise ConfigError(f"hidden must be a list of neuron counts like [128, 64], got {config.hidden!r}")
    if len(config.hidden) > MAX_LAYERS:
        raise ConfigError(f"hidden has {len(config.hidden)} layers; at most {MAX_LAYERS} are allowed")
    for i, width in enumerate(config.hidden, start=1):
        if not 1 <= width <= MAX_WIDTH:
            raise ConfigError(f"hidden layer {i} has {width} neurons; each layer needs 1 to {MAX_WIDTH}")
    if not isinstance(config.batch_norm, bool):
        raise ConfigError(f"batch_norm must be true or false, got {config.batch_norm!r}")
    for name in ("dataset", "csv_path", "target"):
        if not isinstance(getattr(config, name), str):
            raise ConfigError(f"{name} must be text, got {getattr(config, name)!r}")
    _number(config, "train_size", 0, 10_000_000, whole=True)
    if 0 < config.train_size < 10:
        raise ConfigError(f"train_size must be 0 (all) or at least 10, got {config.train_size}")
    _number(config, "validation_fraction", 0.05, 0.5, whole=False)
    _number(config, "test_fraction", 0.05, 0.5, whole=False)
    _number(config, "noise", 0.0, 0.5, whole=False)
    _number(config, "samples", 50, 20_000, whole=True)
    _number(config, "dropout", 0.0, 0.9, whole=False)
    _number(config, "l1", 0.0, 1.0, whole=False)
    _number(config, "l2", 0.0, 1.0, whole=False)
    _number(config, "learning_rate", 0.0, 100.0, whole=False, low_open=True)
    _number(config, "batch_size", 1, 100_000, whole=True)
    _number(config, "epochs", 1, 1000, whole=True)
    _number(config, "early_stopping", 0, 1000, whole=True)
    _number(config, "seed", 0, 2**31 - 1, whole=True)


DEFAULT = RunConfig()
# The course notebook's network, the students' starting point (DESIGN.md).
COURSE_EXERCISE = RunConfig(
    dataset="mnist", hidden=(20, 20, 20), activation="relu", loss="mse", encoding="one_hot",
    optimizer="sgd", learning_rate=0.087, batch_size=100, epochs=10,
)
