"""Step mode on the live panel: pause a run, train one batch or one epoch at a time, resume.

Slow motion for a projector: the curves, the weights images and the neuron maps wait while the
teacher explains, and move one step at a time. A paused run keeps its training slot, so it stops
itself once paused NNLAB_MAX_PAUSE_MINUTES in all (`TrainingJob.max_pause_seconds`), steps included,
or sooner while another visitor waits (the visitor is told, with the time left).
"""
from __future__ import annotations

import streamlit as st

from nnlab.serving.jobs import TrainingJob
from nnlab.core.tasks import metric_name

START_PAUSED = "start_paused"  # session key of the Train page's toggle


def start_paused_toggle(container=st) -> bool:
    """The Train page's "Start paused" switch: the run holds before its first batch."""
    return container.toggle("Start paused (step mode)", key=START_PAUSED,
                            help="The run waits before its first batch: then train one batch or one epoch at a "
                                 "time and watch the curves and the network change.")


def step_controls(job: TrainingJob, key: str, container=st) -> None:
    """Pause, or (paused) One batch / One epoch / Resume, with where the run stands."""
    if job.done:
        return
    if not job.paused:
        container.button("Pause", key=f"{key}pause", icon=":material/pause:", on_click=job.pause, width="stretch",
                         help="Hold training after the batch in flight, then go on one batch or one epoch at a time.")
        return
    batch, epoch, resume = container.columns(3)
    waiting = not job.holding  # queued, compiling, or finishing the batch in flight: steps would be lost
    seen = {"seen": job.steps_taken}  # one click, one step past what this page shows, even if delivered twice
    batch.button("One batch", key=f"{key}step_batch", icon=":material/skip_next:", on_click=job.step_batch,
                 kwargs=seen, width="stretch", disabled=waiting,
                 help="Train on one more mini-batch (one gradient step), then hold.")
    epoch.button("One epoch", key=f"{key}step_epoch", icon=":material/fast_forward:", on_click=job.step_epoch,
                 kwargs=seen, width="stretch", disabled=waiting,
                 help="Train to the end of this epoch (a whole epoch if it has not begun), then hold.")
    resume.button("Resume", key=f"{key}resume", icon=":material/play_arrow:", on_click=job.resume, width="stretch",
                  help="Train on at full speed.")
    container.caption(where(job))


def where(job: TrainingJob) -> str:
    """Where a paused run stands, in words."""
    if not job.holding:
        return "Pausing: the run holds before its next batch (once it has its training slot and is compiled)."
    partial, done = job.partial, len(job.history)
    limit = " " + pause_allowance(job)
    if not partial or not partial.get("batch"):
        return (f"Paused after epoch {done}." if done else "Paused before the first batch.") + limit
    metric = metric_name(job.dataset.task) if job.dataset is not None else "accuracy"
    value = partial.get(metric)
    shown = f"{value:.1%}" if metric == "accuracy" and value is not None else f"{value:.4g}"
    return (f"Paused in epoch {partial['epoch']} after batch {partial['batch']} of {partial['batches']}: this epoch so "
            f"far, loss {partial['loss']:.4g} and {metric} {shown} (the curves show whole epochs)." + limit)


def pause_allowance(job: TrainingJob) -> str:
    """How long the run may stay paused, in words: it holds a training slot meanwhile."""
    left = max(0.0, job.pause_limit() - job.paused_seconds())
    others = "Another visitor is waiting for a training slot, so a" if job.pause_limit() < job.max_pause_seconds else "A"
    return (f"{others} paused run stops by itself once paused {_minutes(job.pause_limit())} in all, steps included "
            f"(it holds a training slot; {_minutes(job.max_pause_waited_seconds)} when someone waits): "
            f"{_minutes(left)} left.")


def _minutes(seconds: float) -> str:
    if seconds >= 60:
        return f"{seconds / 60:.0f} minute{'' if round(seconds / 60) == 1 else 's'}"
    return f"{seconds:.0f} second{'' if round(seconds) == 1 else 's'}"
