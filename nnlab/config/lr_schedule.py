"""The learning rate of each epoch: constant, step decay, exponential decay or cosine, after an
optional linear warm-up; and a rate changed by hand during a run.

Per epoch, as Keras' `LearningRateScheduler` callback sets it (nnlab/export/keras_script.py writes these
formulas out as one, for plain `model.fit`): the Trainer puts each epoch's rate into the optimizer
before the epoch, so the rate in the history is the one the epoch trained with. A rate changed during a run
(`LearningRatePlan.set_from`) replaces the schedule from that epoch on, as a constant.
No TensorFlow here: pages draw the planned rates before TensorFlow is imported.
"""
from __future__ import annotations

import math


def scheduled_rate(config, epoch: int) -> float:
    """The rate `config`'s schedule gives epoch `epoch` (1 = the first). With w warm-up epochs,
    epoch k ≤ w trains at rate · k / (w + 1); the schedule starts at the full rate after them,
    counting t = 0, 1, … from there: step rate · decay^⌊t / n⌋, exponential rate · decay^(t / n)
    (n = lr_decay_epochs), cosine rate · ½ (1 + cos(π t / T)) over the T = epochs − w epochs left."""
    rate, warmup = config.learning_rate, config.warmup_epochs
    if epoch <= warmup:
        return rate * epoch / (warmup + 1)
    t = epoch - warmup - 1
    if config.lr_schedule == "step":
        return rate * config.lr_decay ** (t // config.lr_decay_epochs)
    if config.lr_schedule == "exponential":
        return rate * config.lr_decay ** (t / config.lr_decay_epochs)
    if config.lr_schedule == "cosine":
        return rate * 0.5 * (1 + math.cos(math.pi * t / max(1, config.epochs - warmup)))
    return rate


def planned_rates(config) -> list[dict]:
    """One row per planned epoch: {"epoch", "learning_rate"} (for the learning-rate chart)."""
    return [{"epoch": epoch, "learning_rate": scheduled_rate(config, epoch)} for epoch in range(1, config.epochs + 1)]


class LearningRatePlan:
    """The rate of each epoch of one run: the schedule, until a rate is set by hand."""

    def __init__(self, config):
        self.config = config
        self.changes: dict[int, float] = {}  # epoch → rate set by hand from that epoch on

    def set_from(self, epoch: int, rate: float) -> None:
        """Train at `rate` from `epoch` on (a later change set earlier no longer counts)."""
        self.changes = {e: r for e, r in self.changes.items() if e < epoch}
        self.changes[epoch] = float(rate)

    def at(self, epoch: int) -> float:
        set_before = [e for e in self.changes if e <= epoch]
        return self.changes[max(set_before)] if set_before else scheduled_rate(self.config, epoch)

    def follow(self, row: dict) -> bool:
        """Read one history row, in epoch order: True when its recorded rate is not the one planned (set by
        hand from its epoch on: the plan follows it from there)."""
        recorded = row.get("learning_rate")
        if recorded is None or not math.isfinite(recorded):
            return False
        epoch = int(row["epoch"])
        if math.isclose(recorded, self.at(epoch), rel_tol=1e-5):  # rates are kept as float32
            return False
        self.set_from(epoch, recorded)
        return True


def changed_epochs(config, history: list[dict]) -> list[int]:
    """The epochs where a rate set by hand took over, read back from a history's learning_rate
    column: where the recorded rate is not the one the schedule (or the last change) gives."""
    plan = LearningRatePlan(config)
    return [int(row["epoch"]) for row in history if plan.follow(row)]

