"""The four things a training curve can show, each found with the numbers behind it.

blow-up (a loss not a number, far above a network that knows nothing, or stuck at chance after a
spike), overfitting (validation loss risen from its best, beyond the epoch-to-epoch noise, while the
training loss falls), still improving (validation loss still falling faster than its noise), and
underfitting (a poor fit against what the data set allows). `nnlab.verdict.diagnose` weighs them into a verdict.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnlab.verdict.reference import Reference

BLOW_UP = 3.0  # a training loss this many times the know-nothing baseline, at any epoch, is a blow-up
ENDS_WORSE = 1.5  # … as is ending this far above it
WORSENING = 1.25  # or a training loss (and validation loss) this many times its lowest at the end
RECOVERED = 0.5  # after a blow-up a regression must end below this share of the know-nothing loss
CHANCE_MARGIN = 0.02  # accuracy within this of chance counts as "stuck at chance"
STEADY_FALL = 2e-4  # … unless the loss falls every epoch, by at least this share at the last: slow, but learning
OVERFIT_RISE = 0.10  # validation loss risen this share above its best (and beyond NOISE_TIMES its noise) …
NOISE_TIMES = 3.0
TINY = 0.005  # … and by more than this share of the know-nothing loss (wiggles of a tiny loss are nothing)
OVERFIT_EPOCHS = 2  # … in each of the last this many epochs
OVERFIT_GAP = 0.10  # or train accuracy (at least LOW_ACCURACY) this far above validation accuracy
OVERFIT_LOSS_GAP = 0.05  # or, for regression, validation loss this far (and twice) above the training loss
IMPROVING_RATE = 0.005  # validation loss falling at least this share per epoch at the end …
IMPROVING_ACCURACY = 0.003  # … or validation accuracy climbing this much per epoch (0.3 points) …
IMPROVING_CERTAINTY = 2.0  # … by this many standard errors of its slope
TREND_EPOCHS = (3, 10)  # the trend is read over the last quarter of the run, within these bounds
LOW_ACCURACY = 0.90  # with no reference: a fit below this accuracy is poor …
LOW_R2 = 0.80  # … as is, for regression, a loss above 1 − this (standardized targets)
SHORT_OF_REFERENCE = (0.03, 0.3)  # poor: below the reference by the larger of 3 points and 30 % of its error
STALL_EPOCHS, STALL_FALL = 5, 1.25  # or no better validation loss for this long while training loss fell this much
LIVE_RISE = 0.20  # live: validation loss this far above its best, for LIVE_EPOCHS epochs in a row
LIVE_EPOCHS = 3


@dataclass(frozen=True)
class Finding:
    kind: str  # a key of KINDS, or a note beside them: "spike" (a blow-up it recovered from), "reference"
    text: str  # one sentence with the numbers behind it


@dataclass
class Curves:
    """The history as arrays, with what every finding needs."""

    loss: np.ndarray
    val: np.ndarray
    acc: np.ndarray | None
    val_acc: np.ndarray | None
    classify: bool
    chance: float | None
    baseline: float | None

    @property
    def n(self) -> int:
        return len(self.loss)


def curves(history, task, chance, baseline) -> Curves:
    classify = task == "classification"
    column = lambda key: np.array([number(h.get(key)) for h in history])  # noqa: E731
    return Curves(column("loss"), column("val_loss"), column("accuracy") if classify else None,
                   column("val_accuracy") if classify else None, classify, chance, baseline)


# --- findings ---------------------------------------------------------------------------------

def find_blow_up(c: Curves, evidence: dict) -> Finding | None:
    """A blow-up the run did not recover from (not a number, far above knowing nothing, training that
    gets worse, stuck at chance after a spike), or a run that learns nothing at all."""
    bad = np.flatnonzero(~np.isfinite(c.loss) | ~np.isfinite(c.val))
    if bad.size:
        evidence["blow_up_epoch"] = int(bad[0]) + 1
        return Finding("diverged", f"The loss became infinite or not a number at epoch {bad[0] + 1}: the steps were so "
                                   "large that the weights blew up (the lecture's 'gradient exploding').")
    if not c.baseline:
        return None
    peak = int(c.loss.argmax())
    spiked = c.loss[peak] > BLOW_UP * c.baseline
    ends_worse = c.loss[-1] > ENDS_WORSE * c.baseline and c.loss[-1] >= 0.5 * c.loss.max()
    above_chance = c.classify and c.chance is not None and max(c.acc[-1], c.val_acc[-1]) > c.chance + 0.1
    recovered = above_chance and c.loss[-1] < c.baseline if c.classify else c.loss[-1] < RECOVERED * c.baseline
    if spiked and recovered:
        evidence.update(spike_epoch=peak + 1, spike_loss=float(c.loss[peak]))
    if (spiked and not recovered) or ends_worse:
        evidence.update(blow_up_epoch=peak + 1, blow_up_loss=float(c.loss[peak]))
        return Finding("diverged", f"The training loss reached {c.loss[peak]:.3g} at epoch {peak + 1}, "
                                   f"{c.loss[peak] / c.baseline:.0f}× that of a network that knows nothing "
                                   f"({c.baseline:.3g}), and ends at {c.loss[-1]:.3g}{chance_text(c)}: the steps "
                                   "overshoot the minimum and the loss blows up.")
    low = int(c.loss.argmin())
    if low <= c.n - 3 and c.loss[-1] > WORSENING * c.loss[low] and c.loss[-1] - c.loss[low] > 0.1 * c.baseline \
            and c.val[-1] > WORSENING * np.nanmin(c.val):
        evidence.update(blow_up_epoch=low + 2, worsening=float(c.loss[-1] / c.loss[low] - 1))
        return Finding("diverged", f"The training loss itself has risen from {c.loss[low]:.3g} at epoch {low + 1} to "
                                   f"{c.loss[-1]:.3g}, and the validation loss with it: the steps overshoot the "
                                   "minimum, so training gets worse — the learning rate is too high.")
    if not c.classify or c.chance is None or c.n < 3:
        return None
    recent = max(3, c.n // 2)
    stuck = np.all(c.acc[-recent:] <= c.chance + CHANCE_MARGIN) and np.all(c.val_acc[-recent:] <= c.chance + CHANCE_MARGIN)
    half = c.n // 2
    flat = c.n >= 5 and (c.loss[half] - c.loss[-1]) < 0.02 * abs(c.loss[half])  # a slow start still falls
    # Slow but steady is learning (a tiny learning rate: underfitting or still improving, not "not learning"):
    # both losses fell in every recent epoch, the last fall still measurable. A dead network's loss settles.
    falls = np.diff(c.loss[-recent:]), np.diff(c.val[-recent:])
    steady = all(np.all(fall < 0) for fall in falls) and (c.loss[-2] - c.loss[-1]) > STEADY_FALL * abs(c.loss[-1])
    if stuck and c.loss.max() > ENDS_WORSE * c.baseline:
        evidence.update(blow_up_epoch=peak + 1, blow_up_loss=float(c.loss[peak]))
        return Finding("diverged", f"The training loss jumped to {c.loss[peak]:.3g} at epoch {peak + 1} "
                                   f"({c.loss[peak] / c.baseline:.1f}× that of a network that knows nothing) and "
                                   f"accuracy has been stuck at chance ({c.chance:.0%}) for the last {recent} epochs: "
                                   "the steps overshot and every neuron has died or saturated.")
    if stuck and flat and not steady:
        evidence.update(not_learning=True, loss_change=float(c.loss[-1] / c.loss[half] - 1))
        return Finding("diverged", f"Not learning: accuracy is stuck at chance ({c.chance:.0%}) for the last {recent} "
                                   f"epochs and the loss hardly moves ({c.loss[half]:.3g} → {c.loss[-1]:.3g} since epoch "
                                   f"{half + 1}), without ever blowing up: the steps are far too small, or the neurons "
                                   "are dead or saturated.")
    return None


def find_overfitting(c: Curves, best: int, noise: float, evidence: dict) -> Finding | None:
    since = c.n - best
    lowest = c.val[best - 1]
    rise = float(min(c.val[-OVERFIT_EPOCHS:]) / lowest - 1) if since >= OVERFIT_EPOCHS and lowest > 0 else 0.0
    threshold = math.expm1(max(math.log1p(OVERFIT_RISE), NOISE_TIMES * noise))  # the noise is measured in logs
    absolute = (c.val[-1] - lowest) > (TINY * c.baseline if c.baseline else 0.0)
    train_fall = float(c.loss[best - 1] / c.loss[-1]) if c.loss[-1] > 0 else math.inf
    rising = since >= OVERFIT_EPOCHS and rise > threshold and absolute and train_fall > 1
    # A long stall: no better validation loss for a quarter of the run while the training loss keeps falling.
    stalled = since >= max(STALL_EPOCHS, c.n // 4) and train_fall >= STALL_FALL and c.val[-1] > STALL_FALL * c.loss[-1]
    gap = float(c.acc[-1] - c.val_acc[-1]) if c.classify else math.nan
    if c.classify:
        wide_gap = gap > OVERFIT_GAP and c.acc[-1] >= LOW_ACCURACY
    else:  # a validation loss many times the training loss, by a share of the target's variance that matters
        gap = float(c.val[-1] - c.loss[-1])
        wide_gap = gap > OVERFIT_LOSS_GAP and c.val[-1] > 2 * c.loss[-1]
    if rising:
        evidence.update(onset_epoch=best + 1, val_rise=float(c.val[-1] / lowest - 1), train_fall=train_fall)
        return Finding("overfitting", f"The validation loss was lowest at epoch {best} ({lowest:.3g}) and has risen "
                                      f"{c.val[-1] / lowest - 1:.0%} since (to {c.val[-1]:.3g}), while the training "
                                      f"loss fell {train_fall:.1f}-fold: the network memorizes the training examples "
                                      "instead of learning what generalizes.")
    if stalled:
        evidence.update(onset_epoch=best + 1, val_rise=float(c.val[-1] / lowest - 1), train_fall=train_fall)
        return Finding("overfitting", f"The validation loss has not improved since epoch {best} ({lowest:.3g}), "
                                      f"{since} epochs ago (now {c.val[-1]:.3g}), while the training loss fell "
                                      f"{train_fall:.1f}-fold to {c.loss[-1]:.3g}: the network has begun to memorize "
                                      "the training examples; more epochs will not help.")
    if wide_gap:
        evidence.update(generalization_gap=gap)
        far = (f"Training accuracy ({c.acc[-1]:.1%}) is far above validation accuracy ({c.val_acc[-1]:.1%})"
               if c.classify else f"The validation loss ({c.val[-1]:.3g}) is {c.val[-1] / max(c.loss[-1], 1e-12):.0f}× "
                                  f"the training loss ({c.loss[-1]:.3g})")
        return Finding("overfitting", f"{far}: the network memorizes the training examples instead of learning what "
                                      "generalizes.")
    return None


def find_still_improving(c: Curves, best: int, noise: float, evidence: dict) -> Finding | None:
    k = min(max(TREND_EPOCHS[0], c.n // 4), TREND_EPOCHS[1], c.n - 1)
    recent = np.log(np.maximum(c.val[-k - 1:], 1e-12))
    t = np.arange(k + 1, dtype=float)
    slope, intercept = np.polyfit(t, recent, 1) if k >= 1 else (0.0, 0.0)
    rate = float(math.expm1(slope))  # relative change of the validation loss per epoch
    if k >= 2:
        residual = recent - (slope * t + intercept)
        stderr = float(np.sqrt(residual @ residual / (k - 1) / ((t - t.mean()) @ (t - t.mean()))))
    else:
        stderr = 0.0
    evidence.update(trend_epochs=k, trend_per_epoch=rate, trend_stderr=stderr)
    if c.classify:
        evidence["val_accuracy_per_epoch"] = float(np.polyfit(t, c.val_acc[-k - 1:], 1)[0])
        evidence["accuracy_per_epoch"] = float(np.polyfit(t, c.acc[-k - 1:], 1)[0])
    at_best = best >= c.n - 1 or c.val[-1] <= c.val[best - 1] * (1 + noise)
    # Still falling at the very end, not only over a window that holds an early drop and a plateau.
    late = recent[len(recent) // 2:]
    late_rate = float(math.expm1(np.polyfit(np.arange(len(late)), late, 1)[0])) if len(late) >= 2 else rate
    # … and by an amount that matters: a near-perfect loss creeping lower has nothing left to give.
    matters = c.val[-k - 1] - c.val[-1] > (TINY * c.baseline if c.baseline else 0.0)
    if c.classify and np.all(c.val_acc[-k - 1:] >= 1.0):
        matters = False  # every validation example right all along: only the confidence still grows
    # A loss near the know-nothing level falls slowly in relative terms: a steady climb of accuracy counts too.
    # (training accuracy too: a small validation set moves in coarse steps)
    climbing = c.classify and max(evidence["val_accuracy_per_epoch"], evidence["accuracy_per_epoch"]) >= IMPROVING_ACCURACY
    if (-rate >= IMPROVING_RATE or climbing) and -late_rate >= IMPROVING_RATE / 2 \
            and -slope > IMPROVING_CERTAINTY * stderr and at_best and matters:
        accuracy = (f", validation accuracy {evidence['val_accuracy_per_epoch'] * 100:+.2f} points per epoch"
                    if c.classify else "")
        # The fitted trend, for the chart: (epoch, validation loss) at both ends of the window.
        evidence["trend_line"] = [[c.n - k, float(math.exp(intercept))], [c.n, float(math.exp(slope * k + intercept))]]
        return Finding("still_improving", f"Still improving: over the last {k} epochs the validation loss fell "
                                          f"{-rate:.1%} per epoch (±{stderr:.1%}){accuracy}, and it is at its best "
                                          f"at epoch {best}: more epochs will likely help.")
    return None


def find_underfitting(c: Curves, reference: Reference | None, evidence: dict) -> Finding | None:
    """A poor fit, against what the data set allows, or in absolute terms without a reference."""
    if c.classify:
        fit, val_fit = float(max(c.acc[-1], c.val_acc[-1])), float(c.val_acc[-1])
    else:
        fit, val_fit = float(min(c.loss[-1], c.val[-1])), float(c.val[-1])
    evidence["fit"] = fit
    if reference is not None and reference.metric == ("accuracy" if c.classify else "loss"):
        evidence.update(reference=reference.value, reference_metric=reference.metric, reference_source=reference.source,
                        from_reference=reference.value - val_fit if c.classify else val_fit - reference.value)
        if c.classify:
            bar = reference.value - max(SHORT_OF_REFERENCE[0], SHORT_OF_REFERENCE[1] * (1 - reference.value))
            poor = fit < bar
        else:
            bar = reference.value + max(0.1, SHORT_OF_REFERENCE[1] * reference.value)
            poor = fit > bar
        judged = f"what this data set allows: {reference.describe()}"
    else:
        bar = LOW_ACCURACY if c.classify else 1 - LOW_R2
        poor = fit < bar if c.classify else fit > bar
        judged = "the training fit alone (no reference figure for this data)"
    evidence["fit_bar"] = bar
    if not poor:
        return None
    short = f"short of {bar:.1%}" if c.classify else f"above {bar:.2f}"
    return Finding("underfitting", f"Underfitting: {fit_text(c)}, {short}, judged against {judged}: the network is "
                                   "too simple for the task, or training is held back.")


# --- helpers ----------------------------------------------------------------------------------

def noise_of(val: np.ndarray) -> float:
    """Epoch-to-epoch noise of the validation loss, as a share: robust spread of the second
    differences of its logarithm (a steady trend has none), over the second half of the run (the
    bend of the first fast epochs is not noise)."""
    logs = np.log(np.maximum(val[np.isfinite(val)], 1e-12))
    if len(logs) >= 8:
        logs = logs[len(logs) // 2:]
    if len(logs) < 4:
        return 0.0
    second = np.diff(logs, 2)
    return float(1.4826 * np.median(np.abs(second - np.median(second))) / math.sqrt(6))


def fit_text(c: Curves) -> str:
    if c.classify:
        return f"training accuracy {c.acc[-1]:.1%}, validation {c.val_acc[-1]:.1%}"
    return f"training loss {c.loss[-1]:.3g}, validation {c.val[-1]:.3g} (1.0 = guessing the mean)"


def chance_text(c: Curves) -> str:
    return f", validation accuracy {c.val_acc[-1]:.0%} (chance {c.chance:.0%})" if c.classify and c.chance is not None else ""


def reference_text(evidence: dict) -> str:
    if "reference" not in evidence:
        return "Judged from the training fit alone: there is no reference figure for this data."
    gap, source = evidence["from_reference"], evidence["reference_source"]
    if evidence["reference_metric"] == "accuracy":
        return (f"Validation accuracy is {abs(gap) * 100:.1f} pt {'short of' if gap > 0 else 'beyond'} the best known "
                f"result for this data set ({source}).")
    return (f"Validation loss is {abs(gap):.2f} {'above' if gap > 0 else 'below'} the best known result for this "
            f"data set ({source}).")


def number(value) -> float:
    return math.nan if value is None else float(value)
