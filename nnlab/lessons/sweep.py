"""One-knob sweeps: a base RunConfig and a list of values for one setting → one config per value."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

from nnlab.config.run_config import ACTIVATIONS, OPTIMIZERS, RunConfig
from nnlab.core.errors import ConfigError
from nnlab.config.settings import split_values

MAX_VALUES = 12


@dataclass(frozen=True)
class Knob:
    title: str
    suggested: str  # the values offered first, as the user would type them
    parse: Callable[[str], object]
    apply: Callable[[RunConfig, object], RunConfig]
    log_scale: bool = False  # plot the results against the value on a log axis


def _set(name: str):
    return lambda config, value: dataclasses.replace(config, **{name: value})


def _width(config: RunConfig, value: int) -> RunConfig:
    return dataclasses.replace(config, hidden=(value,) * max(1, len(config.hidden)))


def _depth(config: RunConfig, value: int) -> RunConfig:
    return dataclasses.replace(config, hidden=(config.hidden[0] if config.hidden else 32,) * value)


def _choice(options) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"not one of {', '.join(options)}")
        return text
    return parse


KNOBS = {
    "learning_rate": Knob("Learning rate", "0.0001, 0.001, 0.01, 0.1, 1", float, _set("learning_rate"), log_scale=True),
    "dropout": Knob("Dropout", "0, 0.2, 0.4, 0.6", float, _set("dropout")),
    "neurons": Knob("Neurons per hidden layer", "4, 16, 64, 256", int, _width, log_scale=True),
    "layers": Knob("Hidden layers", "0, 1, 2, 3", int, _depth),
    "batch_size": Knob("Batch size", "8, 32, 128, 512", int, _set("batch_size"), log_scale=True),
    "epochs": Knob("Epochs", "2, 5, 10, 20", int, _set("epochs")),
    "l2": Knob("L2 penalty", "0, 0.0001, 0.001, 0.01", float, _set("l2")),
    "train_size": Knob("Training examples", "500, 2000, 10000, 0", int, _set("train_size")),
    "activation": Knob("Activation", "relu, sigmoid, tanh, linear", _choice(ACTIVATIONS), _set("activation")),
    "optimizer": Knob("Optimizer", "sgd, sgd_momentum, adam, rmsprop", _choice(OPTIMIZERS), _set("optimizer")),
}


def sweep_configs(base: RunConfig, knob: str, text: str) -> list[tuple[object, RunConfig]]:
    """'0.001, 0.01' → [(0.001, config), (0.01, config)]; a ConfigError names any bad value."""
    spec = KNOBS[knob]
    parts = split_values(text)
    if not parts:
        raise ConfigError(f"give one or more values for {spec.title.lower()}, separated by commas, e.g. {spec.suggested}")
    if len(parts) > MAX_VALUES:
        raise ConfigError(f"{len(parts)} values is too many for one sweep; at most {MAX_VALUES}")
    out = []
    for part in parts:
        try:
            value = spec.parse(part)
        except ValueError as error:
            raise ConfigError(f"{spec.title.lower()} value {part!r} cannot be used: {error}") from None
        try:
            out.append((value, spec.apply(base, value)))
        except ConfigError as error:
            raise ConfigError(f"{spec.title.lower()} value {part!r} cannot be used: {error}") from None
    if len({value for value, _ in out}) < len(out):
        raise ConfigError(f"a value appears twice in {text!r}")
    return out


def sweep_table(results: list[tuple[object, list[dict], dict]], knob: str, metric: str):
    """One row per swept value: the last epoch's figures and the test figure."""
    import pandas as pd

    rows = []
    for value, history, test in results:
        last = history[-1]
        rows.append({knob: value, f"validation {metric}": last.get(f"val_{metric}"), f"train {metric}": last.get(metric),
                     "validation loss": last.get("val_loss"), f"test {metric}": test.get(metric), "epochs": len(history)})
    return pd.DataFrame(rows)
