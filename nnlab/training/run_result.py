"""A run's result: its settings, history, end, test figures, verdict and model. Apart from the loop
(training/train.py) so that a run trained elsewhere (a worker, issue 25) is described without TensorFlow."""
from __future__ import annotations

from dataclasses import dataclass, field

from nnlab.config.run_config import RunConfig
from nnlab.core.jsonsafe import json_safe
from nnlab.core.status import Status
from nnlab.verdict.diagnose import Verdict


@dataclass
class RunResult:
    config: RunConfig
    history: list[dict]  # one dict per completed epoch, see `core/tasks.metric_names`
    status: Status  # completed, stopped, early_stopped or diverged (or a status given to Trainer.stop)
    message: str  # why training ended, in words
    test: dict  # test-set figures: {"loss": …, "accuracy": …} or {"loss": …, "mae": …}
    verdict: Verdict
    params: int
    seconds_per_epoch: float
    task: str
    steps: int = 0  # gradient steps (mini-batches) taken, the partial epoch of a Stop included
    model: object | None = field(default=None, repr=False)

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    def to_dict(self) -> dict:
        """Everything but the model, as JSON-ready values (NaN and infinity become None)."""
        return {
            "status": self.status, "message": self.message, "epochs_run": self.epochs_run,
            "task": self.task, "history": json_safe(self.history), "test": json_safe(self.test),
            "verdict": self.verdict.to_dict(), "params": self.params, "steps": self.steps,
            "seconds_per_epoch": json_safe(self.seconds_per_epoch), "config": self.config.to_dict(),
        }
