"""The verdict on a training history, in plain words, with the lecture's remedies.

`diagnose(history, ...)` reads only the per-epoch figures, so it works on live runs, saved runs and
crafted curves alike. `remedies(kind, config)` turns a verdict into concrete next settings.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from nnlab.jsonsafe import json_safe

KINDS = {
    "overfitting": "Overfitting",
    "underfitting": "Underfitting",
    "still_improving": "Still improving",
    "good_fit": "Good fit",
    "diverged": "Diverged / not learning",
    "no_data": "Not enough epochs",
}

# The lecture's remedies, by verdict.
LECTURE_REMEDIES = {
    "overfitting": [
        "Dropout: switch off a share of neurons at random while training.",
        "L2 regularization: penalize large weights.",
        "Batch normalization.",
        "Early stopping: stop at the best validation epoch.",
        "More training data (or a smaller network).",
    ],
    "underfitting": [
        "More layers or more neurons per layer.",
        "Train longer (more epochs).",
        "A better learning rate or optimizer (Adam).",
        "Check the features: can the inputs explain the target at all?",
    ],
    "still_improving": ["Train longer: the validation loss is still going down."],
    "diverged": [
        "Lower the learning rate (the lecture's 'gradient exploding').",
        "Use an adaptive optimizer such as Adam.",
        "Batch normalization keeps the layers' outputs in a sane range.",
    ],
    "good_fit": ["Try a little more capacity or fewer epochs and compare; keep the best run."],
    "no_data": ["Train for at least two epochs to get a verdict."],
}

OVERFIT_RISE = 0.10  # validation loss this much above its minimum (and by 2 % of the baseline) …
OVERFIT_EPOCHS = 2  # … for at least this many epochs after the best one
OVERFIT_GAP = 0.10  # or train accuracy (at least LOW_ACCURACY) this far above validation accuracy
LOW_ACCURACY = 0.90  # train accuracy below this is a poor fit …
LOW_R2 = 0.80  # … as is, for regression, a train loss above 1 − this (standardized targets)
IMPROVING = 0.02  # validation loss still falling by this share over the last epochs (and 1 % of baseline)
BLOW_UP = 1.5  # training loss this many times the know-nothing baseline means divergence
CHANCE_MARGIN = 0.02  # accuracy within this of chance counts as "stuck at chance"


@dataclass(frozen=True)
class Verdict:
    kind: str
    best_epoch: int  # epoch (1-based) with the lowest validation loss; 0 if none
    gap: float  # generalization gap at the last epoch: train − validation accuracy, or val − train loss
    gap_metric: str  # "accuracy" or "loss"
    explanation: str
    remedies: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["title"] = self.title
        data["gap"] = json_safe(self.gap)
        return data


def baseline_loss(loss: str, task: str, n_classes: int) -> float:
    """The loss of a network that knows nothing: uniform probabilities, or the mean value."""
    if task != "classification":
        return 1.0  # mean squared error of predicting the mean of standardized targets
    if loss == "mse":
        return (n_classes - 1) / n_classes**2  # softmax 1/k everywhere against a one-hot target
    return math.log(n_classes)


def diagnose(history: list[dict], *, task: str = "classification", chance: float | None = None,
             baseline: float | None = None) -> Verdict:
    """Read a history (dicts with loss, val_loss and accuracy/val_accuracy or mae/val_mae)."""
    classify = task == "classification"
    gap_metric = "accuracy" if classify else "loss"
    if not history:
        return _verdict("no_data", 0, math.nan, gap_metric, "No epoch has finished yet.")
    loss = np.array([_num(h.get("loss")) for h in history])
    val = np.array([_num(h.get("val_loss")) for h in history])
    acc = np.array([_num(h.get("accuracy")) for h in history]) if classify else None
    val_acc = np.array([_num(h.get("val_accuracy")) for h in history]) if classify else None
    n = len(history)
    finite_val = np.where(np.isfinite(val), val, np.inf)
    best = int(finite_val.argmin()) + 1 if np.isfinite(finite_val).any() else 0
    gap = float(acc[-1] - val_acc[-1]) if classify else float(val[-1] - loss[-1])

    # 1. Diverged: the loss is not a number, blew up, or accuracy never left chance.
    bad = np.flatnonzero(~np.isfinite(loss) | ~np.isfinite(val))
    if bad.size:
        return _verdict("diverged", best, gap, gap_metric,
                        f"The loss became infinite or not a number at epoch {bad[0] + 1}: the steps were so large "
                        "that the weights blew up (the lecture's 'gradient exploding').")
    if baseline is not None and loss[-1] > BLOW_UP * baseline and loss[-1] >= loss.min():
        return _verdict("diverged", best, gap, gap_metric,
                        f"The training loss ends at {loss[-1]:.3g}, worse than a network that knows nothing "
                        f"({baseline:.3g}): the steps overshoot the minimum and the loss blows up.")
    at_chance = classify and chance is not None and n >= 5 and np.all(acc[1:] <= chance + CHANCE_MARGIN) \
        and np.all(val_acc[1:] <= chance + CHANCE_MARGIN)
    # A slow start is not divergence: at chance it must also be flat or clearly worse than the baseline.
    flat = (loss[1] - loss[-1]) < 0.02 * abs(loss[1]) if n >= 3 else False
    if at_chance and (flat or (baseline is not None and loss[-1] > 1.2 * baseline)):
        return _verdict("diverged", best, gap, gap_metric,
                        f"Accuracy is stuck at chance ({chance:.0%}) after the first epoch: the network is not "
                        "learning — often a learning rate so high that every neuron has died or saturated.")
    if n < 2:
        return _verdict("no_data", best, gap, gap_metric, "One epoch is too few to see a trend; train for more.")

    # 2. Overfitting: validation gets worse while training gets better, or a wide gap.
    rise = val[-1] - val[best - 1]
    meaningful = max(OVERFIT_RISE * abs(val[best - 1]), 0.02 * baseline if baseline else 0.0)
    rising = rise > meaningful and n - best >= OVERFIT_EPOCHS and loss[-1] < loss[best - 1]
    wide_gap = classify and gap > OVERFIT_GAP and acc[-1] >= LOW_ACCURACY  # it must fit the training data
    if rising or wide_gap:
        detail = (f"the validation loss was lowest at epoch {best} ({val[best - 1]:.3g}) and has risen to "
                  f"{val[-1]:.3g} while the training loss kept falling" if rising else
                  f"training accuracy ({acc[-1]:.1%}) is far above validation accuracy ({val_acc[-1]:.1%})")
        return _verdict("overfitting", best, gap, gap_metric,
                        f"The network memorizes the training examples instead of learning what generalizes: {detail}.")

    # 3. Still improving / underfitting: how well does it fit the training data, and is it still learning?
    k = max(1, min(3, n // 3))  # the recent trend: the last third of the run, at most 3 epochs
    improvement = (val[-k - 1] - val[-1]) / max(abs(val[-k - 1]), 1e-12)
    drop = val[-k - 1] - val[-1]
    improving = improvement > IMPROVING and drop > (0.01 * baseline if baseline else 0.0) and best >= n - 1
    poor = acc[-1] < LOW_ACCURACY if classify else loss[-1] > 1 - LOW_R2
    fit_text = f"training accuracy {acc[-1]:.1%}" if classify else f"training loss {loss[-1]:.3g} (1.0 = guessing the mean)"
    if poor and not improving:
        return _verdict("underfitting", best, gap, gap_metric,
                        f"The network does not fit even the training data well ({fit_text}) and has stopped "
                        "improving: it is too simple for the task, or training is held back.")
    if improving:
        return _verdict("still_improving", best, gap, gap_metric,
                        f"The validation loss fell {improvement:.0%} over the last {k} epoch(s) and is still at its "
                        f"best ({fit_text}): more epochs will likely help.")
    return _verdict("good_fit", best, gap, gap_metric,
                    f"Training and validation agree (gap {abs(gap):.3g}) and the curves have levelled off ({fit_text}).")


def _verdict(kind, best, gap, gap_metric, explanation) -> Verdict:
    return Verdict(kind, best, float(gap), gap_metric, explanation, list(LECTURE_REMEDIES[kind]))


@dataclass(frozen=True)
class Remedy:
    """One concrete next step: a sentence and the settings it changes."""

    text: str
    changes: dict


def remedies(kind: str, config) -> list[Remedy]:
    """The lecture's remedies as settings to try next, skipping what the run already does."""
    out: list[Remedy] = []
    add = lambda text, **changes: out.append(Remedy(text, changes))  # noqa: E731
    wider = tuple(min(2048, w * 2) for w in config.hidden)
    if kind == "overfitting":
        if config.dropout < 0.3:
            add("Try dropout 0.3.", dropout=0.3)
        if config.l2 < 1e-4:
            add("Add an L2 penalty of 0.0001.", l2=0.0001)
        if not config.early_stopping:
            add("Turn on early stopping (patience 3).", early_stopping=3)
        if config.train_size:
            add("Use all the training data.", train_size=0)
        if not config.batch_norm and config.hidden:
            add("Turn on batch normalization.", batch_norm=True)
        if config.hidden and max(config.hidden) > 8:
            add("Halve the neurons per layer.", hidden=tuple(max(1, w // 2) for w in config.hidden))
    elif kind == "underfitting":
        if not config.hidden:
            add("Add a hidden layer of 16 neurons.", hidden=(16,))
        else:
            add(f"Double the neurons: {list(wider)}.", hidden=wider)
            if len(config.hidden) < 10:
                add("Add one more hidden layer.", hidden=(*config.hidden, config.hidden[-1]))
        add(f"Train longer: {min(1000, config.epochs * 2)} epochs.", epochs=min(1000, config.epochs * 2))
        if config.optimizer in ("sgd", "sgd_momentum", "adagrad"):
            add("Switch to Adam with learning rate 0.001.", optimizer="adam", learning_rate=0.001)
        if config.loss == "mse" and config.dataset != "csv":
            add("Use cross-entropy, the loss made for softmax outputs.", loss="cross_entropy")
        if config.activation in ("linear", "sigmoid"):
            add("Use ReLU in the hidden layers.", activation="relu")
    elif kind == "still_improving":
        add(f"Train longer: {min(1000, config.epochs * 2)} epochs.", epochs=min(1000, config.epochs * 2))
    elif kind == "diverged":
        lower = float(f"{config.learning_rate / 10:.3g}")
        if lower > 0:
            add(f"Lower the learning rate ten times, to {lower:g}.", learning_rate=lower)
        if config.optimizer != "adam":
            add("Switch to Adam with learning rate 0.001.", optimizer="adam", learning_rate=0.001)
        if not config.batch_norm and config.hidden:
            add("Turn on batch normalization.", batch_norm=True)
    return out


def _num(value) -> float:
    return math.nan if value is None else float(value)
