"""The end of a run trained on a worker (issue 25) as its page gets it, read from the store without
TensorFlow: its figures and verdict, and the predictions and inside views its worker made from the model and
kept with the run (training/end_views.py). The model itself is loaded only when the visitor needs it (a weight
set by hand): loading it on the web server imported TensorFlow and held a cold server's pages ≈16 s."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from nnlab.core.status import Status
from nnlab.store.runs import RunStore

log = logging.getLogger(__name__)


@dataclass
class RunEnd:
    result: object  # training/run_result.RunResult, without its model
    predictions: object | None  # verdict/predictions.TestPredictions
    inside: object | None  # training/inside.InsideSnapshot
    model_kept: bool  # its model is in the store (`load_model`)


def read(store: RunStore, run_id: str, config, history: list[dict], status: Status, message: str) -> RunEnd:
    """The ended run `run_id` of `store`, as a run trained here ends: `history` as its page holds it."""
    from nnlab.training import end_views
    from nnlab.training.run_result import RunResult
    from nnlab.verdict.diagnose import diagnose_saved

    run = store.load(run_id)
    verdict = diagnose_saved(run.history, config=config, task=run.task, recorded=run.verdict)
    result = RunResult(config, list(history), status, message, dict(run.test), verdict, run.params,
                       run.seconds / max(1, run.epochs_run), run.task)
    blob = store.end_views(run_id) if history else None
    try:
        predictions, inside = end_views.decode(blob) if blob else (None, None)
    except ValueError as error:  # damaged, or a newer worker's: the run without them
        log.warning("run %s: its end views cannot be read (%s)", run_id, error)
        predictions, inside = None, None
    return RunEnd(result, predictions, inside, run.has_model)


def load_model(store: RunStore, run_id: str):
    """The run's trained model from the store, or None if it was not kept (TensorFlow loads here)."""
    from nnlab.training.inside import load_model_bytes

    blob = store.model_bytes(run_id)
    return load_model_bytes(blob) if blob else None
