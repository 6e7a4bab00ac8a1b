"""The L1 / L2 rates a run changed while it trained (Trainer.set_penalties), read back from its
history: each epoch's row records the rates it trained with ("l1", "l2"); a change is where a
row's rate differs from the one before (the first row's from the settings)."""
from __future__ import annotations

import math

NAMES = {"l1": "L1", "l2": "L2"}


def penalty_changes(config, history: list[dict]) -> list[dict]:
    """[{"epoch", "name" ("l1" or "l2"), "value"}], in the order they happened; older runs' rows
    without the columns have none."""
    current, changes = {name: float(getattr(config, name)) for name in NAMES}, []
    for row in history:
        for name in NAMES:
            recorded = row.get(name)
            if not isinstance(recorded, (int, float)) or not math.isfinite(recorded):
                continue
            if not math.isclose(recorded, current[name], rel_tol=1e-5, abs_tol=1e-12):
                changes.append({"epoch": int(row["epoch"]), "name": name, "value": float(recorded)})
                current[name] = float(recorded)
    return changes
