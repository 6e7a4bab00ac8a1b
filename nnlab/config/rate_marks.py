"""The rates a run changed while it trained (the learning rate, L1, L2) as marks on its curves: the
epoch from which each took over, a short label and a sentence. One wording for the final Altair charts
(charts/training.py), the browser's live chart (serving/live_answer.py → ui/live_chart.js) and the
exported Keras script's comment (export/keras_script.py)."""
from __future__ import annotations

import threading

from nnlab.config.lr_schedule import LearningRatePlan
from nnlab.config.penalty_changes import NAMES, PenaltyRates


def rate_marks(history: list[dict], epochs: list[int]) -> list[dict]:
    """A mark per epoch of `epochs` from which a learning rate set by hand took over (its rate read in
    `history`'s rows)."""
    rates = {int(row["epoch"]): row.get("learning_rate") for row in history}
    return [{"epoch": epoch, "short": f"rate → {rates[epoch]:.3g}",
             "label": f"learning rate set to {rates[epoch]:.3g} from epoch {epoch}"}
            for epoch in epochs if isinstance(rates.get(epoch), (int, float))]


def penalty_marks(changes: list[dict]) -> list[dict]:
    """A mark per L1 / L2 change (config/penalty_changes.penalty_changes)."""
    return [{"epoch": c["epoch"], "short": f"{NAMES[c['name']]} → {c['value']:.3g}",
             "label": f"{NAMES[c['name']]} penalty set to {c['value']:.3g} from epoch {c['epoch']}"} for c in changes]


class RateMarks:
    """One run's marks, its history read as its epochs come: a live chart asks at every answer, and read
    afresh each time 1,000 epochs cost ≈4.4 ms an answer, ≈0.006 ms read as they grow (bench/live_marks.py).
    Safe to ask from several threads (two tabs watching)."""

    def __init__(self, config):
        self._config, self._lock = config, threading.Lock()
        self._begin()

    def _begin(self) -> None:
        self._plan, self._penalties = LearningRatePlan(self._config), PenaltyRates(self._config)
        self._read, self._marks = 0, []

    def upto(self, history: list[dict], count: int) -> list[dict]:
        """The marks of `history`'s first `count` epochs, in epoch order (the learning rate's first in an epoch)."""
        with self._lock:
            if count < self._read:  # someone behind the others: read again from the start
                self._begin()
            rows = history[self._read:count]
            for row in rows:
                if self._plan.follow(row):
                    self._marks += rate_marks([row], [int(row["epoch"])])
                self._marks += penalty_marks(self._penalties.follow(row))
            self._read += len(rows)
            return list(self._marks)


def change_marks(config, history: list[dict]) -> list[dict]:
    """Every rate changed during the run `config` describes, read back from its `history`, in epoch order."""
    return RateMarks(config).upto(history, len(history))
