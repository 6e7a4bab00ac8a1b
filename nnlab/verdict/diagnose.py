"""The verdict on a training history, read from the whole curve, with remedies for this run.

`diagnose(history, ...)` reads only the per-epoch figures, so it works on live runs, saved runs and
crafted curves alike. It looks for four findings, several of which may hold at once:
- blow-up: a loss that is not a number, far above a network that knows nothing, a training loss
  that climbs back up, or accuracy stuck at chance after a spike (or with a loss that hardly moves);
- overfitting: validation loss risen from its best epoch (beyond the epoch-to-epoch noise) while
  the training loss kept falling, or training accuracy far above validation accuracy;
- still improving: validation loss still falling at the end, faster than its noise;
- underfitting: the fit is poor against what the data set allows (`nnlab.verdict.reference`), or, with no
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

from nnlab.verdict.findings import (  # noqa: F401 - thresholds importable from here as before
    BLOW_UP, LIVE_EPOCHS, LIVE_RISE, NOISE_TIMES, TINY, Finding, curves, find_blow_up, find_overfitting,
    find_still_improving, find_underfitting, fit_text, noise_of, reference_text,
)
from nnlab.core.jsonsafe import json_safe
from nnlab.verdict.reference import CLASSES, Reference, reference_for
from nnlab.verdict.remedies import (  # noqa: F401 - the verdict's remedies, importable from here as before
    LECTURE_REMEDIES, Remedy, lecture_marks, plan, plan_for, remedies,
)

KINDS = {
    "overfitting": "Overfitting",
    "underfitting": "Underfitting",
    "still_improving": "Still improving",
    "good_fit": "Good fit",
    "diverged": "Diverged / not learning",
    "no_data": "Not enough epochs",
}

PRIORITY = ("diverged", "overfitting", "still_improving", "underfitting")  # which finding names the verdict

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


def diagnose(history: list[dict], *, task: str = "classification", chance: float | None = None,
             baseline: float | None = None, dataset: str | None = None, config=None,
             reference: Reference | None = None) -> Verdict:
    """Read a history (dicts with loss, val_loss and accuracy/val_accuracy or mae/val_mae).

    `dataset` (a data set's name) or `config` (a RunConfig) lets the verdict compare the fit with
    what that data set allows (`nnlab.verdict.reference`); `config` also makes `next_steps` and marks the
    lecture's remedies this run already uses. Without them the fit is judged in absolute terms."""
    c = curves(history, task, chance, baseline)
    gap_metric = "accuracy" if c.classify else "loss"
    if reference is None:
        reference = reference_for(dataset or getattr(config, "dataset", None), getattr(config, "noise", 0.0))
    if not history:
        return _verdict("no_data", 0, math.nan, gap_metric, [Finding("no_data", "No epoch has finished yet.")], {}, config)
    finite_val = np.where(np.isfinite(c.val), c.val, np.inf)
    best = int(finite_val.argmin()) + 1 if np.isfinite(finite_val).any() else 0
    gap = float(c.acc[-1] - c.val_acc[-1]) if c.classify else float(c.val[-1] - c.loss[-1])
    evidence = {"best_epoch": best, "best_val_loss": float(c.val[best - 1]) if best else math.nan,
                "chance": chance, "baseline": baseline}  # kept with the verdict, so a saved run can be judged again
    if config is not None:
        from nnlab.config.lr_schedule import changed_epochs

        if changed_epochs(config, history):  # a rate set by hand mid-run: the next steps start from the last one
            evidence["learning_rate_set"] = float(history[-1]["learning_rate"])

    blow_up = find_blow_up(c, evidence)
    if blow_up is not None:
        return _verdict("diverged", best, gap, gap_metric, [blow_up], evidence, config)
    if c.n < 2:
        return _verdict("no_data", best, gap, gap_metric,
                        [Finding("no_data", "One epoch is too few to see a trend; train for more.")], evidence, config)

    noise = noise_of(c.val)
    evidence["noise"] = noise
    overfitting = find_overfitting(c, best, noise, evidence)
    findings = [f for f in (overfitting, find_still_improving(c, best, noise, evidence),
                            _underfitting(c, best if overfitting else 0, reference, evidence)) if f is not None]
    spike = evidence.get("spike_epoch")
    if spike:
        findings.append(Finding("spike", f"The training loss spiked to {evidence['spike_loss']:.3g} at epoch {spike} "
                                         f"({evidence['spike_loss'] / baseline:.0f}× a network that knows nothing) "
                                         "before it recovered: the learning rate is on the edge of too high."))
    kind = next((k for k in PRIORITY if any(f.kind == k for f in findings)), "good_fit")
    if kind == "good_fit":
        fit = fit_text(c)
        findings.insert(0, Finding("good_fit", f"Training and validation agree (gap {abs(gap):.3g}) and the validation "
                                               f"loss has levelled off ({fit})."))
    if not any(f.kind == "underfitting" for f in findings):  # that one names the reference itself
        findings.append(Finding("reference", reference_text(evidence)))
    findings.sort(key=lambda f: PRIORITY.index(f.kind) if f.kind in PRIORITY else len(PRIORITY))
    return _verdict(kind, best, gap, gap_metric, findings, evidence, config)


def _underfitting(c, best: int, reference, evidence: dict):
    """The underfitting finding, judged at epoch `best` when the run overfitted after it: the epochs
    past the best are worse because of overfitting, and read as a poor fit they made one verdict say
    both (a search's best trial: 93.1 % at its best epoch, "underfitting" from its last one's 81.9 %)."""
    if not best or best >= c.n:
        return find_underfitting(c, reference, evidence)
    upto = dataclasses.replace(c, loss=c.loss[:best], val=c.val[:best], acc=None if c.acc is None else c.acc[:best],
                               val_acc=None if c.val_acc is None else c.val_acc[:best])
    found = find_underfitting(upto, reference, evidence)
    evidence["fit_epoch"] = best
    if found is None:
        return None
    return Finding("underfitting", f"Underfitting even at its best epoch ({best}), before the overfitting: "
                                   + found.text.removeprefix("Underfitting: "))


def diagnose_saved(history, *, config, task: str, recorded: dict | None = None) -> Verdict:
    """A saved run's verdict made again with today's rules, with next steps for its settings: so
    Runs, Compare, Race and Sweep say what Train said. `history` is a list of dicts or a DataFrame;
    `recorded` the verdict saved with the run, whose evidence holds its data's chance and baseline
    (runs saved before that are judged with those of their built-in data set; a CSV file's, without)."""
    if hasattr(history, "to_dict"):
        history = history.to_dict("records")
    facts = (recorded or {}).get("evidence") or {}
    chance, baseline = facts.get("chance"), facts.get("baseline")
    if baseline is None:
        classes, largest = CLASSES.get(config.dataset, (None, None))
        if task != "classification" or classes:
            chance, baseline = largest, baseline_loss(config.loss, task, classes or 1)
    return diagnose(history, task=task, chance=chance, baseline=baseline, config=config)


def live_finding(history: list[dict], *, task: str = "classification", chance: float | None = None,
                 baseline: float | None = None, evidence: dict | None = None) -> Finding | None:
    """What is already certain while a run trains, or None: the loss has blown up, or overfitting
    has set in. Conservative on purpose: a noisy plateau or one bad epoch says nothing. `evidence`,
    if given, receives the numbers behind an overfitting finding (onset_epoch, val_rise) for the chart."""
    c = curves(history, task, chance, baseline)
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
    if c.val[best] <= 0:
        return None  # a perfect validation loss cannot rise by a share of itself
    # In logarithms, where the noise is measured: jumpy curves need a larger rise.
    floor = max(math.log1p(LIVE_RISE), NOISE_TIMES * noise_of(c.val[: best + 1]) if best >= 3 else 0.0)
    # Once found, the finding holds until the validation loss reaches a new low: one epoch dipping back
    # under the threshold must not take the alarm (and its Stop button) away. So every end since the
    # lowest epoch is judged (at once, by arrays), and the latest end that met the rule is the one said.
    ends = np.arange(best + LIVE_EPOCHS + 1, c.n + 1)  # the history's length at each end judged
    if not ends.size:
        return None
    above = np.log(c.val[best + 1:] / c.val[best]) > floor
    risen = np.lib.stride_tricks.sliding_window_view(above, LIVE_EPOCHS).all(axis=1)  # LIVE_EPOCHS in a row
    last_val, last_loss = c.val[ends - 1], c.loss[ends - 1]
    meaningful = (last_val - c.val[best]) > (TINY * baseline if baseline else 0.0)
    lowest_since = np.minimum.accumulate(c.loss[best:])[ends - 1 - best]
    training_falls = (last_loss < 0.8 * c.loss[best]) & (last_loss <= 1.1 * lowest_since)
    met = np.flatnonzero(risen & meaningful & training_falls)
    if met.size:
        end = int(ends[met[-1]])
        if evidence is not None:
            evidence.update(onset_epoch=best + 2, val_rise=float(c.val[-1] / c.val[best] - 1))
        rise = f"at least {math.expm1(floor):.0%} higher"
        held = (f"has been {rise} for the last {LIVE_EPOCHS} epochs" if end == c.n
                else f"by epoch {end} had been {rise} for {LIVE_EPOCHS} epochs in a row")
        return Finding("overfitting", f"Overfitting has set in: the validation loss was lowest at epoch {best + 1} "
                                      f"({c.val[best]:.3g}) and {held} ({c.val[-1]:.3g} now) while the training "
                                      "loss fell.")
    return None


def _verdict(kind, best, gap, gap_metric, findings, evidence, config) -> Verdict:
    explanation = " ".join(f.text for f in findings)
    return Verdict(kind, best, float(gap), gap_metric, explanation, list(LECTURE_REMEDIES[kind]), list(findings),
                   evidence, plan_for(kind, findings, evidence, config) if config is not None else [],
                   lecture_marks(kind, config) if config is not None else [])
