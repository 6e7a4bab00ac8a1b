"""What a browser watching a run (or a race's or sweep's runs) live is told: the epochs since its cursor
and where each run stands.

Pure and strict JSON (NaN → null, core/jsonsafe), built on demand by the live route (ui/live_route.py)
from TrainingJobs' plain attributes; bounded in size (at most MAX_ROWS epochs in all, only the curves'
fields), and in plain text only: the browser sets it with textContent, never as HTML."""
from __future__ import annotations

import math
import weakref

from nnlab.config.rate_marks import RateMarks
from nnlab.core.jsonsafe import json_safe
from nnlab.core.status import Status
from nnlab.core.tasks import metric_names
from nnlab.verdict.diagnose import baseline_loss, live_finding

MAX_ROWS = 2000  # epochs per answer (all runs together): the browser asks again at once for the rest
MAX_MARKS = 100  # rates changed by hand drawn on the live curves (one a click: far more than a chart can show)
MAX_CURVE_POINTS = 500  # a fitted curve's points per answer (concepts/approximation.fitted_curve has 200)
_marks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # run (job) → its config/rate_marks.RateMarks
ROW_FIELDS = ("epoch", "loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae", "learning_rate")


def live_answer(job, after: int) -> dict:
    """The epochs after the first `after` (at most MAX_ROWS), the run's progress in words and as a
    fraction, whether everything has been told (`done`: the run has ended and the cursor is at its end),
    its pause (`hold`) and its live verdict (`verdict`, and `verdict_state`: the page reruns when it changes),
    and the rates changed by hand up to the cursor (`marks`, rate_marks_of)."""
    ended = job.done
    progress = _progress(job, after, MAX_ROWS)
    return {
        **progress,
        "paused": bool(not ended and job.paused),
        "hold": hold_state(job),
        **_verdict_fields(live_verdict(job)),
        "warnings": [str(warning) for warning in job.warnings][:5],
        "curve": fitted_curve_of(job),
        "marks": rate_marks_of(job, progress["next"]),
    }


def rate_marks_of(job, upto: int) -> list[dict]:
    """The learning rate, L1 or L2 set by hand during the run's first `upto` epochs, as the final charts mark
    them (config/rate_marks): {"epoch", "short", "label"}, at most MAX_MARKS. The whole list each time: the
    browser draws it as it is, whichever epochs it fetched before a rerun. Each run's history is read once,
    as it grows (_marks)."""
    marks = _marks.get(job)
    if marks is None:
        marks = _marks.setdefault(job, RateMarks(job.config))
    return json_safe(marks.upto(job.history, upto)[:MAX_MARKS])


def fitted_curve_of(job) -> list | None:
    """The curve the network computes now, as [x, y] points (NaN as null), when the run's snapshot is one (a
    table of x and y: Universal approximation's concepts/approximation.fitted_curve); None otherwise."""
    table = job.snapshot
    if table is None or not hasattr(table, "columns") or not {"x", "y"} <= set(table.columns):
        return None
    table = table.head(MAX_CURVE_POINTS)
    return json_safe([[round(float(x), 6), round(float(y), 6)] for x, y in zip(table["x"], table["y"])])


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


def finder_answer(job, after: int = 0) -> dict:
    """The learning-rate finder's progress (serving/lr_finder_job.FinderJob): its words and fraction, and
    `done` once it has ended (its page then reruns once and draws the curve). No rows: the curve comes whole."""
    return {"rows": [], "next": 0, "done": job.done, "status": finder_progress_text(job),
            "fraction": round(min(1.0, job.progress / job.steps), 4) if job.steps else 0.0}


def finder_progress_text(job) -> str:
    """Where the learning-rate finder stands, in words: its place in the queue, the batch it is at, its end."""
    if job.status == Status.QUEUED:  # its message, if any, says why it may wait long (no worker is running)
        place = job.queue_position()
        waiting = f"Waiting for a free training slot ({f'number {place} in line' if place else 'next'})…"
        return f"{waiting} {job.message}" if job.message else waiting
    if not job.done:
        return f"Batch {job.progress} of {job.steps}…"
    return job.message or "The learning-rate finder has ended."


def search_answer(job, after: int, seen: int | None = None) -> dict:
    """A search's progress (serving/search_job.SearchJob) and its current trial's curves. Its trials' epochs
    read one after another make one sequence that only grows (a trial's history is frozen once the next
    begins): `after` counts the epochs of it the browser has seen, and the rows are the last trial's after
    that (all of them when the browser has not seen its start), tagged with its `trial` serial so the
    browser starts its curves again when the trial changes. The trials told so far and the best of them
    (`told`, `best`) come when the search's bulletin has moved since the version the browser `seen` (a trial
    told publishes), or the browser has seen none (0): it draws them, and the page does not rerun until the
    search ends."""
    trials = list(job.jobs)
    last = trials[-1] if trials else None
    start = sum(len(trial.history) for trial in trials[:-1])
    told = _progress(last, max(0, after - start), MAX_ROWS) if last is not None else {"rows": [], "next": 0}
    cursor = start + told["next"]
    done, planned = len(job.trials), job.plan.trials
    place = None if job.done else job.queue_position()
    waiting = f"Waiting for a free training slot: {ordinal(place)} in line (other visitors are training)." if place \
        else ""
    return {
        "place": f"{waiting} {job.message}".strip() if not job.done and job.message else waiting,  # no worker running
        "rows": told["rows"], "next": cursor, "done": job.done and cursor >= told_length(job),
        "status": (f"Study {job.name} · trial {min(done + 1, planned)} of up to {planned}" if not job.done
                   else f"Study {job.name} · {job.message}"),
        "fraction": round(min(1.0, done / planned), 4) if planned else 1.0,
        "trials_done": done,
        "trial": None if last is None else {key: told[key] for key in ("status", "fraction", "epochs", "metric")}
        | {"serial": last.serial, "label": last.label},
    } | ({} if seen and seen == job.bulletin.version else _trials_told(job))


def _trials_told(job) -> dict:
    """A search's trials told so far (at most its plan's trials: bounded by the server's search limit), newest
    first, and the best of them in words."""
    told = list(job.told)
    scored = [trial for trial in told if trial["value"] is not None]
    best = (max if job.objective.maximize else min)(scored, key=lambda trial: trial["value"]) if scored else None
    return {"told": told[::-1],
            "best": f"Best so far: {best['shown']} {job.objective.words}, trial {best['trial']}." if best else ""}


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


# What a browser watching one piece of work is told, by its kind (SlotWork.live_view).
_ANSWERS = {"run": live_answer, "finder": finder_answer, "search": search_answer}


def watchable(works: list) -> bool:
    """Whether a token may name these works: one run, finder or search, or a race's or sweep's runs."""
    return (len(works) == 1 and works[0].live_view in _ANSWERS) or all(work.live_view == "run" for work in works)


def answer_for(works: list, afters: list[int], seen: int | None = None) -> dict:
    """The live route's answer for the works a token names (watchable), each after its cursor; `seen`: the
    bulletin version the browser has drawn (a search sends its trials when it has moved)."""
    if len(works) > 1:
        return group_answer(works, afters)
    if works[0].live_view == "search":
        return search_answer(works[0], afters[0], seen)
    return _ANSWERS[works[0].live_view](works[0], afters[0])


def told_length(work) -> int:
    """How far a cursor can go in this work's answer: a run's epochs, a search's trials' epochs one after
    another (0 for work told without rows)."""
    if work.live_view == "search":
        return sum(len(trial.history) for trial in list(work.jobs))
    return len(work.history) if work.live_view == "run" else 0


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


def live_finding_of(job, evidence: dict | None = None, history: list[dict] | None = None):
    """The live verdict of the run so far (verdict/diagnose.live_finding; of `history`, a copy of its epochs,
    if given), or None; `evidence` receives what it saw (the onset of overfitting)."""
    dataset, history = job.dataset, list(job.history) if history is None else history
    if dataset is None or not history:
        return None
    return live_finding(history, task=dataset.task, chance=dataset.chance_accuracy,
                        baseline=baseline_loss(job.config.loss, dataset.task, dataset.n_classes), evidence=evidence)


def live_verdict(job, evidence: dict | None = None) -> dict | None:
    """The live verdict as the page and the live chart show it, or None: the finding's words, what Stop does
    (`advice`), the epoch of the lowest validation loss (`best`), whether "Stop and keep epoch N" can put its
    weights back (`keep`), and the overfitting's onset to mark on the curves (`onset`, or None)."""
    if job.done:
        return None
    seen = {} if evidence is None else evidence
    history = list(job.history)
    finding = live_finding_of(job, seen, history)
    if finding is None or not history:
        return None
    best = min(range(len(history)), key=lambda i: _finite_or_inf(history[i]["val_loss"])) + 1
    keep = bool(job.keeps_best_weights and math.isfinite(history[best - 1]["val_loss"]))
    advice = (f"“Stop and keep epoch {best}” ends training now and tests and saves the weights of epoch {best}, the "
              "lowest validation loss, instead of the last epoch's." if keep
              else "Press “Stop” to end it here; the epochs so far are kept.")
    return json_safe({"kind": finding.kind, "text": finding.text, "advice": advice, "best": best, "keep": keep,
                      "onset": seen.get("onset_epoch")})


def verdict_state(verdict: dict | None) -> str:
    """What the page draws of a live verdict (its kind and its Stop button), as a token that changes when the
    page must be drawn again ("" without one): the live chart draws the words itself and asks for one rerun
    only when this differs from what its page drew."""
    return "" if verdict is None else f"{verdict['kind']}|{verdict['best']}|{int(verdict['keep'])}"


def _verdict_fields(verdict: dict | None) -> dict:
    return {"verdict": verdict, "verdict_state": verdict_state(verdict)}


def _finite_or_inf(value) -> float:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else math.inf
