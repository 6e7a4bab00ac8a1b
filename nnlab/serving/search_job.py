"""A search as ONE request to the scheduler: its trials train one after another on one slot.

SearchJob is a sweep whose next run the sampler picks: it asks the Optuna study for a trial, trains
it as an nnlab run (a TrainingJob, saved in the store, labelled "<study> · trial <n>"), reports each
epoch's validation figure and lets the pruner cut it, then tells the study how it ended. Stop,
abandonment (nobody watched the page) and the time limit end the trial in progress within one batch;
every finished trial stays in the study and in the store. The page, the CLI and worker processes on
other machines all drive it the same way.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from typing import Callable

from nnlab.training import budget
from nnlab.core.errors import UserError
from nnlab.serving.jobs import SweepJob, TaggedStore, TrainingJob
from nnlab.store.runs import RunStore
from nnlab.serving.scheduler import Scheduler
from nnlab.search.study import (Objective, SearchPlan, config_for, guarded, knob_settings_text, largest, median_at,
                          objective_for, open_study, pruned_message, shown_name, trial_label)
from nnlab.core.status import Status

log = logging.getLogger(__name__)
TOLD = (Status.COMPLETED, Status.EARLY_STOPPED, Status.DIVERGED)  # ended on their own: their figure counts


class SearchJob(SweepJob):
    """Up to `plan.trials` trials of the study `key` in the database `url`, one after another. Its bulletin
    hears its trials' news (their epochs, progress, status) and is published as each trial is told to the
    study and as the search ends: its page's live view (serving/live_answer.search_answer)."""

    live_view = "search"

    def __init__(self, plan: SearchPlan, *, url: str, key: str, load: Callable, store: RunStore | None,
                 owner: str = "", page_limits: bool = True, scheduler: Scheduler | None = None,
                 abandon_seconds: float | None = None, on_trial: Callable[[TrainingJob, dict, float | None], None] | None = None):
        super().__init__([], scheduler=scheduler, abandon_seconds=abandon_seconds)
        if page_limits:
            plan.within_page_limits()
        self.owner = owner
        self.plan, self.url, self.key, self.name = plan, url, key, shown_name(key)
        self._load, self._store, self._page_limits, self._on_trial = load, store, page_limits, on_trial
        self.study = None
        self.objective: Objective | None = None
        self.task = ""
        self.dataset = None  # its data, loaded by prepare()
        self.trials: list[int] = []  # the numbers of this job's trials, told to the study
        self.told: list[dict] = []  # each told trial as its live view's table shows it (serving/live_answer.py)
        self.message = ""
        self.failed = False
        self.started_at: float | None = None
        self._stopping = False
        self._over = threading.Event()

    @property
    def done(self) -> bool:
        return self._over.is_set()

    @property
    def workspace(self) -> str:
        """The workspace its trials are saved in ("" when they are not being saved)."""
        return self._store.workspace if self._store is not None else ""

    @property
    def current(self) -> TrainingJob | None:
        """The trial training now."""
        return next((job for job in reversed(self.jobs) if not job.done), None)

    def stop(self) -> None:
        """End the trial in progress within one batch and start no other; finished trials stay."""
        self._stopping = True
        super().stop()

    def eta(self) -> float | None:
        seconds = [row["seconds"] for job in self.jobs for row in job.history]
        if not seconds:
            return None
        per_epoch = sum(seconds) / len(seconds)
        current = self.current
        left = per_epoch * (self.plan.trials - len(self.jobs)) * self.plan.base.epochs
        left += (current.eta() or 0.0) if current is not None else 0.0
        if self.plan.minutes and self.started_at is not None:
            left = min(left, max(0.0, self.started_at + self.plan.minutes * 60 - time.monotonic()))
        return left

    def best(self) -> dict | None:
        """The study's best trial so far (from every worker): its figure, knobs and run."""
        import optuna

        finished = [t for t in self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))]
        if not finished:
            return None
        pick = max if self.objective.maximize else min
        trial = pick(finished, key=lambda t: t.value)
        return {"trial": trial.number, "value": trial.value, "params": dict(trial.params),
                "run_id": trial.user_attrs.get("run_id")}

    def run(self) -> None:
        try:
            super().run()
        finally:
            if not self.message:
                self.message = self._ending()
            self._over.set()
            self.bulletin.publish()

    # --- inside ---------------------------------------------------------------------------------

    def _queue_up(self) -> None:
        self.prepare()
        super()._queue_up()

    def prepare(self) -> None:
        """Load the data, check that the costliest trial the space allows fits the compute budget, open the
        study (a UserError for a database that cannot be used): what is checked before it queues."""
        probe = TrainingJob(largest(self.plan.base, self.plan.space), self._load)
        measured = probe.measure()
        if self._page_limits:
            try:
                budget.check(*measured)
            except UserError as error:
                raise UserError(f"The largest network this search may try (most layers and neurons, smallest "
                                f"batch) is too big for this server: {error} Narrow the ranges.") from None
        self.task = probe.dataset.task
        self.objective = objective_for(self.task)
        self.study = open_study(self.url, self.key, self.plan, self.task)
        self.dataset = probe.dataset

    def _train(self) -> None:
        self.started_at = time.monotonic()
        deadline = self.started_at + self.plan.minutes * 60 if self.plan.minutes else math.inf
        try:
            while (len(self.trials) < self.plan.trials and not self._stopping and time.monotonic() < deadline
                   and not self._grid_done()):
                self._trial(deadline)
        except UserError as error:
            self.failed, self.message = True, str(error)
        except Exception as error:  # noqa: BLE001 - the search ends with a message, never a crashed page
            log.error("search failed", exc_info=error)
            self.failed = True
            self.message = f"The search failed unexpectedly ({type(error).__name__}); the details are in the server's log."

    def _trial(self, deadline: float) -> None:
        trial = guarded(self.url, self.study.ask)
        try:
            params = {name: found.suggest(trial) for name, found in self.plan.space.items()}
        except ValueError as error:  # the study holds another range for a knob
            guarded(self.url, lambda: self.study.tell(trial, state=_state("FAIL")))
            raise UserError(f"the study {self.name!r} was searched with other ranges ({error}); give this search "
                            f"a new study name") from None
        store = TaggedStore(self._store, {"study": self.name, "trial": trial.number}) if self._store else None
        job = TrainingJob(config_for(self.plan.base, params), self._load, store=store,
                          label=trial_label(self.key, trial.number), keep_model=False, owner=self.owner)
        job.set_group(self)
        self.jobs.append(job)
        try:
            job.measure()
            if job.begin():
                if job.run_id:
                    trial.set_user_attr("run_id", job.run_id)
                self._epochs(trial, job, deadline)
        finally:
            if job.status == Status.RUNNING:  # the study's database failed mid-trial
                job.stop_as(Status.FAILED, f"The search ended during this trial (its study could not be "
                                           f"saved); its {len(job.history)} epochs are kept.")
                job.end()
            job.end_unbegun()
        self._tell(trial, job, params)
        job.predictions = None  # a search keeps many trials: let go of what the page does not show
        if job.result is not None:
            job.result.model = None

    def _epochs(self, trial, job: TrainingJob, deadline: float) -> None:
        """Train epoch after epoch, reporting each; the pruner or the time limit may end it early."""
        while True:
            before = len(job.history)
            going = job.train_epoch()
            if len(job.history) > before:
                epoch, value = len(job.history), job.history[-1].get(self.objective.column)
                if isinstance(value, (int, float)) and math.isfinite(value):  # NaN once diverged: nothing to compare
                    guarded(self.url, lambda: trial.report(float(value), epoch))
                    if going and guarded(self.url, trial.should_prune):
                        median = median_at(self.study, epoch, trial.number) if self.plan.pruner == "median" else None
                        job.stop_as(Status.PRUNED, pruned_message(self.plan.pruner, epoch, self.objective,
                                                                  value, median))
                        going = False
            if going and time.monotonic() >= deadline:
                job.stop_as(Status.STOPPED, f"Stopped after epoch {len(job.history)}: the search's "
                                            f"{self.plan.minutes:g} minutes were up; its epochs are kept.")
                going = False
            if not going:
                break
        if job.status == Status.RUNNING:
            job.end()

    def _tell(self, trial, job: TrainingJob, params: dict) -> None:
        value = self.objective.best(job.history)
        trial.set_user_attr("status", str(job.status))
        if job.status == Status.PRUNED:
            guarded(self.url, lambda: self.study.tell(trial, state=_state("PRUNED")))
        elif job.status in TOLD and value is not None:
            guarded(self.url, lambda: self.study.tell(trial, value))
        else:  # stopped, abandoned or failed: no figure to learn from
            guarded(self.url, lambda: self.study.tell(trial, state=_state("FAIL")))
        self.told.append(told_trial(trial.number, job, params, value if job.status in TOLD else None, self.objective))
        self.trials.append(trial.number)
        self.bulletin.publish()  # a trial told: its live view draws the trials so far again
        if self._on_trial:
            self._on_trial(job, params, value)

    def _grid_done(self) -> bool:
        """A grid search ends when every combination was tried (by any worker)."""
        return (self.plan.sampler == "grid"
                and len(guarded(self.url, lambda: self.study.get_trials(deepcopy=False))) >= self.plan.grid_size())

    def _ending(self) -> str:
        done = len(self.trials)
        trials = f"{done} trial{'s' if done != 1 else ''}"
        if self.abandoned:
            return f"Stopped after {trials}: nobody watched the search for {self.abandon_seconds:g} s (the page was closed)."
        if self._stopping:
            return f"Stopped by you after {trials}; every finished trial is kept."
        if done >= self.plan.trials:
            return f"Finished: {trials}."
        if self.plan.sampler == "grid" and self.study is not None and self._grid_done():
            return f"Finished: {trials}; every combination of the grid has been tried."
        return f"Stopped after {trials}: the search's {self.plan.minutes:g} minutes were up."

    def _fail_all(self, error: Exception) -> None:
        super()._fail_all(error)
        self.failed = True
        self.message = str(error) if isinstance(error, UserError) else (
            f"The search could not start ({type(error).__name__}); the details are in the server's log.")
        if not isinstance(error, UserError):
            log.error("search could not start", exc_info=error)
        self._over.set()
        self.bulletin.publish()


def _state(name: str):
    import optuna

    return optuna.trial.TrialState[name]


def told_trial(number: int, job: TrainingJob, params: dict, value: float | None, objective: Objective) -> dict:
    """A trial told to the study, as the search's live view lists it: its number, what became of it, its figure
    (words, and the number for "best so far"), the epochs it trained and its knobs' values."""
    state = "pruned" if job.status == Status.PRUNED else "complete" if value is not None else str(job.status).replace("_", " ")
    return {"trial": number, "state": state, "value": value, "shown": objective.shown(value) if value is not None else "",
            "epochs": len(job.history), "settings": knob_settings_text(params)}
