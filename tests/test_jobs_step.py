"""A training job in step mode, its inside views, and how it saves a run of many short epochs."""
import threading

import pytest

from nnlab.serving import jobs
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.serving.jobs import TrainingJob
from nnlab.core.status import Status
from test_jobs import DEADLINE, wait_until


@pytest.fixture
def job_of():
    """job_of(config, **kwargs): a started TrainingJob, stopped at the end of the test if still going."""
    made = []

    def make(config, **kwargs):
        job = TrainingJob(config, load_dataset, **kwargs)
        made.append(job)
        return job.start()

    yield make
    for job in made:
        job.stop()
        job.join(DEADLINE)


def test_a_job_started_paused_steps_an_epoch_then_a_batch_showing_the_network_each_time(run_store, job_of):
    config = RunConfig(dataset="digits", hidden=(16,), epochs=3, batch_size=64)
    job = TrainingJob(config, load_dataset, store=run_store)
    job.pause()  # before it starts: it begins paused
    job.start()
    wait_until(lambda: job._trainer is not None and job._trainer.holding)
    threading.Event().wait(0.3)
    assert job.history == [] and job.inside.epoch == 0  # the weights it starts from
    job.step_epoch()
    wait_until(lambda: len(job.history) == 1 and job.inside.epoch == 1)
    assert job.inside.epoch == 1 and job.inside.batch == 0 and job.inside.weights is not None  # digits are images
    first = job.inside.weights.images.copy()
    job.step_batch()
    wait_until(lambda: job.inside.batch == 1)
    assert job.inside.epoch == 2 and job.partial["batch"] == 1 and len(job.history) == 1
    assert (job.inside.weights.images != first).any()  # one batch moved the weights
    job.resume()
    job.join(DEADLINE)
    assert job.status == Status.COMPLETED and not job.paused
    saved = run_store.load(job.run_id)
    assert saved.layer_stats == job.layer_stats and {row["epoch"] for row in saved.layer_stats} == {1, 2, 3}
    assert "layers" not in saved.history.columns


def test_many_short_epochs_are_saved_in_a_few_writes_and_all_kept(run_store, monkeypatch):
    writes = []
    real = run_store.save_history
    monkeypatch.setattr(run_store, "save_history", lambda run_id, rows: writes.append(len(rows)) or real(run_id, rows))
    monkeypatch.setattr(jobs, "SAVE_SECONDS", 10.0)
    job = TrainingJob(RunConfig(dataset="iris", hidden=(8,), epochs=40), load_dataset, store=run_store).start()
    job.join(DEADLINE)
    assert job.status == Status.COMPLETED
    assert len(writes) <= 3  # the first epoch, maybe one more after 10 s, and the last: not 40
    saved = run_store.load(job.run_id)
    assert list(saved.history["epoch"]) == list(range(1, 41)) and len(saved.layer_stats) == 40 * 2
    assert job.inside is not None and job.inside.epoch == 40


def test_a_stop_while_paused_ends_the_job_with_its_epochs(run_store, job_of):
    job = job_of(RunConfig(dataset="iris", hidden=(8,), epochs=50), store=run_store)
    wait_until(lambda: len(job.history) >= 2)
    job.pause()
    wait_until(lambda: job._trainer is not None and job._trainer.holding)
    kept = len(job.history)
    job.stop()
    job.join(DEADLINE)
    assert job.status == Status.STOPPED and len(job.history) == kept
    assert len(run_store.load(job.run_id).history) == kept


def test_an_epoch_row_that_is_not_a_mapping_is_reported_not_fatal(run_store):
    from sqlalchemy import update

    from nnlab.store.schema import epochs

    job = TrainingJob(RunConfig(dataset="iris", hidden=(4,), epochs=2), load_dataset, store=run_store).start()
    job.join(DEADLINE)
    with run_store.engine().begin() as connection:
        connection.execute(update(epochs).where(epochs.c.run_id == job.run_id, epochs.c.epoch == 1).values(metrics="[1, 2]"))
    run = run_store.load(job.run_id)
    assert list(run.history["epoch"]) == [2] and {row["epoch"] for row in run.layer_stats} == {2}
    assert any("could not be read" in problem for problem in run.problems)
