"""What a task is measured by: accuracy for classification, mean absolute error for regression."""
from __future__ import annotations

CLASSIFICATION, REGRESSION = "classification", "regression"


def metric_name(task: str) -> str:
    """The figure recorded next to the loss in each history row ("val_" + it for validation)."""
    return "accuracy" if task == CLASSIFICATION else "mae"


def metric_names(task: str) -> tuple[str, str]:
    """(metric, validation metric)."""
    metric = metric_name(task)
    return metric, f"val_{metric}"
