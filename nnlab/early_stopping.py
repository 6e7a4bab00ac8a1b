"""EarlyStopping: stop when the validation loss has not improved for `patience` epochs.

As Keras' EarlyStopping callback with monitor="val_loss", min_delta=0 and restore_best_weights:
it keeps the weights of the best epoch so the trainer can put them back at the end.
"""
from __future__ import annotations

import math
from typing import Callable


class EarlyStopping:
    def __init__(self, patience: int):
        if patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {patience}")
        self.patience = patience
        self.reset()

    def reset(self) -> None:
        """Forget every epoch seen: a new run starts from here."""
        self.best_loss = math.inf
        self.best_weights: list | None = None
        self.epochs_since_best = 0

    def update(self, val_loss: float, weights: Callable[[], list]) -> bool:
        """Note one epoch's validation loss; True when training should stop. `weights()` is
        called only on a new best (copying the weights costs time)."""
        if val_loss < self.best_loss:  # NaN is never better: it counts as an epoch without progress
            self.best_loss, self.best_weights, self.epochs_since_best = val_loss, weights(), 0
            return False
        self.epochs_since_best += 1
        return self.epochs_since_best >= self.patience
