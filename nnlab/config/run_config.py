"""RunConfig: every setting of one training run, in one frozen, validated dataclass.

Derive variants with `dataclasses.replace(config, dropout=0.3)`; validation runs again there.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from nnlab.core.errors import ConfigError
from nnlab.config.settings import (  # noqa: F401 - re-exported: the choices are part of what a config is
    ACTIVATIONS, ENCODINGS, LOSSES, MAX_LAYERS, MAX_WIDTH, OPTIMIZERS, SETTINGS, TASKS, parse_hidden,
)


@dataclass(frozen=True)
class RunConfig:
    """The settings of one run. Defaults give a sound first MNIST network."""

    # --- data ---
    dataset: str = "mnist"  # a name from nnlab.data.datasets.DATASETS, or "csv" with csv_path and target
    train_size: int = 0  # training examples to keep (0 = all); small values provoke overfitting
    validation_fraction: float = 0.1  # share of the training data held out, shuffled, for validation
    test_fraction: float = 0.2  # share held out for the test, for data sets without a test split
    noise: float = 0.0  # synthetic sets: label noise, 0 to 0.5 (TensorFlow Playground's 0–50 %)
    samples: int = 500  # synthetic sets: number of points generated
    csv_path: str = ""  # dataset "csv": the file to read
    target: str = ""  # dataset "csv": the column to predict
    task: str = "auto"  # dataset "csv": classification, regression or auto (guessed from the target)
    features: tuple[str, ...] = ("x1", "x2")  # Playground's sets: the inputs made of each point (data/features.py)
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
    lr_schedule: str = "constant"  # the learning rate per epoch: constant, step, exponential or cosine (lr_schedule.py)
    lr_decay: float = 0.5  # step and exponential: the rate is multiplied by this every lr_decay_epochs epochs
    lr_decay_epochs: int = 5  # step and exponential: epochs per decay by lr_decay
    warmup_epochs: int = 0  # epochs of linear warm-up before the schedule (0 = none)
    batch_size: int = 32  # examples per gradient step
    epochs: int = 10  # passes over the training data
    early_stopping: int = 0  # patience in epochs without a better validation loss; 0 = off
    seed: int = 0  # one seed fixes the split, the initial weights, dropout and the batch order

    def __post_init__(self) -> None:
        # Lists from JSON or a form become tuples (hashable, frozen); 3 where 3.0 is meant is stored as 3.0.
        for name, setting in SETTINGS.items():
            value = getattr(self, name)
            if setting.kind in ("layers", "several", "float") and not isinstance(value, str):
                object.__setattr__(self, name, setting.coerce(value))
        _validate(self)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["hidden"], data["features"] = list(self.hidden), list(self.features)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunConfig":
        if not isinstance(data, dict):
            raise ConfigError(f"settings must be a mapping of names to values, got {type(data).__name__}")
        unknown = sorted(set(data) - set(SETTINGS))
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]!r}; known settings: {', '.join(SETTINGS)}")
        return cls(**{name: SETTINGS[name].coerce(value) for name, value in data.items()})

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"settings file is not valid JSON: {error}") from None
        return cls.from_dict(data)

    def to_link(self) -> dict[str, str]:
        """Every setting that differs from the defaults, as a link's query parameters (the CLI's
        value forms: hidden=128,64). Settings kept out of links (file paths) are left out."""
        defaults = RunConfig()
        return {name: setting.to_text(getattr(self, name)) for name, setting in SETTINGS.items()
                if setting.in_link and getattr(self, name) != getattr(defaults, name)}

    @classmethod
    def from_link(cls, params: dict[str, str], base: dict[str, Any] | None = None) -> tuple["RunConfig", list[str]]:
        """A link's settings on top of the defaults (and `base`, settings the page resolved itself,
        such as an upload's path): (the config, a sentence per parameter that could not be used).
        When they do not all fit, they are tried one at a time, so a bad one spoils nothing else."""
        values, problems = {**RunConfig().to_dict(), **(base or {})}, []
        usable = {}
        for name, raw in params.items():
            setting = SETTINGS.get(name)
            if setting is None or not setting.in_link:
                problems.append(f"{name!r} is not a setting a link can carry")
            else:
                usable[name] = raw
        try:
            return cls.from_dict({**values, **usable}), problems
        except ConfigError:
            pass
        for name, raw in usable.items():
            try:
                cls.from_dict({**values, name: raw})
                values[name] = raw
            except ConfigError as error:
                problems.append(str(error))
        try:
            return cls.from_dict(values), problems
        except ConfigError as error:  # settings fine alone but not together (loss mse with label encoding)
            return cls.from_dict(base or {}), [*problems, str(error)]

    def changes_from(self, other: "RunConfig") -> dict[str, tuple[Any, Any]]:
        """The settings that differ: name → (other's value, this value)."""
        mine, theirs = self.to_dict(), other.to_dict()
        return {k: (theirs[k], mine[k]) for k in mine if mine[k] != theirs[k]}


def _validate(config: RunConfig) -> None:
    for name, setting in SETTINGS.items():
        setting.check(getattr(config, name))
    # The rules that tie settings together.
    if config.dataset == "csv" and not (config.csv_path and config.target):
        raise ConfigError("dataset 'csv' needs csv_path (the file) and target (the column to predict)")
    if config.loss == "mse" and config.encoding == "label":
        raise ConfigError(
            "loss 'mse' needs encoding 'one_hot': squared error compares the softmax vector with a "
            "one-hot vector; with encoding 'label' use loss 'cross_entropy'"
        )
    if 0 < config.train_size < 10:
        raise ConfigError(f"train_size must be 0 (all) or at least 10, got {config.train_size}")


DEFAULT = RunConfig()
# The course notebook's network, the students' starting point: ≈88 % test accuracy after 10 epochs.
COURSE_EXERCISE = RunConfig(
    dataset="mnist", hidden=(20, 20, 20), activation="relu", loss="mse", encoding="one_hot",
    optimizer="sgd", learning_rate=0.087, batch_size=100, epochs=10,
)
