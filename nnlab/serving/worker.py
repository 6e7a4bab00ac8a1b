"""A worker process (`python -m nnlab worker`, issue 25): takes work from the queue in PostgreSQL and
trains it with the same jobs the web process uses (serving/jobs.py), so a run trained here is kept,
saved and shown as a local one; only its worker's name tells.

- **The queue** is procrastinate's (serving/queue_app.py), run in a loop that comes back: a lost
  database ends procrastinate's worker after its pool gives up, and the loop opens it again.
- **Requests** (Stop, Pause, steps, a learning rate) come through `store/controls.py` (one listener
  thread for the process) onto the job's public methods.
- **News** goes into the work's live row (`store/live_state.py`) at most every 0.25 s and at once on
  a status, pause or end; epochs go into the run store as they do in the web process. A race's or a
  sweep's runs train on one slot as in the web process (serving/jobs.RaceJob, SweepJob), each run's news
  in the row's `members`.
- **Abandonment**: the follower's touches are read from the live row; the job's own watcher stops it
  as abandoned when they stop coming, by the web process's rule.
- **Faults**: every worker sweeps, every few seconds, the jobs of workers that stopped beating (kill -9,
  a machine gone): their runs end *interrupted* with their epochs kept and the job is marked failed,
  which frees the visitor. Never retried: nothing keeps the weights, so a retry would train from scratch.
  A SIGTERM or Ctrl-C stops the running work as interrupted (its epochs kept) and leaves. The database
  unreachable for LOST_SECONDS under running work stops it as interrupted too (nobody could follow or stop
  it); its end is saved and told once the database is back, and the worker takes the next job.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import time

from nnlab.core import deployment
from nnlab.core.errors import UserError
from nnlab.core.jsonsafe import json_safe
from nnlab.core.status import FINISHED, Status
from nnlab.serving import queue_app, queue_state, work_spec
from nnlab.serving.jobs import TrainingJob
from nnlab.serving.lr_finder_job import FinderJob
from nnlab.serving.search_job import SearchJob
from nnlab.serving.scheduler import Scheduler
from nnlab.serving.slot_work import SlotWork
from nnlab.store import live_state, workers
from nnlab.store.controls import ControlListener, Request
from nnlab.store.runs import RunStore

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0  # how often a worker looks for jobs whose worker is gone, and for work nobody follows in line
KEEP_HOURS = 24  # finished jobs (their events feed the queue's estimate) and works' rows are kept this long
PRUNE_SECONDS = 3600.0
RECONNECT_SECONDS = 2.0
WATCH_SECONDS = 1.0  # how often the follower's touches are read
LOST_SECONDS = 3.0  # the database unreachable this long under running work: it stops, its epochs kept (a blip does not)
INSIDE_SECONDS = 1.0  # a run's inside views go to the database at most this often, while a page looks at them
INSIDE_WANTED_SECONDS = 15.0  # how long a page's ask for them lasts (it asks again every few seconds while it looks)
LOST_DATABASE = "Interrupted: its worker lost the database; the completed epochs are kept. Train again to continue."


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(self, url: str, *, concurrency: int = 1, name: str | None = None):
        self.url, self.concurrency = url, concurrency
        self.name = name or default_name()
        self.scheduler = Scheduler(concurrency)  # this process's slots: procrastinate hands it no more jobs
        self.controls = ControlListener(url)
        self._running: dict[str, SlotWork] = {}
        self._lock = threading.Lock()
        self._leaving = threading.Event()
        self._unwritten: set[str] = set()  # works whose news the database refused lately (said once in the log)
        self._app = None

    # --- the process ------------------------------------------------------------------------------

    def run(self) -> int:
        from nnlab.core import tf_runtime  # noqa: F401 - TensorFlow once, set up, before the first job
        from nnlab.data.cache import DATA_CACHE

        self._load = DATA_CACHE.load
        workers.register(self.url, self.name, self.concurrency)
        self.controls.start()
        log.info("worker %s: %d slot(s), waiting for work", self.name, self.concurrency)
        try:
            asyncio.run(self._main())
        finally:
            self.controls.close()
            try:
                workers.unregister(self.url, self.name)
            except Exception:  # noqa: BLE001 - the database is gone: its row stops beating anyway
                pass
        log.info("worker %s stopped", self.name)
        return 0

    async def _main(self) -> None:
        leaving = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, self._leave, leaving)
        side = asyncio.create_task(self._beat_and_sweep(leaving))
        try:
            while not leaving.is_set():
                try:
                    await self._serve(leaving)
                except Exception as error:  # noqa: BLE001 - the database lost: come back
                    log.warning("worker %s: the queue is unreachable (%s); reconnecting in %g s", self.name,
                                type(error).__name__, RECONNECT_SECONDS)
                    self._interrupt_all("its worker lost the database")  # or its job would be seen as stalled
                try:
                    await asyncio.wait_for(leaving.wait(), RECONNECT_SECONDS)
                except asyncio.TimeoutError:
                    pass
        finally:
            side.cancel()

    def _leave(self, leaving: asyncio.Event) -> None:
        self._leaving.set()
        self._interrupt_all("its worker was stopped")
        leaving.set()

    async def _serve(self, leaving: asyncio.Event) -> None:
        app = queue_app.build_app(self.url, self.train)
        async with app.open_async():
            self._app = app
            try:
                work = asyncio.create_task(app.run_worker_async(name=self.name, concurrency=self.concurrency,
                                                                **queue_app.WORKER_OPTIONS))
                stop = asyncio.create_task(leaving.wait())
                await asyncio.wait([work, stop], return_when=asyncio.FIRST_COMPLETED)
                if leaving.is_set() and not work.done():
                    work.cancel()  # procrastinate's graceful stop: the running work was interrupted already
                    try:
                        await work
                    except asyncio.CancelledError:
                        pass
                    return
                stop.cancel()
                work.result()  # a lost database raises here
            finally:
                self._app = None

    async def _beat_and_sweep(self, leaving: asyncio.Event) -> None:
        swept, pruned = 0.0, 0.0
        while not leaving.is_set():
            try:
                await asyncio.to_thread(workers.beat, self.url, self.name)
                if self._app is not None and time.monotonic() - swept >= SWEEP_SECONDS:
                    swept = time.monotonic()
                    await self._sweep(self._app)
                    await self._drop_unwatched(self._app)
                if self._app is not None and time.monotonic() - pruned >= PRUNE_SECONDS:
                    pruned = time.monotonic()
                    await self._prune(self._app)
            except Exception as error:  # noqa: BLE001 - the database away: tried again at the next beat
                log.warning("worker %s: beat or sweep failed (%s)", self.name, type(error).__name__)
            try:
                await asyncio.wait_for(leaving.wait(), workers.BEAT_SECONDS)
            except asyncio.TimeoutError:
                pass

    async def _sweep(self, app) -> None:
        """The jobs of workers that stopped beating: their runs interrupted, epochs kept; the job failed."""
        from procrastinate.jobs import Status as JobStatus

        stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=queue_app.STALLED_SECONDS,
                                                         queue=queue_app.QUEUE)
        for job in stalled:
            spec = job.task_kwargs.get("spec") or {}
            await asyncio.to_thread(self._interrupted_elsewhere, spec)
            await app.job_manager.finish_job_by_id_async(job.id, status=JobStatus.FAILED, delete_job=False)
            log.warning("worker %s: job %s's worker is gone; its run is kept as interrupted", self.name, job.id)

    async def _drop_unwatched(self, app) -> None:
        """Work in line whose page was closed leaves the line (dropped, as abandoned) instead of training for nobody."""
        abandon = deployment.current().abandon_seconds
        for key, job_id in await asyncio.to_thread(queue_state.unwatched_in_line, self.url, abandon):
            if await app.job_manager.cancel_job_by_id_async(job_id):
                await asyncio.to_thread(live_state.write, self.url, key, worker="", run_id=None, state={
                    "status": Status.ABANDONED.value,
                    "message": f"Dropped from the queue: nobody watched this run for {abandon:g} s (the page was closed)."})

    async def _prune(self, app) -> None:
        """Finished jobs and the rows of old works, after KEEP_HOURS: the queue's tables stay bounded."""
        await app.job_manager.delete_old_jobs(nb_hours=KEEP_HOURS, queue=queue_app.QUEUE, include_failed=True,
                                              include_cancelled=True, include_aborted=True)
        await asyncio.to_thread(live_state.prune, self.url, KEEP_HOURS * 3600)

    def _interrupted_elsewhere(self, spec: dict) -> None:
        state = live_state.read(self.url, spec.get("key", "")) if spec.get("key") else None
        if state is None:
            return
        store = RunStore(self.url, spec.get("workspace", "shared"))
        told = state.state.get("members")
        runs = told if told else [{**state.state, "run_id": state.run_id}]  # a race's or sweep's runs, or the one run
        ended = [self._run_interrupted(store, state.worker, run, spec.get("kind") == "finder") for run in runs]
        live_state.write(self.url, state.work_key, worker=state.worker, run_id=state.run_id,
                         state=group_state(ended, True) if told else ended[0])

    @staticmethod
    def _run_interrupted(store: RunStore, worker: str, told: dict, finder: bool = False) -> dict:
        """One run of a work whose worker is gone, as the live row tells it (and its record) from now on."""
        if told.get("status") in {str(status) for status in FINISHED}:
            return told
        if finder:
            return {**told, "status": Status.INTERRUPTED.value, "message": f"Its worker ({worker or 'unknown'}) "
                    "stopped (killed or cut off) before the test ended: find a learning rate again."}
        run_id, epochs = told.get("run_id"), 0
        if run_id:
            try:
                epochs = store.load(run_id).epochs_run
            except UserError:
                pass
        message = (f"Its worker ({worker or 'unknown'}) stopped at epoch {epochs} (killed or cut off); the "
                   f"completed epochs are kept. Train again to continue.")
        if run_id:
            store.mark_ended(run_id, Status.INTERRUPTED, message)
        return {**told, "status": Status.INTERRUPTED.value, "message": message}

    def _interrupt_all(self, why: str) -> None:
        with self._lock:
            running = list(self._running.values())
        for job in running:
            _interrupt(job, f"Interrupted: {why}; the completed epochs are kept. Train again to continue.")

    # --- one piece of work (procrastinate's task, in a thread of its own) ---------------------------

    def train(self, context, spec: dict) -> None:
        key = spec["key"]
        try:
            job = work_spec.build(spec, self.url, self.scheduler, self._load)
        except (UserError, KeyError, ValueError) as error:
            self._tell(key, None, {"status": Status.FAILED.value, "message": str(error)})
            return
        news = threading.Event()
        job.bulletin.listen(news.set)
        with self._lock:
            self._running[key] = job
        self.controls.follow(key, lambda request: _apply(job, request))
        try:
            if self._leaving.is_set():
                return
            try:
                job.start()
            except UserError as error:  # over the compute budget, a data set that cannot be loaded
                self._tell(key, job, {"status": Status.FAILED.value, "message": str(error)})
                return
            self._follow(context, key, job, news)
        finally:
            self.controls.forget(key)
            with self._lock:
                self._running.pop(key, None)

    def _follow(self, context, key: str, job: SlotWork, news: threading.Event) -> None:
        """Until the job ends: its news into the live row, the follower's touches onto the job, a
        shutdown's abort onto the run."""
        abandon = deployment.current().abandon_seconds
        written, watched, told, lost_since, interrupted, inside_at = 0.0, 0.0, None, None, False, 0.0
        self._tell(key, job)
        while not job.done:
            news.wait(live_state.WRITE_SECONDS)
            news.clear()
            now = time.monotonic()
            if context.should_abort() and not self._leaving.is_set():  # procrastinate's flag: no query
                _interrupt(job, "Interrupted: its worker was stopped; the completed epochs are kept.")
            reached = None  # whether the database answered, if it was asked
            if now - watched >= WATCH_SECONDS:
                watched = now
                try:
                    state = live_state.read(self.url, key)
                    if state is not None and time.time() - state.watched < abandon:
                        job.touch()
                    reached = True
                except Exception:  # noqa: BLE001 - the database away: see below
                    reached = False
            # What the page must see at once: a status, a pause, a step taken while paused (the steps of a run at
            # full speed change each batch: they go with the next write, at most every WRITE_SECONDS).
            shown = [(run.status, run.paused, run.holding, run.steps_taken if run.paused else None)
                     for run in job.members]
            if now - inside_at >= INSIDE_SECONDS and _send_inside(self.url, key, job, now):
                inside_at, told = now, None  # the live row says so at once
            if shown != told or now - written >= live_state.WRITE_SECONDS:
                reached = self._tell(key, job) and reached is not False
                written, told = now, shown
            if reached is not None:
                lost_since = None if reached else lost_since or now
            if lost_since is not None and now - lost_since >= LOST_SECONDS and not interrupted:
                # Nobody can follow, stop or save it meanwhile, and the queue would soon take its job for stalled.
                log.warning("worker %s: the database is unreachable; %s stops, its completed epochs kept", self.name,
                            key)
                _interrupt(job, LOST_DATABASE)
                interrupted = True
        self._tell_end(key, job)  # at once: the thread's clean-up (memory given back) comes after
        job.join()

    def _tell_end(self, key: str, job: SlotWork) -> None:
        """The work's end into its live row, tried again while the database is away (as its run's end is,
        serving/jobs.TrainingJob.save_retry_seconds): a page must not follow a run that ended as running."""
        deadline = time.monotonic() + deployment.current().save_retry_seconds
        while not self._tell(key, job) and time.monotonic() < deadline:
            if self._leaving.wait(RECONNECT_SECONDS):
                return

    def _tell(self, key: str, job: SlotWork | None, state: dict | None = None) -> bool:
        """Write the work's news; False if the database did not take it (the next write catches up)."""
        try:
            live_state.write(self.url, key, worker=self.name, run_id=job.members[0].run_id if job and job.members else None,
                             state=state or _state(job))
            self._unwritten.discard(key)
            return True
        except Exception as error:  # noqa: BLE001 - the database away: the next write catches up
            if key not in self._unwritten:  # once per outage, not four times a second
                self._unwritten.add(key)
                log.warning("worker %s: could not write the news of %s (%s)", self.name, key, type(error).__name__)
            return False


def _send_inside(url: str, key: str, work: SlotWork, now: float) -> bool:
    """The inside views of each run a page looks at (asked within INSIDE_WANTED_SECONDS), taken since they were
    last sent, into the work's live views (store/live_state.write_views); whether any went."""
    from nnlab.training import end_views

    sent = False
    for member, run in enumerate(work.members if isinstance(work, TrainingJob) else ()):
        inside, version = run.inside, run.inside_version
        if now < run.inside_wanted_until and inside is not None and version != run.inside_sent \
                and run.status == Status.RUNNING:
            blob = end_views.encode(None, inside)
            if blob is None:
                continue
            try:
                live_state.write_views(url, key, member, version, blob)
            except Exception:  # noqa: BLE001 - the database away: the next views go when it is back
                continue
            run.inside_sent, sent = version, True
    return sent


def _state(work: SlotWork) -> dict:
    """The live row's news of a work: its one run's, or a race's or sweep's with each run's under `members`."""
    if isinstance(work, FinderJob):
        return _finder_state(work)
    if isinstance(work, SearchJob):
        return _search_state(work)
    runs = [_run_state(job) for job in work.members]
    return runs[0] if isinstance(work, TrainingJob) else group_state(runs, work.done)


def _finder_state(finder: FinderJob) -> dict:
    """The learning-rate finder's news: its batches done, then its curve (training/lr_finder.FinderResult)."""
    return json_safe({"status": str(finder.status), "message": finder.message, "progress": finder.progress,
                      "steps": finder.steps, "ended": finder.done,
                      "result": finder.result.to_dict() if finder.result is not None else None})


def group_state(runs: list[dict], ended: bool) -> dict:
    """A race's or sweep's news from its runs': running until every run has ended, then the first status of
    one that did not complete (or completed)."""
    statuses = [run["status"] for run in runs]
    status = next((told for told in statuses if told != Status.COMPLETED.value), Status.COMPLETED.value)
    return {"status": status if ended else Status.RUNNING.value, "ended": ended, "members": runs}


def _search_state(search: SearchJob) -> dict:
    """A search's news: its trials told to the study so far, each trial's as a run's (with its settings), its end."""
    ended = search.done
    status = Status.FAILED if search.failed else Status.COMPLETED if ended else Status.RUNNING
    return json_safe({"status": str(status), "ended": ended, "message": search.message, "trials": list(search.trials),
                      "told": list(search.told),
                      "members": [{**_run_state(job), "config": job.config.to_dict()} for job in list(search.jobs)]})


def _run_state(job: TrainingJob) -> dict:
    return json_safe({"status": str(job.status), "message": job.message, "progress": list(job.progress),
                      "epochs": len(job.history), "saved_epochs": job.saved_epochs, "paused": job.paused,
                      "holding": job.holding,
                      "steps_taken": job.steps_taken, "paused_seconds": job.paused_seconds(),
                      "partial": job.partial, "warnings": list(job.warnings), "eta": job.eta(),
                      "ended": job.status in FINISHED, "run_id": job.run_id,
                      "inside_version": job.inside_sent})


def _interrupt(work: SlotWork, message: str) -> None:
    if not work.members or isinstance(work, SearchJob):  # the finder: nothing to keep; a search: no next trial
        work.stop()
    for job in work.members:
        if job.done:
            continue
        if job.status == Status.RUNNING:
            job.stop_as(Status.INTERRUPTED, message)
        else:
            job.stop()


def _apply(job: SlotWork, request: Request) -> None:
    """A request from the page (or the CLI) onto the job, as the page would have called it: a race or a sweep
    has only Stop (its page has no other button)."""
    action = request.action
    if not isinstance(job, TrainingJob):
        if action == "stop":
            job.stop()
    elif action == "stop":
        job.stop(keep_best=bool(request.value))
    elif action == "pause":
        job.pause()
    elif action == "resume":
        job.resume()
    elif action == "step_batch":
        job.step_batch(request.seen)
    elif action == "step_epoch":
        job.step_epoch(request.seen)
    elif action == "inside":  # a page looks at its inside views: they go to the database for a while
        job.inside_wanted_until = time.monotonic() + INSIDE_WANTED_SECONDS
    elif action in ("learning_rate", "l1", "l2") and request.value is not None:  # from the next batch or epoch
        try:
            if action == "learning_rate":
                job.set_learning_rate(request.value)
            else:
                job.set_penalties(**{action: request.value})
        except UserError as error:
            job.warnings.append(str(error))
