"""Issue 20: what one visitor may cost, counted honestly: every pass in the compute budget, a Stop
that lands within a batch, paused time counted in total."""
import threading

import pytest

from nnlab.training import dataset_tensors

from nnlab.serving import jobs
from nnlab.training import train as train_module
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.store.database import StoreUnavailable
from nnlab.core.errors import UserError
from nnlab.serving.jobs import TrainingJob
from nnlab.serving.scheduler import Scheduler
from nnlab.core.status import Status
from nnlab.training.train import Trainer
from test_jobs import wait_until

DEADLINE = 120  # seconds any wait here may take

# Ten training examples and half the data set to validate on: the validation passes are the cost.
HOG = RunConfig(dataset="digits", hidden=(256, 256), train_size=10, validation_fraction=0.5, epochs=200)


def test_a_run_whose_validation_passes_are_over_the_budget_is_refused(deployment):
    job = TrainingJob(HOG, load_dataset, owner="hog", scheduler=Scheduler(1))
    config, n_train, params, n_val, n_test, _ = job.measure()
    training_only = HOG.epochs * (n_train * params + 1_000_000)
    deployment(max_compute=10 * training_only)  # ten times what its training alone needs
    with pytest.raises(UserError, match=r"validation .* a smaller validation_fraction \(each epoch checks "
                                        rf"{n_val:,} validation examples"):
        job.start()
    assert job.queue_position() is None


def test_a_stop_during_the_validation_pass_lands_before_the_next_validation_batch(monkeypatch):
    monkeypatch.setattr(train_module, "FOLD_SECONDS", 0.0)  # the validation pass in its own calls
    monkeypatch.setattr(dataset_tensors, "EVAL_BATCH", 50)  # … of 50 examples each: many of them
    config = RunConfig(dataset="digits", hidden=(8,), validation_fraction=0.5, epochs=5, batch_size=128)
    trainer = Trainer(config, load_dataset(config))
    evaluate, calls = trainer._evaluate_batch, []

    def evaluate_then_stop(x, y):
        calls.append(len(x))
        result = evaluate(x, y)
        trainer.stop()  # the visitor presses Stop while the first validation batch is computed
        return result

    trainer._evaluate_batch = evaluate_then_stop
    assert trainer.run_epoch() is None  # the epoch the Stop cut short is dropped
    assert calls == [50]  # not the 17 more batches of the validation split
    assert trainer.status == Status.STOPPED and trainer.history == []
    assert "0 completed epoch(s) kept" in trainer.message


STEPPED = RunConfig(dataset="digits", hidden=(8,), epochs=500, batch_size=4)  # far more batches than the test steps


def _step_whenever_held(trainer_or_job, until) -> int:
    """Press "One batch" each time the run holds, as a visitor clicking every few seconds would;
    the steps pressed before `until()` (or a deadline)."""
    pressed, tick = 0, threading.Event()
    for _ in range(int(DEADLINE / 0.02)):
        if until():
            return pressed
        if trainer_or_job.holding:
            trainer_or_job.step_batch()
            pressed += 1
        tick.wait(0.02)
    raise AssertionError(f"still going after {pressed} steps")


def test_steps_do_not_restart_the_pause_clock():
    """Issue 20: "Start paused" + "One batch" every 20 s held a slot past NNLAB_MAX_PAUSE_MINUTES forever."""
    config = STEPPED
    trainer = Trainer(config, load_dataset(config), max_pause_seconds=1.0)
    trainer.pause()  # started paused
    runner = threading.Thread(target=lambda: [trainer.run_epoch() for _ in iter(lambda: trainer.done, True)])
    runner.start()
    steps = _step_whenever_held(trainer, lambda: trainer.done)
    runner.join(DEADLINE)
    assert steps >= 1 and trainer.status == Status.STOPPED
    assert "paused in all (steps included)" in trainer.message and trainer.paused_seconds() >= 1.0


@pytest.mark.slow
def test_a_paused_run_gives_its_slot_back_sooner_when_someone_waits(deployment):
    # alone, it could stay paused an hour; half a second while someone waits
    deployment(max_pause_minutes=60, max_pause_waited_minutes=0.5 / 60)
    scheduler = Scheduler(1)
    paused = TrainingJob(STEPPED, load_dataset, owner="teacher", scheduler=scheduler)
    paused.pause()
    paused.start()
    wait_until(lambda: paused.holding)
    assert paused.pause_limit() == 3600.0
    waiting = TrainingJob(RunConfig(dataset="iris", hidden=(4,), epochs=2), load_dataset, owner="student",
                          scheduler=scheduler).start()
    assert waiting.queue_position() == 1 and paused.pause_limit() == 0.5
    wait_until(lambda: waiting.done)
    assert paused.status == Status.STOPPED and "paused in all" in paused.message
    assert waiting.status == Status.COMPLETED


class _Outage:
    """A run store whose database goes away while `down()` says so (PostgreSQL restarting, a full disk)."""

    def __init__(self, store, down):
        self.store, self.down, self.refused = store, down, 0

    def __getattr__(self, name):
        method = getattr(self.store, name)
        if name not in ("save_history", "finish", "beat", "mark_failed"):
            return method

        def call(*args, **kwargs):
            if self.down():
                self.refused += 1
                if name in ("beat", "mark_failed"):
                    return False  # they never raise
                raise StoreUnavailable("the database is not answering (connection refused)")
            return method(*args, **kwargs)

        return call


def test_epochs_trained_while_the_database_is_away_are_saved_when_it_returns(run_store, monkeypatch):
    monkeypatch.setattr(jobs, "SAVE_SECONDS", 0.0)  # every epoch saved (or tried)
    config = RunConfig(dataset="iris", hidden=(4,), epochs=6)
    job = TrainingJob(config, load_dataset, store=None)
    job._store = _Outage(run_store, lambda: 2 <= len(job.history) <= 4)  # away for epochs 2–4
    job.run()
    assert job._store.refused >= 3
    assert job.status == Status.COMPLETED and "Not saved" not in job.message
    saved = run_store.load(job.run_id)
    assert saved.status == Status.COMPLETED and saved.epochs_run == 6 and len(saved.history) == 6
    assert job.warnings == ["Saving failed for a while; the epochs trained meanwhile have been saved since."]


def test_a_database_still_away_at_the_end_leaves_the_run_interrupted_and_says_it_was_not_saved(run_store, monkeypatch,
                                                                                               deployment):
    """Issue 20: PostgreSQL away mid-run left the run `running` with 11 epochs, and on a full disk the page
    said "its 120 epochs were saved as they trained"."""
    monkeypatch.setattr(jobs, "SAVE_SECONDS", 0.0)
    deployment(save_retry_seconds=1.0)  # NNLAB_SAVE_RETRY_SECONDS
    config = RunConfig(dataset="iris", hidden=(4,), epochs=5)
    job = TrainingJob(config, load_dataset, store=None)
    job._store = _Outage(run_store, lambda: len(job.history) >= 3)  # gone from epoch 3 on, for good
    job.run()
    assert job.status == Status.INTERRUPTED  # as Runs shows it once its heartbeat is old
    assert "Not saved" in job.message and "2 of its 5 epochs were saved as it trained" in job.message
    assert "were saved as they trained" not in job.message
    assert run_store.load(job.run_id).epochs_run == 2
    assert not any("trying again" in warning for warning in job.warnings)  # the retry is over
