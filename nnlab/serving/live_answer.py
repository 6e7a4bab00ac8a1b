"""What a browser watching a run (or a race's or sweep's runs) live is told: the epochs since its cursor
and where each run stands.

Pure and strict JSON (NaN → null, core/jsonsafe), built on demand by the live route (ui/live_route.py)
from TrainingJobs' plain attributes; bounded in size (at most MAX_ROWS epochs in all, only the curves'
fields), and in plain text only: the browser sets it with textContent, never as HTML."""
from __future__ import annotations

import math

from nnlab.core.jsonsafe import json_safe
from nnlab.core.status import Status
from nnlab.core.tasks import metric_names
from nnlab.verdict.diagnose import baseline_loss, live_finding

MAX_ROWS = 2000  # epochs per answer (all runs together): the browser asks again at once for the rest
ROW_FIELDS = ("epoch", "loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae", "learning_rate")


def live_answer(job, after: int) -> dict:
    """The epochs after the first `after` (at most MAX_ROWS), the run's progress in words and as a
    fraction, whether everything has been told (`done`: the run has ended and the cursor is at its end),
    and whether the page is needed (a pause, a live verdict)."""
    ended = job.done
    return {
        **_progress(job, after, MAX_ROWS),
        "paused": bool(not ended and job.paused),
        "hold": hold_state(job),
        "finding": bool(not ended and live_finding_of(job) is not None),
        "warnings": [str(warning) for warning in job.warnings][:5],
    }


def group_answer(jobs, afters: list[int]) -> dict:
    """A race's or sweep's runs, each after its own cursor, MAX_ROWS epochs in all (the first runs' first:
    the browser asks again at once for the rest); `done` once every run has ended and been told whole; the
    task's metric from the first run whose data has loaded (None before)."""
    runs, budget = [], MAX_ROWS
    for job, after in zip(jobs, afters):
        runs.append(_progress(job, after, budget))
        budget -= len(runs[-1]["rows"])
    loaded = [job.dataset.task for job in jobs if job.dataset is not None]
    return {"runs": runs, "done": all(run["done"] for run in runs), "metric": metric_names(loaded[0])[0] if loaded else None}


def _progress(job, after: int, limit: int) -> dict:
    history = job.history
    rows = [json_safe({name: row[name] for name in ROW_FIELDS if name in row}) for row in history[after:after + limit]]
    cursor = after + len(rows)
    task = job.dataset.task if job.dataset is not None else "classification"
    ended = job.done
    return {
        "rows": rows,
        "next": cursor,
        "done": ended and cursor >= len(history),
        "ended": ended,
        "status": progress_text(job),
        "fraction": round(fraction(job), 4),
        "epochs": job.config.epochs,
        "metric": metric_names(task)[0],
    }


def hold_state(job) -> str:
    """What a paused run's page shows of its pause, as a token that changes when the page must be drawn
    again ("" while the run is not paused): holding or still reaching its hold, the steps taken, the epochs,
    and the pause's allowance (to the minute; the last minute by ten seconds). The live chart compares it
    with the one its page drew and asks for one rerun when they differ: a step done, a pause or a resume
    from another tab, someone waiting for a slot, a minute gone."""
    if job.done or not job.paused:
        return ""
    left = max(0.0, job.pause_limit() - job.paused_seconds())
    allowance = f"{math.ceil(left / 60)}m" if left >= 60 else f"{math.ceil(left / 10)}0s"
    return f"{int(job.holding)}|{job.steps_taken}|{len(job.history)}|{job.pause_limit():.0f}|{allowance}"


def fraction(job) -> float:
    """How much of the run is done, the epoch in progress included."""
    epoch, done, total = job.progress
    finished = len(job.history)
    partial = done / total if total and epoch > finished else 0.0
    return min(1.0, (finished + partial) / job.config.epochs)


def progress_text(job) -> str:
    """Where the run stands, in words: its place in the queue, its epoch and the time left, or how
    long it took (its end's message once it ended without an epoch)."""
    if job.status == Status.QUEUED:
        place, wait = job.queue_position(), job.wait_estimate()
        if place is None:  # its race or sweep holds a slot: the runs before it train first
            return "Waiting for its turn: the runs before it train first…"
        where = f"{ordinal(place)} in line" if place else "next"
        estimate = f", about {wait:.0f} s" if wait is not None and math.isfinite(wait) else ""
        return f"Waiting for a free training slot: {where}{estimate} (other runs are training on this server)…"
    if not job.done and job.paused:  # no clock while it holds: neither the time trained nor the time left moves
        epoch, _, _ = job.progress
        return f"Epoch {max(epoch, 1)} / {job.config.epochs} · paused"
    if not job.done:
        epoch, _, _ = job.progress
        eta = job.eta()
        left = f" · about {eta:.0f} s left" if eta is not None else ""
        return f"Epoch {max(epoch, 1)} / {job.config.epochs} · {job.elapsed():.0f} s{left}"
    if job.history:
        seconds = [row["seconds"] for row in job.history]
        return (f"{len(seconds)} epoch{'s' if len(seconds) != 1 else ''} in {job.elapsed():.0f} s · "
                f"{sum(seconds) / len(seconds):.2f} s per epoch")
    return job.message


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def live_finding_of(job):
    """The live verdict of the run so far (verdict/diagnose.live_finding), or None."""
    dataset, history = job.dataset, list(job.history)
    if dataset is None or not history:
        return None
    return live_finding(history, task=dataset.task, chance=dataset.chance_accuracy,
                        baseline=baseline_loss(job.config.loss, dataset.task, dataset.n_classes))
