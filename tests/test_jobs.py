import threading
import time

from nnlab import jobs as jobs_module
from nnlab.config import RunConfig
from nnlab.data import load_dataset
from nnlab.jobs import SweepJob, TrainingJob
from nnlab.runs import RunStore

TINY = RunConfig(dataset="iris", hidden=(8,), epochs=3)


def test_a_job_trains_in_its_thread_and_saves_its_run(tmp_path):
    store = RunStore(tmp_path)
    job = TrainingJob(TINY, load_dataset, store=store, label="tiny").start()
    job.join(120)
    assert job.done and job.status == "completed" and len(job.history) == 3
    assert job.result.history == job.history and job.predictions.outputs.shape == (30, 3)
    run = store.load(job.run_id)
    assert run.label == "tiny" and run.status == "completed" and run.epochs_run == 3 and run.has_model
    assert run.verdict["kind"] == job.result.verdict.kind and run.params == 67


def test_a_bad_file_ends_the_job_as_failed_with_the_message(tmp_path):
    job = TrainingJob(RunConfig(dataset="csv", csv_path=str(tmp_path / "gone.csv"), target="y"), load_dataset)
    job.run()
    assert job.status == "failed" and "CSV file not found" in job.message


def test_an_unexpected_error_still_ends_the_job(tmp_path):
    def broken_loader(_config):
        raise RuntimeError("disk on fire")

    job = TrainingJob(TINY, broken_loader)
    job.run()
    assert job.status == "failed" and "disk on fire" in job.message


def test_a_store_that_cannot_be_written_does_not_stop_training(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    job = TrainingJob(TINY, load_dataset, store=RunStore(blocked))
    job.run()
    assert job.status == "completed" and job.warnings and "training continues unsaved" in job.warnings[0]


def test_at_most_the_slots_train_at_once(monkeypatch):
    monkeypatch.setattr(jobs_module, "_SLOTS", threading.BoundedSemaphore(1))
    config = RunConfig(dataset="digits", hidden=(64,), epochs=200, batch_size=4)
    first = TrainingJob(config, load_dataset).start()
    second = TrainingJob(config, load_dataset).start()
    while first.status != "running":
        time.sleep(0.05)
    time.sleep(0.5)
    assert second.status == "queued"
    first.stop()
    first.join(60)
    while second.status == "queued":
        time.sleep(0.05)
    assert second.status == "running"
    second.stop()
    second.join(60)
    assert (first.status, second.status) == ("stopped", "stopped")


def test_eta_counts_down():
    job = TrainingJob(RunConfig(epochs=10), load_dataset)
    job.status, job.history, job.progress = "running", [{"seconds": 2.0}, {"seconds": 4.0}], (3, 5, 10)
    assert job.eta() == 3.0 * (10 - 2 - 0.5)


def test_a_sweep_runs_one_after_another_and_stop_skips_the_rest():
    configs = [RunConfig(dataset="iris", hidden=(4,), epochs=2, learning_rate=lr) for lr in (0.001, 0.01)]
    sweep = SweepJob([TrainingJob(c, load_dataset, label=str(c.learning_rate)) for c in configs]).start()
    sweep.join(120)
    assert sweep.done and [job.status for job in sweep.jobs] == ["completed", "completed"]

    long = RunConfig(dataset="digits", hidden=(64,), epochs=500, batch_size=4)
    sweep = SweepJob([TrainingJob(long, load_dataset) for _ in range(3)]).start()
    while sweep.jobs[0].status != "running" or not sweep.jobs[0].history:
        time.sleep(0.05)
    sweep.stop()
    sweep.join(60)
    assert [job.status for job in sweep.jobs] == ["stopped", "stopped", "stopped"]
    assert sweep.jobs[1].message == "Stopped before training began."
