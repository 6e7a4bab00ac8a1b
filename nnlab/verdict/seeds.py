"""What several seeds of the same settings say: how far chance moves a figure (the spread), the mean
curves with their band, whether a difference between two settings is bigger than that spread (in
words), and the verdict read from the mean curves, saying when the seeds disagree.

A seed fixes the split, the initial weights, dropout and the batch order: the same settings with
another seed can move test accuracy by points (the 8-layer ReLU lesson: 72.5 %, 91.9 %, 95.3 %).
Figures here are plain numbers; the store's groups (store/groups.py) and the pages bring them.

Which spread is which, said wherever it is shown: tiles and words use the standard deviation of the
seeds (±1 sd, the sample's, n − 1); curves' bands span the lowest to the highest seed (min–max).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nnlab.verdict.diagnose import KINDS, Verdict, diagnose_saved

MIN_SEEDS, MAX_SEEDS = 2, 10  # a group is 2–10 runs: one is no spread, more than 10 is a sweep's work
CLEAR_TIMES = 2.0  # a difference this many times the seeds' spread is called real; under 1× it is noise
CURVE_FIGURES = ("loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae")


def seeds_from(seed: int, count: int) -> list[int]:
    """The seeds of a group: the settings' seed and the next ones (seed 0, 5 seeds: 0…4), so the same
    settings and count repeat the same group."""
    check_count(count)
    return [int(seed) + i for i in range(count)]


def check_count(count: int) -> None:
    if not isinstance(count, int) or isinstance(count, bool) or not MIN_SEEDS <= count <= MAX_SEEDS:
        raise ValueError(f"repeat with {MIN_SEEDS} to {MAX_SEEDS} seeds, got {count!r}")


@dataclass(frozen=True)
class Spread:
    """One figure over the seeds: its mean, standard deviation (n − 1; 0 for one value), lowest and highest."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values) -> Spread:
        found = tuple(float(v) for v in values if v is not None and math.isfinite(float(v)))
        return cls(found)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def sd(self) -> float:
        return float(np.std(self.values, ddof=1)) if self.n > 1 else 0.0

    @property
    def low(self) -> float:
        return min(self.values) if self.values else math.nan

    @property
    def high(self) -> float:
        return max(self.values) if self.values else math.nan

    def text(self, percent: bool) -> str:
        """"91.2 % ± 1.3 pt" (accuracy) or "0.412 ± 0.031"; one value alone has no ±."""
        if not self.values:
            return "–"
        if percent:
            shown = f"{self.mean:.1%}".replace("%", " %")
            return shown if self.n < 2 else f"{shown} ± {self.sd * 100:.1f} pt"
        return f"{self.mean:.4g}" if self.n < 2 else f"{self.mean:.4g} ± {self.sd:.2g}"

    def to_dict(self) -> dict:
        finite = lambda v: v if math.isfinite(v) else None  # noqa: E731 - strict JSON
        return {"mean": finite(self.mean), "sd": finite(self.sd), "min": finite(self.low), "max": finite(self.high),
                "n": self.n, "values": list(self.values)}


def spread_of_tests(tests: list[dict]) -> dict[str, Spread]:
    """Each test figure (accuracy, loss, mae …) over the runs that have it."""
    names = dict.fromkeys(name for test in tests for name in test)
    return {name: Spread.of(test.get(name) for test in tests) for name in names}


def _rows(history) -> list[dict]:
    if history is None:
        return []
    return history.to_dict("records") if hasattr(history, "to_dict") else list(history)


def mean_history(histories: list) -> list[dict]:
    """The mean curve of several runs, epoch by epoch, over the epochs every run reached (one that
    stopped early ends the mean there: past it, the mean would be of fewer seeds)."""
    runs = [_rows(history) for history in histories]
    runs = [rows for rows in runs if rows]
    if not runs:
        return []
    common = min(len(rows) for rows in runs)
    mean = []
    for index in range(common):
        row = {"epoch": index + 1}
        for name in CURVE_FIGURES:
            values = [rows[index].get(name) for rows in runs]
            if all(isinstance(v, (int, float)) for v in values):
                row[name] = float(np.mean(values))  # a NaN (a diverged seed) makes the mean NaN: as it should
        mean.append(row)
    return mean


def band_frame(histories: list, name: str = "") -> pd.DataFrame:
    """Long form for the band charts: one row per epoch and figure with the seeds' mean, lowest and
    highest (min–max) and standard deviation, and how many seeds it is of."""
    runs = [_rows(history) for history in histories]
    runs = [rows for rows in runs if rows]
    columns = ["run", "epoch", "figure", "mean", "low", "high", "sd", "seeds"]
    if not runs:
        return pd.DataFrame(columns=columns)
    common = min(len(rows) for rows in runs)
    records = []
    for index in range(common):
        for figure in CURVE_FIGURES:
            spread = Spread.of(rows[index].get(figure) for rows in runs if isinstance(rows[index].get(figure), (int, float)))
            if spread.n:
                records.append({"run": name, "epoch": index + 1, "figure": figure, "mean": spread.mean,
                                "low": spread.low, "high": spread.high, "sd": spread.sd, "seeds": spread.n})
    return pd.DataFrame(records, columns=columns)


# --- is a difference real? -------------------------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    """B against A on one figure: by how much, and how that compares with the seeds' spread."""

    first: str
    second: str
    figure: str  # "accuracy", "loss", "mae" …
    gap: float  # second's mean − first's mean
    noise: float  # the seeds' spread: the pooled standard deviation of the groups that have more than one run
    seeds: int  # the runs the spread is measured on, both sides together
    words: str

    @property
    def times(self) -> float:
        return abs(self.gap) / self.noise if self.noise > 0 else math.inf if self.gap else 0.0

    @property
    def real(self) -> bool:
        return self.noise > 0 and self.times >= CLEAR_TIMES


def higher_is_better(figure: str) -> bool:
    return figure.removeprefix("val_").removeprefix("test ") == "accuracy"


def pooled_sd(spreads: list[Spread]) -> float:
    """The standard deviation of the seeds within groups, pooled over the groups with two runs or more."""
    groups = [s for s in spreads if s.n > 1]
    degrees = sum(s.n - 1 for s in groups)
    return math.sqrt(sum((s.n - 1) * s.sd ** 2 for s in groups) / degrees) if degrees else 0.0


def difference(first: str, a: Spread, second: str, b: Spread, figure: str) -> Difference:
    """Whether `second` beats `first` on `figure` by more than chance moves it, in a sentence:
    "Adam beats SGD by 2.1 points, 5× the spread of 5 seeds" / "… within the noise of 3 seeds".
    Called real from CLEAR_TIMES the spread; between 1× and that, a lead more seeds should confirm."""
    repeated = [s for s in (a, b) if s.n > 1]
    noise, seeds = pooled_sd([a, b]), sum(s.n for s in repeated)
    gap = b.mean - a.mean
    percent = higher_is_better(figure)
    size = f"{abs(gap) * 100:.1f} points of test {figure}" if percent else f"{abs(gap):.3g} of test {figure}"
    winner, loser = (second, first) if (gap > 0) == percent else (first, second)
    counts = list(dict.fromkeys(s.n for s in repeated))  # "5 seeds" (each), or "5 and 3 seeds"
    of_seeds = " and ".join(map(str, counts)) + " seeds"
    spread = f"±{noise * 100:.1f} pt" if percent else f"±{noise:.2g}"
    if not (math.isfinite(a.mean) and math.isfinite(b.mean)):
        words = f"{first} and {second} cannot be compared on test {figure}: one of them has no figure."
    elif noise == 0 and gap == 0:
        words = f"{first} and {second} score the same on test {figure}."
    elif noise == 0:
        words = (f"{winner} beats {loser} by {size}, but nothing says whether that is more than chance: "
                 f"{'the seeds gave the same figure' if repeated else 'neither was repeated with several seeds'}. "
                 "Repeat both with 3–5 seeds.")
    else:
        times = abs(gap) / noise
        if times >= CLEAR_TIMES:
            words = f"{winner} beats {loser} by {size}, {times:.1f}× the spread of {of_seeds} ({spread}): more than chance."
        elif times >= 1:
            words = (f"{winner} leads {loser} by {size}, only {times:.1f}× the spread of {of_seeds} ({spread}): "
                     "not clear yet; more seeds would tell.")
        else:
            words = (f"{first} and {second} differ by {size}, within the noise of {of_seeds} ({spread}): "
                     "chance alone moves it that much.")
    return Difference(first, second, figure, gap, noise, seeds, words)


# --- the verdict of a group -------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupVerdict:
    """The verdict read from the group's mean curves, and each seed's own verdict."""

    verdict: Verdict
    kinds: tuple[str, ...]  # each seed's verdict kind, in the order of the runs

    @property
    def agree(self) -> bool:
        return len(set(self.kinds)) <= 1

    @property
    def disagreement(self) -> str:
        """"The seeds disagree: 2 of 3 overfit, 1 is a good fit." — or "" when they agree."""
        if self.agree:
            return ""
        counts = Counter(self.kinds).most_common()
        parts = [f"{count} of {len(self.kinds)} {_say(kind, count)}" if i == 0 else f"{count} {_say(kind, count)}"
                 for i, (kind, count) in enumerate(counts)]
        return ("The seeds disagree: " + ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
                + ". The mean curves say the verdict above; judge a single run of these settings with care.")

    @property
    def text(self) -> str:
        agreed = (f"All {len(self.kinds)} seeds agree." if self.kinds and self.agree else self.disagreement)
        return f"{self.verdict.title}, read from the mean curves of {len(self.kinds)} seeds. {agreed}".strip()


_VERBS = {"overfitting": ("overfits", "overfit"), "underfitting": ("underfits", "underfit"),
          "still_improving": ("is still improving", "are still improving"),
          "good_fit": ("is a good fit", "are good fits"), "diverged": ("diverged", "diverged"),
          "no_data": ("has too few epochs", "have too few epochs")}


def _say(kind: str, count: int) -> str:
    one, many = _VERBS.get(kind, (f"is {KINDS.get(kind, kind).lower()}", f"are {KINDS.get(kind, kind).lower()}"))
    return one if count == 1 else many


def group_verdict(histories: list, *, config, task: str, recorded: list[dict] | None = None) -> GroupVerdict:
    """The verdict of the mean curves (with next steps for `config`, the group's settings) and each
    seed's verdict, judged again with today's rules as a saved run's is."""
    recorded = recorded or [{} for _ in histories]
    kinds = tuple(diagnose_saved(history, config=config, task=task, recorded=facts).kind
                  for history, facts in zip(histories, recorded))
    mean = diagnose_saved(mean_history(histories), config=config, task=task, recorded=next(iter(recorded), {}))
    return GroupVerdict(mean, kinds)
