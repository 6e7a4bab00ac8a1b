"""Work handed to the workers through the queue (issue 25): the sending side, used by the CLI's
`train --queue` and by the pages (a run, a race, a sweep, a group of seeds, the finder, a search).

`submit` queues a piece of work in ONE transaction with the one-training-per-visitor rule: an advisory
lock on the visitor, a look for a job of theirs queued or training, the work's live row, and the
defer on the same connection. Two web servers racing for one visitor accept exactly one (20 of 20
races in the prototype); neither of procrastinate's locks alone gives "one queued or training".
`RemoteWork` then follows it from the database: the live row the worker writes, the queue's job.
"""
from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy import text

from nnlab.core.errors import UserError
from nnlab.core.status import FINISHED, Status
from nnlab.serving import queue_state, remote_end, work_spec
from nnlab.serving.remote_follower import TOUCH_SECONDS, follow
from nnlab.serving.jobs import TrainingJob
from nnlab.serving.lr_finder_job import FinderJob
from nnlab.serving.search_job import SearchJob
from nnlab.store import controls, database, live_state
from nnlab.store.runs import RunStore
from nnlab.training import budget, end_views

log = logging.getLogger(__name__)

ALREADY = ("You already have a run training or waiting for a worker on this deployment: stop it or wait for it "
           "to finish, then start this one.")
INSIDE_ASK_SECONDS = 5.0  # a page looking at a worker's run's inside views asks for them again this often


def submit(url: str, spec: dict, *, priority: int = 0) -> int:
    """Queue `spec` (serving/work_spec.py) for the workers; its job's id. A UserError if the visitor
    (`spec["owner"]`; "" for the CLI, not limited) already has work queued or training."""
    from nnlab.serving import queue_app  # procrastinate: loaded only where work goes to workers

    owner = spec.get("owner", "")
    lock = queue_app.VISITOR_LOCK + owner if owner else None
    with database.writing(RunStore(url).engine()) as connection:
        if lock:
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": lock})
            if queue_state.busy_job(connection, lock) is not None:
                raise UserError(ALREADY)
        live_state.open_work(connection, spec["key"], owner)
        job_id = _app().configure_task(queue_app.TASK, queue=queue_app.QUEUE, lock=lock, priority=priority,
                                       connection=connection.connection.driver_connection).defer(spec=spec)
        live_state.set_job(connection, spec["key"], job_id)
    return job_id


@dataclass
class RemoteWork:
    """A piece of work queued by `submit`, as its follower sees it."""

    url: str
    key: str
    job_id: int
    touched: float = 0.0  # when its follower last said it is still here (monotonic)
    # The queue's word on its job, read in the same query as the live row it judges (one look, every run of a race or
    # sweep): (that row, the job's status).
    _queue_word: tuple[object, str | None] = field(default=(None, None), init=False, repr=False)
    _stops_asked: set = field(default_factory=set, init=False, repr=False)  # Stop (and keep best) asked once, not once per run of a group

    def look(self) -> live_state.LiveState:
        """The worker's latest news (touching the work: its follower is still here)."""
        if time.monotonic() - self.touched >= TOUCH_SECONDS:
            self.touch()
        return self.read()

    def read(self) -> live_state.LiveState:
        """The worker's latest news, with the queue's word on its job (`status`) in the same query."""
        state, job = live_state.read_with_job(self.url, self.key)
        self._queue_word = (state, job)
        return state

    def touch(self) -> None:
        live_state.touch(self.url, self.key)
        self.touched = time.monotonic()

    def status(self, state: live_state.LiveState, index: int | None = None) -> Status:
        """The work's status (with `index`, that of its run at that place in a race or sweep): the worker's
        word, or the queue's for work no worker began."""
        told = Status(told_of(state, index).get("status", Status.QUEUED))
        if told in FINISHED:
            return told
        job = self._job_status(state)
        if job == "cancelled":
            return Status.STOPPED
        if job in queue_state.ENDED:  # a worker took it and ended without a last word (its database was lost)
            return Status.FAILED if told == Status.QUEUED else Status.INTERRUPTED
        return told

    def _job_status(self, state: live_state.LiveState) -> str | None:
        """The queue's word on the job as of `state`. A word read after the row would be newer than it: a race's
        first run took a moment to mirror its end, the job meanwhile succeeded, and its second run, judged on the
        row read before (still training), was said to have ended without a last word."""
        read_with, word = self._queue_word
        return word if read_with is state else queue_state.job_status(self.url, self.job_id)

    def place(self) -> int | None:
        return queue_state.place(self.url, self.job_id)

    def stop(self, keep_best: bool = False) -> None:
        """Stop it within a batch where it trains; still queued, it leaves the queue at once."""
        if keep_best in self._stops_asked:
            return
        self._stops_asked.add(keep_best)
        controls.ask(self.url, self.key, "stop", value=1.0 if keep_best else None)
        with database.writing(RunStore(self.url).engine()) as connection:
            _app().job_manager.cancel_job_by_id(self.job_id, connection=connection.connection.driver_connection)

    def ask(self, action: str, value: float | None = None, seen: int | None = None) -> None:
        controls.ask(self.url, self.key, action, value=value, seen=seen)


def told_of(state: live_state.LiveState, index: int | None) -> dict:
    """The worker's word on the run at `index` of a race or sweep (None: the work's own); the work's own where
    it told nothing of its runs (refused before it began, or queued)."""
    members = state.state.get("members") or []
    return members[index] if index is not None and index < len(members) else state.state


def start_group(group) -> object:
    """Queue a race, a sweep or a group of seeds (serving/jobs.RaceJob, SweepJob, SeedsJob) whose runs are
    RemoteTrainingJobs as ONE work for the workers, checked here first as in-process (its data, the compute
    budget its runs share), and follow it: its runs train on one worker slot as they would here, and each
    mirrors its own."""
    from nnlab.serving.jobs import SeedsJob, SweepJob

    runs = list(group.jobs)
    budget.check_together([job.measure() for job in runs])
    first = runs[0]
    kind = "sweep" if isinstance(group, SweepJob) else "seeds" if isinstance(group, SeedsJob) else "race"
    spec = work_spec.work_spec(kind, [(job.config, job.label, job.tags) for job in runs], owner=first.owner,
                               workspace=first.workspace, url=first.url)
    return _follow_group(group, RemoteWork(first.url, spec["key"], submit(first.url, spec)))


def _follow_group(group, work: RemoteWork):
    for index, job in enumerate(group.jobs):
        job.work, job.index = work, index
    group.touch()
    _FOLLOWED[work.key] = group
    threading.Thread(target=follow, args=(work, group, list(group.jobs)), name=f"nnlab-remote-{work.job_id}",
                     daemon=True).start()
    return group


_APP = None
_FOLLOWED: weakref.WeakValueDictionary[str, object] = weakref.WeakValueDictionary()  # key → this process's mirror (a run, a group)


def run_in_progress(url: str, owner: str, load, kind: str = "run"):
    """The visitor's run (`kind` "run": a RemoteTrainingJob) or group of seeds ("seeds": a SeedsJob of them)
    queued or training on the workers, for a page that lost its session (a closed or reloaded tab, or another
    web server): this process's mirror of it, or a new one. By its owner only, as serving/jobs.run_in_progress."""
    from nnlab.config.run_config import RunConfig
    from nnlab.serving import queue_app

    if not owner:
        return None
    with RunStore(url).engine().connect() as connection:
        row = connection.execute(text("SELECT id, args FROM procrastinate_jobs WHERE lock = :lock AND status IN "
                                      "('todo', 'doing') ORDER BY id DESC LIMIT 1"),
                                 {"lock": queue_app.VISITOR_LOCK + owner}).first()
    spec = (row.args or {}).get("spec") if row is not None else None
    if not spec or spec.get("kind") != kind:
        return None
    found = _FOLLOWED.get(spec["key"])
    if found is not None and not found.done:
        return found
    work = RemoteWork(url, spec["key"], row.id)

    def remote(config, label, extra):
        job = RemoteTrainingJob(config, load, url=url, workspace=spec["workspace"], owner=owner, label=label,
                                extra=extra)
        job.dataset = load(job.config)  # its predictions and inside views are made here at its end
        return job

    first = RunConfig.from_dict(spec["configs"][0])
    if kind == "run":
        return remote(first, spec["labels"][0], spec["extras"][0]).follow(work)
    from nnlab.serving.jobs import SeedsJob
    from nnlab.store.groups import GROUP, GROUP_LABEL

    tags = spec["extras"][0]
    group = SeedsJob(first, len(spec["configs"]), remote, label=tags.get(GROUP_LABEL, ""))
    group.group_id = tags.get(GROUP, group.group_id)  # the group its runs are kept in, not a new one
    return _follow_group(group, work)


def _app():
    """The process's App that only defers (through the caller's connection: no pool of its own)."""
    global _APP
    if _APP is None:
        from nnlab.serving.queue_app import build_app

        _APP = build_app()
    return _APP


class _OnWorkers:
    """What each mirror of work on the workers shares: queued and followed, its place and wait from the queue, Stop."""

    url: str
    work: RemoteWork | None

    def _queue(self, spec: dict):
        """Queue `spec` for the workers (a UserError if the visitor already trains) and follow it."""
        return self.follow(RemoteWork(self.url, spec["key"], submit(self.url, spec)))

    def follow(self, work: RemoteWork):
        """Mirror `work` (just queued, or found again by `run_in_progress`) from now on, in a thread."""
        self.work = work
        self.touch()
        self._thread = threading.Thread(target=follow, args=(work, self, [self]), name=f"nnlab-remote-{work.job_id}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, keep_best: bool = False) -> None:
        if self.work is not None and not self.done:
            self.work.stop(keep_best)

    def queue_position(self) -> int | None:
        return self.work.place() if self.work is not None and self.status == Status.QUEUED else None

    def wait_estimate(self) -> float | None:
        if self.work is None or self.status != Status.QUEUED:
            return None
        return queue_state.wait_estimate(self.url, self.work.job_id)


class RemoteTrainingJob(_OnWorkers, TrainingJob):
    """One run of a page trained on a worker: the same public face as a TrainingJob trained here (its
    history, status, progress, pause, warnings, then its result, predictions and inside views), mirrored
    from the database by a thread of the web process, and its buttons sent as requests. So a page — and
    the live route — shows it as a local run; only the worker's name, in its last message, tells."""


    def __init__(self, config, load, *, url: str, workspace: str, owner: str, label: str = "", extra: dict | None = None):
        super().__init__(config, load, label=label, owner=owner)
        self.url, self._workspace, self._extra = url, workspace, extra
        self.worker = ""
        self.work: RemoteWork | None = None
        self.index: int | None = None  # its place among the runs of its work (a race's, a sweep's); None: alone
        self._remote: dict = {}  # the worker's latest word on it (store/live_state.py's state)
        self._model_kept = False  # its worker kept its model in the store (loaded here only when needed)
        self.queued_at = time.monotonic()
        self._inside_asked, self._inside_read = -math.inf, 0  # when a page last asked for its inside views; the
        # worker's version of them read last

    @property
    def workspace(self) -> str:
        return self._workspace

    @property
    def tags(self) -> dict:
        """What its record is tagged with (a group of seeds, a class's share tick)."""
        return dict(self._extra or {})

    # --- what the page asks of it -----------------------------------------------------------------

    def start(self):
        """Check it here (its data, the compute budget), queue it for the workers (a UserError if the
        visitor already trains), then follow it in a thread."""
        budget.check_together([self.measure()])
        return self._queue(work_spec.run_spec(self.config, owner=self.owner, workspace=self._workspace,
                                              label=self.label, extra=self._extra, url=self.url))

    def follow(self, work: RemoteWork):
        self.work = work
        if self._pause_first:  # "Start paused": held before its first batch on the worker too
            self._ask("pause")
        _FOLLOWED[work.key] = self
        return super().follow(work)

    def pause(self) -> None:
        if self.work is None:
            self._pause_first = True
        self._ask("pause")

    def resume(self) -> None:
        self._ask("resume")

    def step_batch(self, seen: int | None = None) -> None:
        self._ask("step_batch", seen=seen)

    def step_epoch(self, seen: int | None = None) -> None:
        self._ask("step_epoch", seen=seen)

    def set_learning_rate(self, rate: float) -> None:
        self._ask_rates({"learning_rate": rate}, "the learning rate")

    def set_penalties(self, l1: float | None = None, l2: float | None = None) -> None:
        self._ask_rates({"l1": l1, "l2": l2}, "the regularization")

    def _ask_rates(self, rates: dict, what: str) -> None:
        """Send the rates given (None: unchanged) to the worker, checked here first as a local run checks them."""
        from nnlab.config.settings import SETTINGS

        if self.status != Status.RUNNING:
            raise UserError(f"This run is not training now: {what} can be changed while it trains.")
        asked = {name: rate for name, rate in rates.items() if rate is not None}
        for name, rate in asked.items():
            SETTINGS[name].check(rate)  # a ConfigError saying the allowed range
        for name, rate in asked.items():
            self._ask(name, value=float(rate))

    def beat(self) -> None:
        pass  # its worker beats the run's heartbeat

    @property
    def keeps_best_weights(self) -> bool:
        return False

    @property
    def paused(self) -> bool:
        asked = self._pause_first and self.status == Status.QUEUED
        return (bool(self._remote.get("paused")) or asked) and not self.done

    @property
    def holding(self) -> bool:
        return bool(self._remote.get("holding")) and not self.done

    @property
    def partial(self) -> dict:
        return dict(self._remote.get("partial") or {})

    @property
    def steps_taken(self) -> int | None:
        return self._remote.get("steps_taken")

    def paused_seconds(self) -> float:
        return float(self._remote.get("paused_seconds") or 0.0)

    def _ask(self, action: str, value: float | None = None, seen: int | None = None) -> None:
        if self.work is not None and not self.done:
            self.work.ask(action, value=value, seen=seen)

    def want_inside(self) -> None:
        """A page shows its inside views: the worker is asked to send them while it trains (renewed every
        INSIDE_ASK_SECONDS while someone looks; unwatched, they cost the database nothing), and the newest it sent
        is read here (store/live_state.read_views)."""
        if self.done or self.work is None or self.status != Status.RUNNING:
            return
        now = time.monotonic()
        if now - self._inside_asked >= INSIDE_ASK_SECONDS:
            self._inside_asked = now
            try:
                self._ask("inside")
            except Exception:  # noqa: BLE001 - the database away: the views wait, the run goes on
                return
        sent = int(self._remote.get("inside_version") or 0)
        if sent > self._inside_read:
            self._inside_read = sent
            try:
                found = live_state.read_views(self.url, self.work.key, self.index or 0)
                inside = end_views.decode(found[1])[1] if found else None
            except Exception:  # noqa: BLE001 - damaged, or the database away: the next views sent replace them
                return
            if inside is not None and not self.done:
                self.inside = inside
                self.inside_version += 1
                self.bulletin.publish()

    # --- the mirror (serving/remote_follower's thread) ----------------------------------------------

    def mirror(self, state: live_state.LiveState, told: int | None, no_worker: str | None) -> None:
        """Take the worker's latest word on this run (`told`: the row's version it took last time; `no_worker`:
        the words that no worker is running, while it waits for one)."""
        status = self.work.status(state, self.index)
        news = told_of(state, self.index)
        self._remote, self.worker = news, state.worker
        self.run_id = news.get("run_id") or (state.run_id if self.index is None else None)
        self.progress = tuple(news.get("progress") or self.progress)
        self.warnings[:] = list(news.get("warnings") or []) + ([no_worker] if no_worker else [])
        saved = news.get("saved_epochs", news.get("epochs"))  # the store has more: read them (older workers: "epochs")
        if self.run_id and int(saved or 0) > len(self.history) or status in FINISHED:
            self._catch_up()
        if status in FINISHED:
            if not self.done:
                said = news.get("status") in {str(ended) for ended in FINISHED}
                self._end(status, news.get("message", "") if said else queue_state.NO_LAST_WORD)
            return
        if status == Status.RUNNING and self.started is None:
            self.started = time.time()
        if status != self.status:
            self.status = status  # publishes
        elif state.version != told:
            self.bulletin.publish()

    def _catch_up(self) -> None:
        """The epochs the worker kept since the last look, appended as a local run appends them."""
        if not self.run_id:
            return
        store = RunStore(self.url, self._workspace)
        rows, stats = store.epochs_after(self.run_id, len(self.history))
        if rows and rows[0]["epoch"] != len(self.history) + 1:  # not the next ones (rewritten?): all of them again
            rows, stats = store.epochs_after(self.run_id, 0)
            self.history[:], self.layer_stats[:] = rows, stats
        else:
            self.history.extend(rows)
            self.layer_stats.extend(stats)

    def _end(self, status: Status, message: str) -> None:
        """Its result as a local run's, read from the store without TensorFlow (serving/remote_end.py)."""
        self.message = f"{message} Trained on worker {self.worker}." if self.worker else message
        if self.run_id:
            end = remote_end.read(RunStore(self.url, self._workspace), self.run_id, self.config, self.history, status,
                                  self.message)
            self.result, self.predictions, self._model_kept = end.result, end.predictions, end.model_kept
            if end.inside is not None:
                self.inside = end.inside
                self.inside_version += 1
        self.finished = time.time()
        self.status = status  # last: the page treats it as done from here

    @property
    def model_kept(self) -> bool:
        return self.done and self._model_kept

    def edit_weight(self, layer: str, row: int, column: int, value: float) -> None:
        if self.result is not None and self.result.model is None and self.model_kept:  # loaded when first needed
            self.result.model = remote_end.load_model(RunStore(self.url, self._workspace), self.run_id)
        super().edit_weight(layer, row, column, value)


class RemoteFinderJob(_OnWorkers, FinderJob):
    """The learning-rate finder trained on a worker: the same public face as a FinderJob trained here (its status,
    batches done, then its curve and suggestion), mirrored from the work's live row by a thread of the web
    process; Stop sent as a request."""

    def __init__(self, config, load, *, url: str, owner: str):
        super().__init__(config, load, owner=owner)
        self.url, self.worker = url, ""
        self.work: RemoteWork | None = None
        self.queued_at = time.monotonic()

    def start(self):
        """Check it here (its data, the compute budget), queue it for the workers (a UserError if the visitor
        already trains), then follow it in a thread."""
        from nnlab.training import lr_finder

        self.dataset = self._load(self.config)
        lr_finder.check_budget(self.config, self.dataset, self.steps)
        return self._queue(work_spec.finder_spec(self.config, owner=self.owner, steps=self.steps, url=self.url))

    def mirror(self, state: live_state.LiveState, told: int | None, no_worker: str | None) -> None:
        """Take the worker's latest word (as RemoteTrainingJob.mirror): its batches, then its curve at its end."""
        from nnlab.training.lr_finder import FinderResult

        status, news = self.work.status(state), state.state
        self.worker, self.progress = state.worker, int(news.get("progress") or 0)
        if status in FINISHED:
            if not self.done:
                self.result = FinderResult.from_dict(news["result"]) if news.get("result") else None
                message = news.get("message") or "Stopped before the test began."
                self.message = f"{message} Found on worker {self.worker}." if self.worker else message
                self.status = status
                self.bulletin.publish()
            return
        self.message = no_worker or ""
        if status != self.status or state.version != told:
            self.status = status
            self.bulletin.publish()


class RemoteSearchJob(_OnWorkers, SearchJob):
    """A search trained on a worker: the same public face as a SearchJob trained here (its trials, each a
    RemoteTrainingJob mirrored from its place in the live row, the trials told so far, its end), so its page and
    the live route do not branch; its study is the same one in the database, read here as ever."""

    def __init__(self, plan, *, url: str, key: str, load, store: RunStore, owner: str):
        super().__init__(plan, url=url, key=key, load=load, store=store, owner=owner)
        self.status, self.worker = Status.QUEUED, ""
        self.work: RemoteWork | None = None
        self.queued_at = time.monotonic()

    def start(self):
        """Check it here (its data, the costliest trial's budget, the study), queue it for the workers (a
        UserError if the visitor already trains), then follow it in a thread."""
        self.prepare()
        return self._queue(work_spec.search_spec(self.plan, self.key, owner=self.owner, workspace=self.workspace,
                                                 url=self.url))

    def stop(self) -> None:
        self._stopping = True  # its end says "stopped by you"
        super().stop()

    def mirror(self, state: live_state.LiveState, told: int | None, no_worker: str | None) -> None:
        """Take the worker's latest word (as RemoteTrainingJob.mirror): a mirror for each trial begun, each
        trial's news, the trials told (the live view's table), then its end."""
        from nnlab.config.run_config import RunConfig

        status, news = self.work.status(state), state.state
        self.worker = state.worker
        for index, trial in enumerate(news.get("members") or []):
            if index == len(self.jobs):
                job = RemoteTrainingJob(RunConfig.from_dict(trial["config"]), self._load, url=self.url,
                                        workspace=self.workspace, owner=self.owner, label=trial.get("label", ""))
                job.work, job.index, job.dataset = self.work, index, self.dataset
                job.set_group(self)
                self.jobs.append(job)
        for job in list(self.jobs):
            if not job.done:
                job.mirror(state, told, None)
        if len(news.get("told") or []) > len(self.told):
            self.told[:] = news["told"]
            self.trials[:] = news.get("trials") or [trial["trial"] for trial in self.told]
            self.bulletin.publish()  # a trial told: its live view draws the trials so far again
        if status in FINISHED:
            self.failed = status == Status.FAILED
            message = news.get("message") or ("Stopped before its first trial." if status == Status.STOPPED else
                                              f"Its worker ({self.worker or 'unknown'}) stopped (killed or cut off); "
                                              "every finished trial is kept.")
            self.message = f"{message} Searched on worker {self.worker}." if self.worker else message
            self.status = status
            self._over.set()
            self.bulletin.publish()
            return
        self.message = no_worker or ""
        if status != self.status:
            self.status = status
            self.bulletin.publish()
