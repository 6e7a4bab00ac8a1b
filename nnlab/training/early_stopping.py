"""The best epoch so far (BestEpoch) and early stopping (EarlyStopping), both by validation loss.

As Keras' EarlyStopping callback with monitor="val_loss", min_delta=0 and restore_best_weights:
the best epoch's weights are kept so the trainer can put them back at the end — after early
stopping, or when a Stop asks to keep the best epoch.
"""
from __future__ import annotations

import math
from typing import Callable


class BestEpoch:
    """The epoch with the lowest validation loss so far and, if `keep_weights`, a copy of its weights."""

    def __init__(self, keep_weights: bool = True):
        self.keep_weights = keep_weights
        self.reset()

    def reset(self) -> None:
        """Forget every epoch seen: a new run starts from here."""
        self.best_epoch = 0  # 1-based; 0 before any finite validation loss
        self.best_loss = math.inf
        self.best_weights: list | None = None
        self.epochs_since_best = 0
        self._epochs = 0

    def update(self, val_loss: float, weights: Callable[[], list]) -> bool:
        """Note one epoch's validation loss; True when training should stop (never, here).
        `weights()` is called only on a new best (copying the weights costs time)."""
        self._epochs += 1
        if val_loss < self.best_loss:  # NaN is never better: it counts as an epoch without progress
            self.best_epoch, self.best_loss, self.epochs_since_best = self._epochs, val_loss, 0
            self.best_weights = weights() if self.keep_weights else None
        else:
            self.epochs_since_best += 1
        return False


class EarlyStopping(BestEpoch):
    """Stop when the validation loss has not improved for `patience` epochs; always keeps the best weights."""

    def __init__(self, patience: int):
        if patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {patience}")
        self.patience = patience
        super().__init__(keep_weights=True)

    def update(self, val_loss: float, weights: Callable[[], list]) -> bool:
        super().update(val_loss, weights)
        return self.epochs_since_best >= self.patience
