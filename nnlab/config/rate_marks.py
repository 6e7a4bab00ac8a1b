"""The rates a run changed while it trained (the learning rate, L1, L2) as marks on its curves: the
epoch from which each took over, a short label and a sentence. One wording for the final Altair charts
(charts/training.py) and the browser's live chart (serving/live_answer.py → ui/live_chart.js)."""
from __future__ import annotations

from nnlab.config.lr_schedule import changed_epochs
from nnlab.config.penalty_changes import NAMES, penalty_changes


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


def change_marks(config, history: list[dict]) -> list[dict]:
    """Every rate changed during the run `config` describes, read back from its `history`: the learning
    rate's marks, then the penalties'."""
    return rate_marks(history, changed_epochs(config, history)) + penalty_marks(penalty_changes(config, history))
