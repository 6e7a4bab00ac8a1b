"""One table of every RunConfig setting: type, range, choices, help text, widget hint, CLI flag and link key.

The table drives `RunConfig` validation, the dashboard's controls, the share link and the CLI's flags,
so a value one of them accepts, all of them accept (ARCHITECTURE.md, "One table of settings").
Defaults live on the `RunConfig` dataclass itself, each with its comment.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from nnlab.core.errors import ConfigError
from nnlab.data import features
from nnlab.data.datasets import DATASETS  # the registry lives with the data, a layer below the settings

# Each choice with a one-line explanation in the lecture's words (the controls show them as help).
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
LR_SCHEDULES = {
    "constant": "Constant: the same learning rate in every epoch.",
    "step": "Step decay: the rate is multiplied by the decay factor every few epochs (a staircase).",
    "exponential": "Exponential decay: the rate shrinks a little each epoch, by the decay factor every few epochs.",
    "cosine": "Cosine: the rate glides from its value towards 0 along half a cosine wave over the run.",
}
TASKS = {
    "auto": "Guess from the target column: text or few whole numbers → classification.",
    "classification": "Predict one of several classes (softmax output).",
    "regression": "Predict a number (linear output).",
}
MAX_LAYERS = 10
MAX_WIDTH = 2048


def _dataset_names() -> dict[str, str]:
    return {**{name: info.description for name, info in DATASETS.items()}, "csv": "Your own CSV file."}


@dataclass(frozen=True)
class Setting:
    """One field of RunConfig as every interface sees it."""

    name: str
    kind: str  # "choice", "int", "float", "bool", "text", "layers" or "several" (some of the choices, in their order)
    label: str  # the control's label
    help: str  # the control's help and the CLI's --help line
    group: str  # "data", "network", "training" or "regularization"
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself is not allowed (a learning rate of 0)
    choices: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None  # value → explanation
    suggested: tuple = ()  # the values a stepped control offers; any other valid value is added to them
    step: float | None = None  # a slider's step, for settings without suggested values
    flag: str = ""  # the CLI flag; "--name-with-dashes" unless set
    in_link: bool = True  # False: never read from or written to a link (links must not name server files)

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    def options(self) -> Mapping[str, str]:
        return self.choices() if callable(self.choices) else (self.choices or {})

    def coerce(self, value: Any) -> Any:
        """The forms JSON, links and forms give ('3', 'true', '128,64', lists) → the field's type.
        Anything else is returned as it is, for `check` to reject with a clear message."""
        if self.kind == "layers":
            if isinstance(value, str):
                return parse_hidden(value)
            return tuple(value) if isinstance(value, list) else value
        if self.kind == "several":
            if isinstance(value, str):
                value = split_values(value)
            if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                order = list(self.options())  # the table's order, however they were listed
                return tuple(sorted(value, key=lambda v: order.index(v) if v in order else len(order)))
            return value
        if isinstance(value, str):
            text = value.strip()
            if self.kind == "bool" and text.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off", ""):
                return text.lower() in ("true", "1", "yes", "on")
            if self.kind in ("int", "float"):
                try:
                    return int(text) if self.kind == "int" else float(text)
                except ValueError:
                    return value
        if self.kind == "int" and isinstance(value, float) and value.is_integer():
            return int(value)
        if self.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # 3 where 3.0 is meant
        return value

    def check(self, value: Any) -> None:
        """A ConfigError naming the setting, the value and what is allowed."""
        name = self.name
        if self.kind == "choice":
            allowed = self.options()
            if value not in allowed:
                raise ConfigError(f"{name} {value!r} is not one of: {', '.join(allowed)}")
        elif self.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{name} must be true or false, got {value!r}")
        elif self.kind == "text":
            if not isinstance(value, str):
                raise ConfigError(f"{name} must be text, got {value!r}")
        elif self.kind == "layers":
            _check_layers(value)
        elif self.kind == "several":
            allowed = self.options()
            if not isinstance(value, tuple) or not value:
                raise ConfigError(f"{name} must name at least one of: {', '.join(allowed)}; got {value!r}")
            unknown = [v for v in value if v not in allowed]
            if unknown:
                raise ConfigError(f"{name} {unknown[0]!r} is not one of: {', '.join(allowed)}")
            if len(set(value)) < len(value):
                raise ConfigError(f"{name} names {next(v for v in value if value.count(v) > 1)!r} twice")
        else:
            whole = self.kind == "int"
            ok_type = isinstance(value, int) if whole else isinstance(value, (int, float))
            if isinstance(value, bool) or not ok_type or (not whole and not math.isfinite(value)):
                raise ConfigError(f"{name} must be {'a whole number' if whole else 'a number'}, got {value!r}")
            too_low = value <= self.low if self.low_open else value < self.low
            if too_low or value > self.high:
                raise ConfigError(f"{name} must be in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}], "
                                  f"got {value!r}")

    def to_text(self, value: Any) -> str:
        """The value as a link or a command line writes it."""
        if self.kind in ("layers", "several"):
            return ",".join(map(str, value))
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind == "float" and float(value).is_integer():
            return str(int(value))  # "100", as people write it (and link it)
        return str(value)


def shown(name: str, value: Any) -> Any:
    """A setting's value as people read it in tables and sentences: layer lists as '128, 64' (or
    'none'), a CSV file by its name alone (never the server's folders); other values as they are."""
    if SETTINGS[name].kind == "layers":
        return ", ".join(map(str, value)) if value else "none"
    if name == "features":
        return ", ".join(features.labels(value))
    if name == "csv_path":
        return value.replace("\\", "/").rsplit("/", 1)[-1]
    return value


def split_values(text: str) -> list[str]:
    """'0.1, 0.2; 0.3' → ['0.1', '0.2', '0.3']: the lists people type (commas or semicolons)."""
    return [part.strip() for part in str(text).replace(";", ",").split(",") if part.strip()]


def parse_hidden(text: str) -> tuple[int, ...]:
    """'128, 64' → (128, 64); '' → (). For the command line, links and text inputs."""
    parts = split_values(text)
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(
            f"hidden must be neuron counts separated by commas, like '128,64' (or '' for none), got {text!r}"
        ) from None


def _check_layers(value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(w, int) and not isinstance(w, bool) for w in value):
        raise ConfigError(f"hidden must be a list of neuron counts like [128, 64], got {value!r}")
    if len(value) > MAX_LAYERS:
        raise ConfigError(f"hidden has {len(value)} layers; at most {MAX_LAYERS} are allowed")
    for i, width in enumerate(value, start=1):
        if not 1 <= width <= MAX_WIDTH:
            raise ConfigError(f"hidden layer {i} has {width} neurons; each layer needs 1 to {MAX_WIDTH}")


NEURONS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048)
PENALTIES = (0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0)
PATIENCE = (1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50)  # early stopping's suggested patience

SETTINGS: dict[str, Setting] = {s.name: s for s in [
    # --- data ---
    Setting("dataset", "choice", "Data set", "What the network learns from (the names of `python -m nnlab "
            "datasets`). MNIST is the course exercise.", "data", choices=_dataset_names),
    Setting("train_size", "int", "Training examples (0 = all)", "Keep only this many training examples (0 = all). "
            "Few examples and a big network: overfitting.", "data", low=0, high=10_000_000, step=100),
    Setting("validation_fraction", "float", "Validation share", "Held out from training, shuffled, to watch for "
            "overfitting each epoch.", "data", low=0.05, high=0.5, step=0.05),
    Setting("test_fraction", "float", "Test share", "Held out until the end: the honest final score (for data sets "
            "without a test split of their own).", "data", low=0.05, high=0.5, step=0.05),
    Setting("noise", "float", "Noise", "Synthetic sets: share of label noise, as the Playground's 0–50 %.", "data",
            low=0.0, high=0.5, step=0.05),
    Setting("samples", "int", "Points", "Synthetic sets: how many points to generate.", "data", low=50, high=20_000,
            suggested=(50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10_000, 20_000)),
    Setting("csv_path", "text", "CSV file", "Your own CSV file (use with --target; sets --dataset csv).", "data",
            flag="--csv", in_link=False),
    Setting("target", "text", "Column to predict", "The CSV column to predict; the other numeric columns are the "
            "inputs.", "data"),
    Setting("task", "choice", "Task", "CSV files: " + " ".join(TASKS.values()), "data", choices=TASKS),
    Setting("features", "several", "Inputs", "Playground's sets: what the network is given of each point "
            "(comma-separated: x1,x2,x1_squared,x2_squared,x1_x2,sin_x1,sin_x2). With x1_squared and x2_squared "
            "the circle needs no hidden layer.", "data", choices=features.choices),
    # --- network ---
    Setting("hidden", "layers", "Hidden layers", "Neurons per hidden layer, comma-separated: '128,64'; '' for no "
            "hidden layer.", "network", suggested=NEURONS),
    Setting("activation", "choice", "Activation", "Of the hidden neurons.", "network", choices=ACTIVATIONS),
    # --- training ---
    Setting("loss", "choice", "Loss", " ".join(LOSSES.values()), "training", choices=LOSSES),
    Setting("encoding", "choice", "Class encoding", " ".join(ENCODINGS.values()), "training", choices=ENCODINGS),
    Setting("optimizer", "choice", "Optimizer", "How the weights follow the gradient.", "training", choices=OPTIMIZERS),
    Setting("learning_rate", "float", "Learning rate", "The step size of gradient descent (log scale). Too small: "
            "slow. Too large: the loss jumps or explodes.", "training", low=0.0, high=100.0, low_open=True, flag="--lr",
            suggested=(1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 3e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 0.01, 0.02, 0.03, 0.05,
                       0.087, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0)),
    Setting("lr_schedule", "choice", "Learning-rate schedule", "How the learning rate changes from epoch to epoch. "
            + " ".join(LR_SCHEDULES.values()), "training", choices=LR_SCHEDULES),
    Setting("lr_decay", "float", "Decay factor", "Step and exponential schedules: the learning rate is multiplied by "
            "this every 'decay every' epochs.", "training", low=0.01, high=1.0,
            suggested=(0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)),
    Setting("lr_decay_epochs", "int", "Decay every (epochs)", "Step and exponential schedules: the epochs over which "
            "the learning rate shrinks by the decay factor once.", "training", low=1, high=1000,
            suggested=(1, 2, 3, 4, 5, 10, 15, 20, 30, 50, 100)),
    Setting("warmup_epochs", "int", "Warm-up epochs", "Start with a small learning rate and raise it in equal steps "
            "over this many epochs, then follow the schedule (0 = no warm-up).", "training", low=0, high=1000,
            suggested=(0, 1, 2, 3, 4, 5, 10, 20)),
    Setting("batch_size", "int", "Batch size", "Examples per gradient step: small batches, noisy but many steps.",
            "training", low=1, high=100_000,
            suggested=(1, 2, 4, 8, 10, 16, 32, 64, 100, 128, 256, 512, 1024, 2048, 4096)),
    Setting("epochs", "int", "Epochs", "Passes over the training data.", "training", low=1, high=1000,
            suggested=(1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1000)),
    Setting("early_stopping", "int", "Patience (epochs)", "Early stopping: stop when the validation loss has not "
            "improved for this many epochs and keep the best weights (0 = off).", "training", low=0, high=1000,
            suggested=PATIENCE),
    Setting("seed", "int", "Random seed", "Fixes the split, the initial weights, dropout and the batch order.",
            "training", low=0, high=2**31 - 1, step=1),
    # --- regularization ---
    Setting("dropout", "float", "Dropout", "Share of hidden neurons switched off at random in each step: fights "
            "overfitting.", "regularization", low=0.0, high=0.9, step=0.05),
    Setting("l2", "float", "L2 penalty", "Adds this × the sum of squared weights to the loss.", "regularization",
            low=0.0, high=1.0, suggested=PENALTIES),
    Setting("l1", "float", "L1 penalty", "Adds this × the sum of absolute weights: many become 0.", "regularization",
            low=0.0, high=1.0, suggested=PENALTIES),
    Setting("batch_norm", "bool", "Batch normalization", "Normalize each hidden layer's sums over the batch before "
            "the activation.", "regularization"),
]}


def offered(setting: Setting, value: Any) -> list:
    """A stepped control's values: the suggested ones plus the current value, so any valid value
    (from a link, a CLI run, a remedy) can be shown without the widget refusing it."""
    values = set(setting.suggested)
    if value is not None:
        values.add(value)
    return sorted(values)
