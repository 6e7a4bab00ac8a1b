"""Training jobs in background threads, sharing one server's training fairly.

A Streamlit rerun (any widget change) kills a loop running in the script thread, so the pages keep
a job in st.session_state instead: it trains in its own thread and holds only plain Python objects
(the history list, a StopSignal, a status) that the page reads on each poll. A job never calls
Streamlit.

Each piece of work a visitor starts — one run (TrainingJob), a race of runs trained side by side
(RaceJob) or a sweep of runs one after another (SweepJob) — is ONE request to the scheduler: it
waits its turn for ONE training slot, and a visitor has at most one such request at a time.
start() checks the request in the caller's thread, so a refusal (over the compute budget, already
training, a bad file) reaches the page as a UserError. The page calls touch() on every poll; work
nobody has watched for NNLAB_ABANDON_SECONDS (the tab was closed) is stopped within one batch, or
leaves the queue, as abandoned, its completed epochs kept (serving/slot_work.py).
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Callable

from nnlab.core import deployment
from nnlab.training.architecture import count_params, layer_specs
from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.store.runs import STORE_ERRORS, RunStore
from nnlab.serving.scheduler import SCHEDULER, Scheduler
from nnlab.serving.slot_work import SlotWork
from nnlab.core.status import FINISHED, Status
from nnlab.training.stop_signal import StopSignal

log = logging.getLogger(__name__)

# A run of hundreds of epochs a second must not write each one to the database (≈2 ms each) nor
# redraw its inside views each one: both happen at most this often, and at the end.
SAVE_SECONDS = 0.5
SNAPSHOT_SECONDS = 0.25
PROGRESS_NEWS_SECONDS = 1.0  # batch progress is published at most this often (the progress bar, the ETA)


class TrainingJob(SlotWork):
    """One run. Alone it is its own request; in a RaceJob or SweepJob, the group is."""

    live_view = "run"

    def __init__(self, config: RunConfig, load: Callable[[RunConfig], object], *, store: RunStore | None = None,
                 label: str = "", keep_model: bool = True, snapshot: Callable[[object, object], object] | None = None,
                 owner: str = "", scheduler: Scheduler | None = None, abandon_seconds: float | None = None,
                 keep_views: bool = False):
        super().__init__(owner, scheduler, abandon_seconds)
        self.config, self.label = config, label
        settings = deployment.current()
        # A paused run (step mode) keeps its training slot; once paused this long in all (the steps
        # trained while paused included: a step does not restart the clock) it stops, its epochs
        # kept; sooner while someone waits in line for a slot.
        self.max_pause_seconds = settings.max_pause_seconds
        self.max_pause_waited_seconds = settings.max_pause_waited_seconds
        # The database away (restarting, a full disk) when a run ends: its end is tried again for this
        # long (the epochs trained meanwhile are in memory and go with it), then the run ends as not
        # saved, saying so.
        self.save_retry_seconds = settings.save_retry_seconds
        self._progress_news_at = 0.0
        self._load, self._store, self._keep_model, self._snapshot = load, store, keep_model, snapshot
        self._keep_views = keep_views  # its end views saved with it, for a page elsewhere (a worker's run: issue 25)
        self._group: SlotWork | None = None  # the race or sweep it belongs to
        self._trainer = None  # training.train.Trainer while training
        self.snapshot = None  # snapshot(model, dataset) after the latest epoch, e.g. a fitted curve
        self.inside = None  # training/inside.InsideSnapshot: the network as it stands (weights images, neuron maps)
        self.inside_version = 0  # grows with each snapshot taken (the inside panel's live view redraws)
        # on a worker: until when (monotonic) a page looks at its inside views, and the version of them sent
        self.inside_wanted_until, self.inside_sent = 0.0, 0
        self._edits = None  # training/weight_edit.WeightEdits: weights set by hand after the run, on a copy
        self._edit_lock = threading.Lock()  # two tabs of one visitor may set weights at once
        self.history: list[dict] = []  # appended by the job thread, read by the page
        self.layer_stats: list[dict] = []  # per epoch and Dense layer: gradient norm, weight percentiles (Trainer)
        self.progress = (0, 0, 0)  # (epoch, batches done, batches per epoch)
        self.status = Status.QUEUED
        self.message = ""
        self.warnings: list[str] = []
        self.result = None  # RunResult when done
        self.predictions = None  # verdict/predictions.TestPredictions of the trained model, when done
        self.dataset = None
        self.run_id: str | None = None
        self.started: float | None = None
        self.finished: float | None = None
        self.stop_signal = StopSignal()
        self._stopping = threading.Lock()  # a Stop and the trainer's arrival: one of them sees the other
        self._saved_at = self._looked_at = 0.0  # when the store and the snapshots last caught up (monotonic)
        self._saved_epochs = 0  # epochs the store has: the rest are in memory only until the next save succeeds
        self._pause_first = False  # pause() before the trainer exists: it starts paused

    @property
    def members(self) -> list[TrainingJob]:
        return [self]

    @property
    def status(self) -> Status:
        return self._status

    @status.setter
    def status(self, status: Status) -> None:
        self._status = status
        self.bulletin.publish()  # queued → running → ended: live views show it at once

    @property
    def done(self) -> bool:
        return self.status in FINISHED

    @property
    def workspace(self) -> str:
        """The workspace of the store this run is saved in ("" when it is not being saved)."""
        return self._store.workspace if self._store is not None else ""

    @property
    def _request(self) -> SlotWork:
        return self._group or self

    def touch(self) -> None:
        if self._group is not None:
            self._group.touch()
        else:
            super().touch()

    def set_group(self, group: SlotWork) -> None:
        """This run is one of `group`'s (a race, sweep or search): the group is the request, and its live view
        (a search's) hears this run's news too."""
        self._group = group
        self.bulletin.forward_to(group.bulletin)

    @property
    def keeps_best_weights(self) -> bool:
        """Whether stop(keep_best=True) can put the best epoch's weights back (training/train.BEST_WEIGHTS_MAX_PARAMS)."""
        trainer = self._trainer
        return trainer is not None and trainer.keeps_best_weights

    def stop(self, keep_best: bool = False) -> None:
        """End this run within one batch (in a race or sweep, the others go on); `keep_best`: test
        and save the weights of the epoch with the lowest validation loss instead of the last.
        Work nobody watches ends as abandoned."""
        with self._stopping:
            trainer = self._trainer
            if trainer is not None:  # first: the signal alone would end it as a plain Stop
                self._stop_trainer(trainer, keep_best)
            self.stop_signal.set()  # a run not begun yet ends before it trains
        if self._group is None:
            self._scheduler.cancel(self)

    def _stop_trainer(self, trainer, keep_best: bool) -> None:
        if self._request.abandoned:
            trainer.stop(Status.ABANDONED, lambda kept: (f"Stopped: nobody watched this run for {self._abandon_time()} "
                                                         f"(the page was closed); its {kept} epochs are kept."))
        else:
            trainer.stop(keep_best=keep_best)

    def queue_position(self) -> int | None:
        return super().queue_position() if self._group is None else self._group.queue_position()

    def wait_estimate(self) -> float | None:
        return super().wait_estimate() if self._group is None else self._group.wait_estimate()

    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.time()) - self.started

    def eta(self) -> float | None:
        """Seconds left: the epochs to go at the average epoch time so far."""
        if self.done or not self.history:
            return None
        per_epoch = sum(row["seconds"] for row in self.history) / len(self.history)
        epoch, batches_done, batches = self.progress
        into_current = batches_done / batches if batches and epoch > len(self.history) else 0.0
        return per_epoch * (self.config.epochs - len(self.history) - into_current)

    def set_learning_rate(self, rate: float) -> None:
        """Train at `rate` from now on, replacing any schedule (training/train.Trainer.set_learning_rate);
        a UserError if the rate is out of range or the run is not training."""
        trainer = self._trainer
        if trainer is None or self.status != Status.RUNNING:
            raise UserError("This run is not training now: the learning rate can be changed while it trains.")
        trainer.set_learning_rate(rate)

    def set_penalties(self, l1: float | None = None, l2: float | None = None) -> None:
        """Train with these L1 / L2 rates from the next epoch (training/train.Trainer.set_penalties);
        a UserError if a rate is out of range or the run is not training."""
        trainer = self._trainer
        if trainer is None or self.status != Status.RUNNING:
            raise UserError("This run is not training now: the regularization can be changed while it trains.")
        trainer.set_penalties(l1, l2)

    @property
    def saved_epochs(self) -> int:
        """Epochs the store has (saved at most every SAVE_SECONDS): what a follower elsewhere can read of them."""
        return self._saved_epochs

    @property
    def model_kept(self) -> bool:
        """Whether the ended run's trained model is at hand (for weights set by hand)."""
        return self.done and self.result is not None and self.result.model is not None

    # --- weights set by hand after the run (Playground's edit of a link: training/weight_edit.py) ---------

    def edit_weight(self, layer: str, row: int, column: int, value: float) -> None:
        """Set one weight of a copy of the trained model and draw the inside views from it (the neurons' maps, the
        prediction over the plane); the run's model, figures and saved record keep the trained weights. A
        UserError when the run has not ended with its model here, its network is not drawn link by link (a 2-D
        set, inside.MOST_LINKS), or the value or link cannot be."""
        from nnlab.training.weight_edit import WeightEdits

        model = self.result.model if self.done and self.result is not None else None
        drawn = self.inside is not None and self.inside.maps is not None and self.inside.maps.kernels
        if model is None or not drawn:
            raise UserError("A weight can be set by hand once a run on a 2-D data set has ended, with its trained model "
                            "kept and its network drawn link by link.")
        with self._edit_lock:
            if self._edits is None:
                self._edits = WeightEdits(model)
            self._edits.set(layer, row, column, value)
            self._look(self._edits.model, len(self.history), 0, tuple(self._edits.changes.items()))

    def put_back_weights(self) -> None:
        """Forget the weights set by hand: the inside views of the trained model again."""
        with self._edit_lock:
            if self._edits is not None and self.result is not None and self.result.model is not None:
                self._edits = None
                self._look(self.result.model, len(self.history), 0)

    # --- step mode: pause, one batch, one epoch, resume (training/train.Trainer) -------------------

    @property
    def paused(self) -> bool:
        trainer = self._trainer
        return trainer.paused if trainer is not None else self._pause_first and not self.done

    @property
    def holding(self) -> bool:
        """Paused and waiting for a step: the step buttons act (before, the run is queued or compiling)."""
        trainer = self._trainer
        return trainer is not None and trainer.holding

    @property
    def partial(self) -> dict:
        """The epoch in progress so far (batch, batches, loss and metric means), while paused mid-epoch."""
        trainer = self._trainer
        return dict(trainer.partial) if trainer is not None else {}

    def pause_limit(self) -> float:
        """Seconds this run may stay paused in all: shorter while another visitor waits for a slot."""
        return self.max_pause_waited_seconds if self._request.others_waiting() else self.max_pause_seconds

    def paused_seconds(self) -> float:
        trainer = self._trainer
        return trainer.paused_seconds() if trainer is not None else 0.0

    def pause(self) -> None:
        with self._stopping:
            trainer = self._trainer
            if trainer is None:
                self._pause_first = not self.done
            else:
                trainer.pause()

    def resume(self) -> None:
        with self._stopping:
            self._pause_first = False
            if self._trainer is not None:
                self._trainer.resume()
        self.bulletin.publish()

    @property
    def steps_taken(self) -> int | None:
        """Gradient steps taken so far, or None before the run has its Trainer: a step button passes
        what its page saw, so a click delivered twice is still one step."""
        trainer = self._trainer
        return trainer.steps_taken if trainer is not None else None

    def step_batch(self, seen: int | None = None) -> None:
        trainer = self._trainer
        if trainer is not None:
            trainer.step_batch(seen)

    def step_epoch(self, seen: int | None = None) -> None:
        trainer = self._trainer
        if trainer is not None:
            trainer.step_epoch(seen)

    def _train(self) -> None:
        if self.begin():
            while self.train_epoch():
                pass
            if self.status != Status.FAILED:  # a failed epoch has ended the run and said why
                self.end()

    # --- the steps a race, sweep or search drives (slot_work.SlotRun) ----------------------------

    def measure(self) -> tuple[RunConfig, int, int, int, int, int]:
        """Load the data (cached by the page): (config, training examples, parameters, validation
        and test examples, points of the inside views' grid), what the compute budget counts."""
        from nnlab.training.inside import GRID, is_plane

        if self.dataset is None:
            self.dataset = self._load(self.config)
        data = self.dataset
        specs = layer_specs(self.config, data.n_features, data.n_outputs, data.task)
        return (self.config, data.n_train, count_params(specs), data.n_val, data.size("test"),
                GRID * GRID if is_plane(data) else 0)

    def begin(self) -> bool:
        """Build the trainer and the run's folder; False if the run ends here."""
        if self.stop_signal.is_set():
            self.end_unbegun()
            return False
        self.status, self.started = Status.RUNNING, time.time()
        try:
            from nnlab.training.train import Trainer  # TensorFlow loads here, in the job's thread

            trainer = Trainer(self.config, self.dataset, stop=self.stop_signal, on_progress=self._on_progress,
                              on_pause=self._on_pause, max_pause_seconds=self.pause_limit)
            with self._stopping:
                self._trainer = trainer
                self.layer_stats = trainer.layer_stats  # the same list: the trainer appends, pages read
                if self._pause_first:
                    trainer.pause()
                    self._pause_first = False
                if self.stop_signal.is_set():  # a Stop came while the trainer was built: end it as that Stop says
                    self._stop_trainer(trainer, keep_best=False)
            if self._store is not None:
                try:
                    self.run_id = self._store.create(
                        self.config, dataset_title=self.dataset.title, task=self.dataset.task,
                        params=self._trainer.model.count_params(), label=self.label)
                except STORE_ERRORS as error:  # the run is worth more than its record: train it unsaved
                    self.warnings.append(f"This run is not being saved ({_reason(error)}); it trains all the same, "
                                         f"but it will not be in Runs.")
            return True
        except Exception as error:  # noqa: BLE001 - a job must end with a status, never hang "running"
            self.fail_with(error)
            return False

    def train_epoch(self) -> bool:
        """Train one epoch; True while epochs are left."""
        try:
            trainer = self._trainer
            row = trainer.run_epoch()
            if row is not None:
                self.history.append(row)
                self.bulletin.publish()
                now = time.monotonic()
                if self.run_id and (now - self._saved_at >= SAVE_SECONDS or trainer.done):
                    self._save_history()
                    self._saved_at = time.monotonic()
                if now - self._looked_at >= SNAPSHOT_SECONDS or trainer.done or trainer.paused:
                    self._look(trainer.model, row["epoch"], 0)
            return not trainer.done
        except Exception as error:  # noqa: BLE001
            self.fail_with(error)
            return False

    def stop_as(self, status: Status, message: str) -> None:
        """End the training now for the driving work's reason (a pruned trial, time up, its study
        lost), its epochs kept; end() then finishes the run."""
        trainer = self._trainer
        if trainer is not None:
            trainer.stop(status, message)

    def end(self) -> None:
        """Test evaluation and verdict, the run saved; the job's status is set last (pages treat
        the job as done from then on)."""
        from nnlab.verdict.predictions import predict

        if self._trainer is None:  # begin() was cut short before its Trainer existed: nothing to test or save
            self.finished, self.status = time.time(), Status.FAILED
            self.message = self.message or "The run ended before it could train."
            return
        try:
            result = self._trainer.finish()
            status, message = result.status, result.message
            if result.history:  # before the save, which may keep them (keep_views)
                self.predictions = predict(result.model, self.dataset)
                self._look(result.model, len(result.history), 0)  # as tested: a Stop may have restored the best epoch
            if self.run_id:
                status, message = self._save_end(result)
            self.result, self.message, self._trainer = result, message, None
            self.finished = time.time()
            self.status = status
        except Exception as error:  # noqa: BLE001
            self.fail_with(error)

    def end_unbegun(self) -> None:
        """A run that never got to train: dropped from the queue or stopped before its turn."""
        if self.done or self.status == Status.RUNNING:
            return
        if self._request.abandoned:
            self.message, self.status = (f"Dropped from the queue: nobody watched this run for {self._abandon_time()} "
                                         f"(the page was closed)."), Status.ABANDONED
        else:
            self.message, self.status = "Stopped before training began.", Status.STOPPED

    def _abandon_time(self) -> str:
        return f"{self._request.abandon_seconds:g} s"

    def beat(self) -> None:
        if self.run_id and self.status == Status.RUNNING:
            self._store.beat(self.run_id)

    def _on_progress(self, epoch: int, done: int, total: int) -> None:
        self.progress = (epoch, done, total)
        now = time.monotonic()
        if now - self._progress_news_at >= PROGRESS_NEWS_SECONDS:
            self._progress_news_at = now
            self.bulletin.publish()

    def _on_pause(self, epoch: int, batch: int) -> None:
        """Step mode holds: show the network as it is now and keep the epochs so far (the throttled
        snapshot and save may be behind)."""
        self.progress = (epoch, batch, self.progress[2])
        self._look(self._trainer.model, epoch if batch else epoch - 1, batch)
        if self.run_id:
            self._save_history()
        self.bulletin.publish()

    def want_inside(self) -> None:
        """A page shows this run's inside views now: here they are taken anyway (SNAPSHOT_SECONDS); a worker's run
        asks its worker for them (serving/remote_work.RemoteTrainingJob)."""

    def _look(self, model, epoch: int, batch: int, edits: tuple = ()) -> None:
        """Take the page's snapshot (e.g. a fitted curve) and the inside views of the model as it stands."""
        from nnlab.training.inside import snapshot

        self._looked_at = time.monotonic()
        try:
            if self._snapshot:
                self.snapshot = self._snapshot(model, self.dataset)
            self.inside = snapshot(model, self.dataset, epoch=epoch, batch=batch, edits=edits)
            self.inside_version += 1
        except Exception:  # noqa: BLE001 - a view that cannot be drawn must not end the training
            log.exception("a snapshot of the network failed; training goes on")
        self.bulletin.publish()  # the live views drawing a snapshot (the inside panel, a fitted curve) redraw

    def _rows_to_save(self, history: list[dict] | None = None) -> list[dict]:
        """The history rows as the store keeps them: each with its layers' statistics under "layers"."""
        by_epoch: dict[int, list] = {}
        for stats in self.layer_stats:
            by_epoch.setdefault(stats["epoch"], []).append({k: v for k, v in stats.items() if k != "epoch"})
        return [{**row, "layers": by_epoch.get(row["epoch"], [])} for row in (history or self.history)]

    def _save_history(self) -> None:
        """Save the epochs so far. Trouble with the disk or the database must not end the training:
        note it and carry on; the epochs stay in memory and the next save that works writes them all."""
        rows = self._rows_to_save()
        try:
            self._store.save_history(self.run_id, rows)
        except STORE_ERRORS as error:
            note = f"Could not save the run ({_reason(error)}); training continues unsaved."
            if note not in self.warnings:
                self.warnings.append(note)
            return
        self._saved_epochs = len(rows)
        self._saved_again()

    def _saved_again(self) -> None:
        """A save worked after some failed: the warnings say it is all saved now."""
        troubles = [w for w in self.warnings if w.startswith(("Could not save the run", "The database is not"))]
        if troubles:
            self.warnings[:] = [w for w in self.warnings if w not in troubles]
            self.warnings.append("Saving failed for a while; the epochs trained meanwhile have been saved since.")

    def _save_end(self, result) -> tuple[Status, str]:
        """Save the run's end (figures, every epoch, the model), trying again for save_retry_seconds
        while the database is away; then, if it is still away, end the run as not saved, saying
        how much of it is in Runs. Never says "saved" of what was not."""
        from nnlab.training import end_views

        deadline, pause, reason = time.monotonic() + self.save_retry_seconds, 0.5, ""
        views = end_views.encode(self.predictions, self.inside) if self._keep_views and result.history else None
        while True:
            try:
                message = self._store.finish(
                    self.run_id, status=result.status, message=result.message, test=result.test,
                    verdict=result.verdict.to_dict(), history=self._rows_to_save(result.history),
                    model=result.model if self._keep_model else None, views=views)
                self._saved_epochs = len(result.history)
                self._saved_again()
                return result.status, message or result.message  # it says if the model was not kept
            except STORE_ERRORS as error:
                reason = _reason(error)
            if time.monotonic() + pause > deadline:
                break
            note = (f"The database is not answering ({reason}): trying again to save this run's end, "
                    f"for up to {self.save_retry_seconds:g} s…")
            if note not in self.warnings:
                self.warnings.append(note)
            threading.Event().wait(pause)
            pause = min(2 * pause, 10.0)
        epochs = len(result.history)
        kept = (f"{self._saved_epochs} of its {epochs} epochs were saved as it trained" if self._saved_epochs
                else "none of its epochs could be saved")
        message = (f"{result.message} Not saved: the end of this run could not be saved ({reason}; tried for "
                   f"{self.save_retry_seconds:g} s): {kept}. Its figures are shown here only, until you leave this "
                   "page; free some space or check the database, then train it again to keep it.")
        self.warnings[:] = [w for w in self.warnings if not w.startswith("The database is not answering")]
        if self._store.mark_failed(self.run_id, message):
            return Status.FAILED, message
        return Status.INTERRUPTED, message  # as Runs will show it: running, with a heartbeat that stopped

    def fail_with(self, error: Exception) -> None:
        if isinstance(error, UserError):
            self._fail(str(error))
        else:
            log.error("training job failed", exc_info=error)
            # The error text can name server files: it goes to the log, the visitor gets its kind.
            self._fail(f"Training failed unexpectedly ({type(error).__name__}); the details are in the server's log.")

    def _fail(self, message: str) -> None:
        if self._trainer is not None:
            self._trainer.stop(Status.FAILED, message)  # lets go of the Stop signal
        self.finished, self._trainer = time.time(), None
        if self.run_id:
            self._store.mark_failed(self.run_id, message)
        self.message, self.status = message, Status.FAILED  # the status last: it publishes


class TaggedStore:
    """The run store, with each new run tagged (RunStore.create's `extra`): a search's trial with its
    study, a group's run with its group."""

    def __init__(self, store: RunStore, extra: dict):
        self._store, self._extra = store, extra

    def create(self, *args, **kwargs) -> str:
        return self._store.create(*args, extra=self._extra, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._store, name)


class _Group(SlotWork):
    """Several TrainingJobs of one owner as one request."""

    def __init__(self, jobs: list[TrainingJob], *, scheduler: Scheduler | None = None,
                 abandon_seconds: float | None = None):
        owners = {job.owner for job in jobs}
        if len(owners) > 1:
            raise ValueError(f"the runs of one {type(self).__name__} belong to one visitor, got {sorted(owners)}")
        super().__init__(owners.pop() if owners else "", scheduler, abandon_seconds)
        self.jobs = jobs
        for job in jobs:
            job.set_group(self)

    @property
    def members(self) -> list[TrainingJob]:
        return self.jobs

    def stop(self) -> None:
        """End every run within one batch, each with its own status (stopped, or abandoned)."""
        for job in self.jobs:
            job.stop()
        self._scheduler.cancel(self)


class RaceJob(_Group):
    """2–4 runs trained in one thread on one slot, round-robin epoch by epoch (A's epoch 1, B's
    epoch 1, A's epoch 2 …), so their curves grow together; each is saved as its own run."""

    def _train(self) -> None:
        racing = [job for job in self.jobs if job.begin()]
        while racing:
            for job in list(racing):
                if not job.train_epoch():
                    racing.remove(job)
                    if not job.done:
                        job.end()


def seed_jobs(config: RunConfig, count: int, make_job: Callable[..., TrainingJob], label: str = "") -> tuple[str, list[TrainingJob]]:
    """A group of `count` runs of `config`, its seed and the next ones, each made by make_job(config,
    label, extra=…) and tagged as one of the group in the store (store/groups.py): (the group's id, the
    runs)."""
    from nnlab.store.groups import group_extra, new_group_id
    from nnlab.verdict.seeds import seeds_from

    try:
        seeds = seeds_from(config.seed, count)
    except ValueError as error:
        raise UserError(f"Repeat with 2 to 10 seeds: {error}.") from None
    group = new_group_id()
    jobs = [make_job(dataclasses.replace(config, seed=seed), f"{label} · seed {seed}" if label else f"seed {seed}",
                     extra=group_extra(group, label, count, index)) for index, seed in enumerate(seeds)]
    return group, jobs


class SeedsJob(RaceJob):
    """The same settings trained with 2–10 seeds (the settings' seed and the next ones), round-robin in
    one slot as a race, each run kept in the store as one of a group (store/groups.py). The group is one
    request: its runs share one training's compute budget, and a visitor trains one group at a time."""

    def __init__(self, config: RunConfig, count: int, make_job: Callable[..., TrainingJob], *, label: str = "",
                 scheduler: Scheduler | None = None, abandon_seconds: float | None = None):
        self.group_id, jobs = seed_jobs(config, count, make_job, label)
        super().__init__(jobs, scheduler=scheduler, abandon_seconds=abandon_seconds)
        self.config, self.label = config, label


class SweepJob(_Group):
    """Several runs one after another on one slot (a one-knob sweep); Stop ends the current run
    and the ones not begun end at once as stopped."""

    def _train(self) -> None:
        for job in self.jobs:
            job._train()


def run_in_progress(owner: str, scheduler: Scheduler | None = None, kind: type = TrainingJob):
    """The run of its own (not a race's or a sweep's; with `kind`, e.g. SeedsJob, that kind of work) that
    `owner` has queued or training: a page that lost its session (the tab was closed or reloaded) finds it
    again. By its owner only — the visitor's browser — never by workspace: a workspace may be shared
    (localhost, NNLAB_RUNS=shared), and a page must not take over, hold or stop somebody else's run."""
    if not owner:
        return None
    for request in (scheduler or SCHEDULER).requests():
        if isinstance(request, kind) and not request.done and not request.abandoned and request.owner == owner:
            return request
    return None


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)
