"""The L1 / L2 rates a run changed while it trained (Trainer.set_penalties), read back from its
history: each epoch's row records the rates it trained with ("l1", "l2"); a change is where a
row's rate differs from the one before (the first row's from the settings)."""
from __future__ import annotations

import math

NAMES = {"l1": "L1", "l2": "L2"}


class PenaltyRates:
    """The L1 / L2 rates of one run as its history is read, row by row in epoch order."""

    def __init__(self, config):
        self.current = {name: float(getattr(config, name)) for name in NAMES}

    def follow(self, row: dict) -> list[dict]:
        """The changes this row records ({"epoch", "name", "value"}; none in older runs' rows without the columns)."""
        changes = []
        for name in NAMES:
            recorded = row.get(name)
            if not isinstance(recorded, (int, float)) or not math.isfinite(recorded):
                continue
            if not math.isclose(recorded, self.current[name], rel_tol=1e-5, abs_tol=1e-12):
                changes.append({"epoch": int(row["epoch"]), "name": name, "value": float(recorded)})
                self.current[name] = float(recorded)
        return changes


def penalty_changes(config, history: list[dict]) -> list[dict]:
    """[{"epoch", "name" ("l1" or "l2"), "value"}], in the order they happened; older runs' rows
    without the columns have none."""
    rates = PenaltyRates(config)
    return [change for row in history for change in rates.follow(row)]
