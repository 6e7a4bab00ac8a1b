"""What to try next after a verdict: the lecture's remedies, and concrete next settings for a run.

`remedies(kind, config)` turns a verdict's kind into settings to try, skipping what the run already
does; `plan_for` ranks them across every finding of a verdict (the verdict's own kind first);
`lecture_marks` marks which of the lecture's remedies a run already uses.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nnlab.verdict.findings import Finding

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
    longer = min(1000, config.epochs * 2)
    adaptive = config.optimizer in ("adam", "adamw", "nadam", "rmsprop", "lion")
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
        add(f"Train longer: {longer} epochs.", epochs=longer)
        if not adaptive:
            add("Switch to Adam with learning rate 0.001.", optimizer="adam", learning_rate=0.001)
        if config.loss == "mse" and config.dataset != "csv":
            add("Use cross-entropy, the loss made for softmax outputs.", loss="cross_entropy")
        if config.activation in ("linear", "sigmoid"):
            add("Use ReLU in the hidden layers.", activation="relu")
    elif kind == "still_improving":
        add(f"Train longer: {longer} epochs.", epochs=longer)
    elif kind == "diverged":
        lower = float(f"{config.learning_rate / 10:.3g}")
        if lower > 0:
            add(f"Lower the learning rate to about 1/10, {lower:g}.", learning_rate=lower)
        if config.optimizer != "adam":
            add("Switch to Adam with learning rate 0.001.", optimizer="adam", learning_rate=0.001)
        if not config.batch_norm and config.hidden:
            add("Turn on batch normalization.", batch_norm=True)
    return out


def plan_for(kind: str, findings: list[Finding], evidence: dict, config) -> list[Remedy]:
    """Ranked next steps for this run: the verdict's own first, then those of the other findings
    (e.g. "train longer, then a wider network"), without repeats, without what the run already does."""
    config = _as_it_ended(config, evidence)
    steps: list[Remedy] = []
    kinds = [kind] + [f.kind for f in findings if f.kind in LECTURE_REMEDIES and f.kind != kind]
    if "spike" in (f.kind for f in findings):
        kinds.append("diverged")  # a spike it recovered from: a lower rate is worth a try, last
    for each in kinds:
        options = remedies(each, config)
        if each == "underfitting" and config.optimizer == "sgd" and config.learning_rate <= 0.01 \
                and evidence.get("trend_per_epoch", 0) < 0:
            raised = float(f"{config.learning_rate * 10:.3g}")
            options.insert(0, Remedy(f"Raise the learning rate ten times, to {raised:g}: the loss falls, but slowly.",
                                     {"learning_rate": raised}))
        if each == "diverged" and evidence.get("not_learning"):
            options = _wake_up(config)
        if each == "overfitting" and evidence.get("onset_epoch") and not config.early_stopping:
            options.sort(key=lambda r: "early_stopping" not in r.changes)  # the best epoch is known: stop there
        for step in options:
            if all(step.changes != s.changes for s in steps):
                steps.append(step)
    return steps


def _as_it_ended(config, evidence: dict):
    """The run's settings with the learning rate it last trained at, when one was set by hand mid-run
    (diagnose's evidence "learning_rate_set"): "lower it to 1/10" is a tenth of that rate, not of the first."""
    rate = evidence.get("learning_rate_set")
    if isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0:
        return dataclasses.replace(config, learning_rate=float(f"{rate:.3g}"))
    return config


def _wake_up(config) -> list[Remedy]:
    """Next steps for a run that never blew up yet learns nothing: bigger steps, a livelier network."""
    steps = []
    if _rate_too_high(config):
        lower = float(f"{config.learning_rate / 10:.3g}")
        steps.append(Remedy(f"Lower the learning rate to about 1/10, {lower:g}: steps this big saturate the neurons.",
                            {"learning_rate": lower}))
    if config.optimizer not in ("adam", "adamw", "nadam", "rmsprop", "lion") and config.learning_rate <= 0.01:
        raised = float(f"{config.learning_rate * 10:.3g}")
        steps.append(Remedy(f"Raise the learning rate ten times, to {raised:g}: the steps are too small to learn.",
                            {"learning_rate": raised}))
    if config.optimizer != "adam":
        steps.append(Remedy("Switch to Adam with learning rate 0.001.", {"optimizer": "adam", "learning_rate": 0.001}))
    if config.activation in ("sigmoid", "tanh", "linear") and config.hidden:
        steps.append(Remedy("Use ReLU in the hidden layers.", {"activation": "relu"}))
    return steps


def _rate_too_high(config) -> bool:
    adaptive = config.optimizer in ("adam", "adamw", "nadam", "rmsprop", "lion", "adagrad")
    return config.learning_rate >= (0.01 if adaptive else 1.0)


def plan(verdict, config) -> list[Remedy]:
    """`Verdict.next_steps` for a verdict made without a config (e.g. a saved run's)."""
    return plan_for(verdict.kind, verdict.findings, verdict.evidence, config)


_IN_USE = {  # a lecture remedy → whether a config already does it
    "Dropout": lambda c: c.dropout > 0,
    "L2 regularization": lambda c: c.l2 > 0,
    "Batch normalization": lambda c: c.batch_norm,
    "Early stopping": lambda c: c.early_stopping > 0,
    "More training data": lambda c: not c.train_size,
    "A better learning rate or optimizer (Adam)": lambda c: c.optimizer in ("adam", "adamw", "nadam"),
    "Use an adaptive optimizer such as Adam": lambda c: c.optimizer in ("adam", "adamw", "nadam", "rmsprop"),
}


def lecture_marks(kind: str, config) -> list[dict]:
    """The lecture's remedies for a kind, each marked with whether this run already uses it."""
    return [{"text": text, "in_use": any(text.startswith(name) and used(config) for name, used in _IN_USE.items())}
            for text in LECTURE_REMEDIES[kind]]
