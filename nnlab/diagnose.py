"""The verdict on a training history, read from the whole curve, with remedies for this run.

`diagnose(history, ...)` reads only the per-epoch figures, so it works on live runs, saved runs and
crafted curves alike. It looks for four findings, several of which may hold at once:
- blow-up: a loss that is not a number, far above a network that knows nothing, a training loss
  that climbs back up, or accuracy stuck at chance after a spike (or with a loss that hardly moves);
- overfitting: validation loss risen from its best epoch (beyond the epoch-to-epoch noise) while
  the training loss kept falling, or training accuracy far above validation accuracy;
- still improving: validation loss still falling at the end, faster than its noise;
- underfitting: the fit is poor against what the data set allows (`nnlab.reference`), or, with no
  reference (a CSV file), poor in absolute terms.
The verdict's kind is the most pressing finding; its text states the numbers behind it, which are
also in `Verdict.evidence` for the page to draw. `live_finding` says only what is already certain
while a run trains. `remedies(kind, config)` and `plan(verdict, config)` turn a verdict into settings.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from nnlab.jsonsafe import json_safe
from nnlab.reference import Reference, reference_for

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
PRIORITY = ("diverged", "overfitting", "still_improving", "underfitting")  # which finding names the verdict

BLOW_UP = 3.0  # a training loss this many times the know-nothing baseline, at any epoch, is a blow-up
ENDS_WORSE = 1.5  # … as is ending this far above it
WORSENING = 1.25  # or a training loss (and validation loss) this many times its lowest at the end
RECOVERED = 0.5  # after a blow-up a regression must end below this share of the know-nothing loss
CHANCE_MARGIN = 0.02  # accuracy within this of chance counts as "stuck at chance"
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


@dataclass(frozen=True)
class Remedy:
    """One concrete next step: a sentence and the settings it changes."""

    text: str
    changes: dict


@dataclass(frozen=True)
class Verdict:
    kind: str
    best_epoch: int  # epoch (1-based) with the lowest validation loss; 0 if none
    gap: float  # generalization gap at the last epoch: train − validation accuracy, or val − train loss
    gap_metric: str  # "accuracy" or "loss"
    explanation: str
    remedies: list[str] = field(default_factory=list)  # the lecture's list for this kind
    findings: list[Finding] = field(default_factory=list)  # every finding that holds, most pressing first
    evidence: dict = field(default_factory=dict)  # the numbers behind the findings (see `_evidence`)
    next_steps: list[Remedy] = field(default_factory=list)  # ranked, for this run's settings (needs config)
    lecture: list[dict] = field(default_factory=list)  # {"text", "in_use"}: the lecture's list, marked for this run

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["title"] = self.title
        data["gap"] = json_safe(self.gap)
        data["evidence"] = json_safe(self.evidence)
        for step in data["next_steps"]:
            step["changes"] = {k: list(v) if isinstance(v, tuple) else v for k, v in step["changes"].items()}
        return data


def baseline_loss(loss: str, task: str, n_classes: int) -> float:
    """The loss of a network that knows nothing: uniform probabilities, or the mean value."""
    if task != "classification":
        return 1.0  # mean squared error of predicting the mean of standardized targets
    if loss == "mse":
        return (n_classes - 1) / n_classes**2  # softmax 1/k everywhere against a one-hot target
    return math.log(n_classes)


@dataclass
class _Curves:
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


def _curves(history, task, chance, baseline) -> _Curves:
    classify = task == "classification"
    column = lambda key: np.array([_num(h.get(key)) for h in history])  # noqa: E731
    return _Curves(column("loss"), column("val_loss"), column("accuracy") if classify else None,
                   column("val_accuracy") if classify else None, classify, chance, baseline)


def diagnose(history: list[dict], *, task: str = "classification", chance: float | None = None,
             baseline: float | None = None, dataset: str | None = None, config=None,
             reference: Reference | None = None) -> Verdict:
    """Read a history (dicts with loss, val_loss and accuracy/val_accuracy or mae/val_mae).

    `dataset` (a data set's name) or `config` (a RunConfig) lets the verdict compare the fit with
    what that data set allows (`nnlab.reference`); `config` also makes `next_steps` and marks the
    lecture's remedies this run already uses. Without them the fit is judged in absolute terms."""
    c = _curves(history, task, chance, baseline)
    gap_metric = "accuracy" if c.classify else "loss"
    if reference is None:
        reference = reference_for(dataset or getattr(config, "dataset", None), getattr(config, "noise", 0.0))
    if not history:
        return _verdict("no_data", 0, math.nan, gap_metric, [Finding("no_data", "No epoch has finished yet.")], {}, config)
    finite_val = np.where(np.isfinite(c.val), c.val, np.inf)
    best = int(finite_val.argmin()) + 1 if np.isfinite(finite_val).any() else 0
    gap = float(c.acc[-1] - c.val_acc[-1]) if c.classify else float(c.val[-1] - c.loss[-1])
    evidence = {"best_epoch": best, "best_val_loss": float(c.val[best - 1]) if best else math.nan}

    blow_up = _blow_up(c, evidence)
    if blow_up is not None:
        return _verdict("diverged", best, gap, gap_metric, [blow_up], evidence, config)
    if c.n < 2:
        return _verdict("no_data", best, gap, gap_metric,
                        [Finding("no_data", "One epoch is too few to see a trend; train for more.")], evidence, config)

    noise = _noise(c.val)
    evidence["noise"] = noise
    findings = [f for f in (_overfitting(c, best, noise, evidence), _still_improving(c, best, noise, evidence),
                            _underfitting(c, reference, evidence)) if f is not None]
    spike = evidence.get("spike_epoch")
    if spike:
        findings.append(Finding("spike", f"The training loss spiked to {evidence['spike_loss']:.3g} at epoch {spike} "
                                         f"({evidence['spike_loss'] / baseline:.0f}× a network that knows nothing) "
                                         "before it recovered: the learning rate is on the edge of too high."))
    kind = next((k for k in PRIORITY if any(f.kind == k for f in findings)), "good_fit")
    if kind == "good_fit":
        fit = _fit_text(c)
        findings.insert(0, Finding("good_fit", f"Training and validation agree (gap {abs(gap):.3g}) and the validation "
                                               f"loss has levelled off ({fit})."))
    if not any(f.kind == "underfitting" for f in findings):  # that one names the reference itself
        findings.append(Finding("reference", _reference_text(evidence)))
    findings.sort(key=lambda f: PRIORITY.index(f.kind) if f.kind in PRIORITY else len(PRIORITY))
    return _verdict(kind, best, gap, gap_metric, findings, evidence, config)


def live_finding(history: list[dict], *, task: str = "classification", chance: float | None = None,
                 baseline: float | None = None) -> Finding | None:
    """What is already certain while a run trains, or None: the loss has blown up, or overfitting
    has set in. Conservative on purpose: a noisy plateau or one bad epoch says nothing."""
    c = _curves(history, task, chance, baseline)
    if not c.n:
        return None
    bad = np.flatnonzero(~np.isfinite(c.loss) | ~np.isfinite(c.val))
    if bad.size:
        return Finding("diverged", f"The loss became infinite or not a number at epoch {bad[0] + 1}: the weights "
                                   "blew up. Stop and lower the learning rate.")
    if baseline and c.n >= 2 and np.all(c.loss[-2:] > BLOW_UP * baseline):
        return Finding("diverged", f"The training loss has stayed above {BLOW_UP:g}× that of a network that knows "
                                   f"nothing ({c.loss[-1]:.3g} against {baseline:.3g}) for two epochs: it has blown "
                                   "up. Stop and lower the learning rate.")
    if c.n < 2 + LIVE_EPOCHS:
        return None
    best = int(np.nanargmin(c.val))
    since = c.n - 1 - best
    if c.val[best] <= 0:
        return None  # a perfect validation loss cannot rise by a share of itself
    # In logarithms, where the noise is measured: jumpy curves need a larger rise.
    floor = max(math.log1p(LIVE_RISE), NOISE_TIMES * _noise(c.val[: best + 1]) if best >= 3 else 0.0)
    risen = np.log(c.val[-LIVE_EPOCHS:] / c.val[best])
    meaningful = (c.val[-1] - c.val[best]) > (TINY * baseline if baseline else 0.0)
    training_falls = c.loss[-1] < 0.8 * c.loss[best] and c.loss[-1] <= 1.1 * c.loss[best:].min()
    if since >= LIVE_EPOCHS and np.all(risen > floor) and meaningful and training_falls:
        return Finding("overfitting", f"Overfitting has set in: the validation loss was lowest at epoch {best + 1} "
                                      f"({c.val[best]:.3g}) and has been at least {math.expm1(floor):.0%} higher for the last "
                                      f"{LIVE_EPOCHS} epochs ({c.val[-1]:.3g} now) while the training loss fell.")
    return None


# --- findings ---------------------------------------------------------------------------------

def _blow_up(c: _Curves, evidence: dict) -> Finding | None:
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
                                   f"({c.baseline:.3g}), and ends at {c.loss[-1]:.3g}{_chance_text(c)}: the steps "
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
    if stuck and c.loss.max() > ENDS_WORSE * c.baseline:
        evidence.update(blow_up_epoch=peak + 1, blow_up_loss=float(c.loss[peak]))
        return Finding("diverged", f"The training loss jumped to {c.loss[peak]:.3g} at epoch {peak + 1} "
                                   f"({c.loss[peak] / c.baseline:.1f}× that of a network that knows nothing) and "
                                   f"accuracy has been stuck at chance ({c.chance:.0%}) for the last {recent} epochs: "
                                   "the steps overshot and every neuron has died or saturated.")
    if stuck and flat:
        evidence.update(not_learning=True, loss_change=float(c.loss[-1] / c.loss[half] - 1))
        return Finding("diverged", f"Not learning: accuracy is stuck at chance ({c.chance:.0%}) for the last {recent} "
                                   f"epochs and the loss hardly moves ({c.loss[half]:.3g} → {c.loss[-1]:.3g} since epoch "
                                   f"{half + 1}), without ever blowing up: the steps are far too small, or the neurons "
                                   "are dead or saturated.")
    return None


def _overfitting(c: _Curves, best: int, noise: float, evidence: dict) -> Finding | None:
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


def _still_improving(c: _Curves, best: int, noise: float, evidence: dict) -> Finding | None:
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
        return Finding("still_improving", f"Still improving: over the last {k} epochs the validation loss fell "
                                          f"{-rate:.1%} per epoch (±{stderr:.1%}){accuracy}, and it is at its best "
                                          f"at epoch {best}: more epochs will likely help.")
    return None


def _underfitting(c: _Curves, reference: Reference | None, evidence: dict) -> Finding | None:
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
    return Finding("underfitting", f"Underfitting: {_fit_text(c)}, {short}, judged against {judged}: the network is "
                                   "too simple for the task, or training is held back.")


# --- helpers ----------------------------------------------------------------------------------

def _noise(val: np.ndarray) -> float:
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


def _fit_text(c: _Curves) -> str:
    if c.classify:
        return f"training accuracy {c.acc[-1]:.1%}, validation {c.val_acc[-1]:.1%}"
    return f"training loss {c.loss[-1]:.3g}, validation {c.val[-1]:.3g} (1.0 = guessing the mean)"


def _chance_text(c: _Curves) -> str:
    return f", validation accuracy {c.val_acc[-1]:.0%} (chance {c.chance:.0%})" if c.classify and c.chance is not None else ""


def _reference_text(evidence: dict) -> str:
    if "reference" not in evidence:
        return "Judged from the training fit alone: there is no reference figure for this data."
    gap, source = evidence["from_reference"], evidence["reference_source"]
    if evidence["reference_metric"] == "accuracy":
        return f"Validation accuracy is {abs(gap):.1%} {'short of' if gap > 0 else 'beyond'} what this data set allows ({source})."
    return f"Validation loss is {abs(gap):.2f} {'above' if gap > 0 else 'below'} what this data set allows ({source})."


def _verdict(kind, best, gap, gap_metric, findings, evidence, config) -> Verdict:
    explanation = " ".join(f.text for f in findings)
    return Verdict(kind, best, float(gap), gap_metric, explanation, list(LECTURE_REMEDIES[kind]), list(findings),
                   evidence, plan_for(kind, findings, evidence, config) if config is not None else [],
                   lecture_marks(kind, config) if config is not None else [])


def _num(value) -> float:
    return math.nan if value is None else float(value)


# --- remedies ---------------------------------------------------------------------------------

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
    steps: list[Remedy] = []
    kinds = [kind] + [f.kind for f in findings if f.kind in KINDS and f.kind != kind]
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


def plan(verdict: Verdict, config) -> list[Remedy]:
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
