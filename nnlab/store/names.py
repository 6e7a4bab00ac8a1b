"""A run named by what makes it different: "784-256-256 · dropout 0.3 · Adam 1e-3".

The layers first (with the input size where the data set fixes it), then every setting that differs
from the defaults, short, then the optimizer and its learning rate (always: they are what students
change most). Runs the user named keep their name; this is only the default.
"""
from __future__ import annotations

import re
from datetime import datetime

from nnlab.config.run_config import DEFAULT, RunConfig
from nnlab.data.datasets import dataset_info
from nnlab.config.settings import shown

OPTIMIZER_NAMES = {"sgd": "SGD", "sgd_momentum": "SGD + momentum", "adam": "Adam", "adamw": "AdamW",
                   "rmsprop": "RMSprop", "adagrad": "Adagrad", "nadam": "Nadam", "lion": "Lion"}
# How a setting that differs from its default is written; settings not listed are written "name value".
SHORT = {
    "activation": lambda v: v,
    "dropout": lambda v: f"dropout {v:g}",
    "l2": lambda v: f"L2 {_number(v)}",
    "l1": lambda v: f"L1 {_number(v)}",
    "batch_norm": lambda v: "batch norm" if v else "no batch norm",
    "loss": lambda v: {"mse": "MSE loss", "cross_entropy": "cross-entropy"}.get(v, v),
    "encoding": lambda v: f"{v.replace('_', '-')} labels",
    "batch_size": lambda v: f"batch {v}",
    "epochs": lambda v: f"{v} epochs",
    "early_stopping": lambda v: f"early stop {v}" if v else "no early stop",
    "train_size": lambda v: f"{v:,} examples" if v else "all examples",
    "noise": lambda v: f"noise {v:g}",
    "samples": lambda v: f"{v:,} points",
    "validation_fraction": lambda v: f"validation {v:.0%}",
    "test_fraction": lambda v: f"test {v:.0%}",
    "seed": lambda v: f"seed {v}",
    "features": lambda v: "inputs " + " ".join(shown("features", v).split(", ")),
}
# Said elsewhere in the name (layers, optimizer) or by the run's data set column.
NOT_NAMED = ("dataset", "csv_path", "target", "task", "hidden", "optimizer", "learning_rate")


def run_name(config: RunConfig) -> str:
    """What makes this run different, in a few words."""
    parts = [_layers(config)]
    for name, value in config.to_dict().items():
        if name in NOT_NAMED or getattr(config, name) == getattr(DEFAULT, name):
            continue
        parts.append(SHORT[name](value) if name in SHORT else f"{name.replace('_', ' ')} {shown(name, value)}")
    parts.append(f"{OPTIMIZER_NAMES.get(config.optimizer, config.optimizer)} {_number(config.learning_rate)}")
    return " · ".join(parts)


def file_stem(config: RunConfig, created: datetime) -> str:
    """A run's downloads named after it: 'mnist-784-128-adam-1e-3-20261126-0102'."""
    words = re.sub(r"[^a-z0-9.+-]+", "-", f"{config.dataset} {run_name(config)}".lower()).strip("-")
    return f"{re.sub(r'-{2,}', '-', words)}-{created:%Y%m%d-%H%M}"


def _layers(config: RunConfig) -> str:
    """'784-256-256': the inputs where the data set fixes them (images), then each hidden layer."""
    if not config.hidden:
        return "no hidden layer"
    widths = "-".join(map(str, config.hidden))
    shape = dataset_info(config.dataset).image_shape if config.dataset != "csv" else None
    return f"{shape[0] * shape[1]}-{widths}" if shape else f"hidden {widths}"


def _number(value: float) -> str:
    """1e-3 for a power of ten below 0.01, 0.087 otherwise: as people write learning rates."""
    mantissa, exponent = f"{value:.0e}".split("e")
    if 0 < value < 0.01 and float(f"{value:.0e}") == value:
        return f"{mantissa}e{int(exponent)}"
    return f"{value:g}"
