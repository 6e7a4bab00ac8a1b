"""The Trainer's hooks, in the manner of Keras callbacks: each feature woven around the training
loop is an object of its own that the loop calls at the same points.

`on_epoch_begin(epoch)` before an epoch's first batch; `on_epoch_end(epoch, row)` once the epoch's
history row is complete, returning an `Ending` to end the run (as a Keras callback sets
`model.stop_training`); `on_train_end(model, history, status)` in `Trainer.finish`, before the test, returning
words to add to the run's message. The hooks: `early_stopping.BestEpoch` / `EarlyStopping` (the best
epoch's weights), `layer_stats.LayerStatistics`, `learning_rates.LearningRates`; the stop/step gate
(`step_gate.StepGate`) is read inside the compiled loop rather than between epochs.
"""
from __future__ import annotations

from dataclasses import dataclass

from nnlab.core.status import Status


@dataclass(frozen=True)
class Ending:
    """A hook's reason to end the run after this epoch."""
    status: Status
    message: str


class Hook:
    """Does nothing at every point: a hook overrides the points it cares about."""

    def on_epoch_begin(self, epoch: int) -> None:
        return None

    def on_epoch_end(self, epoch: int, row: dict) -> Ending | None:
        return None

    def on_train_end(self, model, history: list[dict], status: Status) -> str:
        return ""
