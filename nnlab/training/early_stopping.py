"""The best epoch so far (BestEpoch) and early stopping (EarlyStopping), both by validation loss:
hooks of the Trainer (training/hooks.py).

As Keras' EarlyStopping callback with monitor="val_loss", min_delta=0 and restore_best_weights:
the best epoch's weights are kept so the trainer can put them back at the end — after early
stopping, or when a Stop asks to keep the best epoch (`restore_at_end`).
"""
from __future__ import annotations

import math
from typing import Callable

from nnlab.training.hooks import Ending, Hook
from nnlab.core.status import Status


class BestEpoch(Hook):
    """The epoch with the lowest validation loss so far and, if `keep_weights`, a copy of its weights.
    `max_params`: the network size above which weights are not kept, said in the message."""

    def __init__(self, keep_weights: bool = True, *, model=None, max_params: int | None = None):
        self.keep_weights, self.model, self.max_params = keep_weights, model, max_params
        # Set by a Stop that asks for the best epoch (under the Trainer's lock, before the run ends);
        # read by on_train_end in the training thread once the run has ended.
        self.restore_at_end = False
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

    def on_epoch_end(self, epoch: int, row: dict) -> Ending | None:
        if self.update(row["val_loss"], self.model.get_weights):
            return Ending(Status.EARLY_STOPPED, (
                f"Early stopping after epoch {epoch}: no better validation loss for {self.epochs_since_best} "
                f"epochs; the weights of the best epoch ({self.best_epoch}) were restored."))
        return None

    def on_train_end(self, model, history: list[dict], status: Status) -> str:
        """After a Stop that asked for them, put the best epoch's weights back; that epoch's history
        row says so (its "restored" is 1). Words for the run's message."""
        if not self.restore_at_end:
            return ""
        best, kept = self.best_epoch, len(history)
        if not best:
            return " No epoch had a finite validation loss, so there were no best weights to keep."
        if self.best_weights is None:
            return (f" The weights of the best epoch ({best}) were not kept: this network has more than "
                    f"{self.max_params:,} parameters, so the last epoch's weights are tested.")
        model.set_weights(self.best_weights)
        history[best - 1]["restored"] = 1
        return (f" Restored to epoch {best}, the lowest validation loss ({self.best_loss:.4g})"
                + (": the model is tested and saved as it was then." if best < kept else ", the last epoch itself."))


class EarlyStopping(BestEpoch):
    """Stop when the validation loss has not improved for `patience` epochs; always keeps the best weights."""

    def __init__(self, patience: int, *, model=None):
        if patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {patience}")
        self.patience = patience
        super().__init__(keep_weights=True, model=model)

    def update(self, val_loss: float, weights: Callable[[], list]) -> bool:
        super().update(val_loss, weights)
        return self.epochs_since_best >= self.patience

    def on_train_end(self, model, history: list[dict], status: Status) -> str:
        if status == Status.EARLY_STOPPED and self.best_weights is not None:
            model.set_weights(self.best_weights)  # the message already says so
            return ""
        return super().on_train_end(model, history, status)
