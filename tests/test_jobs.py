import errno
import threading

import pytest

from nnlab.core.deployment import Deployment
from nnlab.training import budget

from nnlab.serving import jobs
from nnlab.serving import slot_work
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.core.errors import UserError
from nnlab.serving.jobs import RaceJob, SweepJob, TrainingJob
from nnlab.store.runs import RunStore
from nnlab.serving.scheduler import Scheduler
from nnlab.core.status import Status

TINY = RunConfig(dataset="iris", hidden=(8,), epochs=3)
LONG = RunConfig(dataset="digits", hidden=(64,), epochs=500, batch_size=4)  # trains until stopped
DEADLINE = 120  # seconds any wait in these tests may take


def wait_until(condition, deadline: float = DEADLINE) -> None:
    pause = threading.Event()
    for _ in range(int(deadline / 0.02)):
        if condition():
            return
        pause.wait(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def started():
    """Start work with started(work); whatever is still training at the end is stopped."""
    works = []

    def start(work):
        works.append(work)
        return work.start()

    yield start
    for work in works:
        work.stop()
    for work in works:
        work.join(DEADLINE)


def test_a_job_trains_in_its_thread_and_saves_its_run(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    job = TrainingJob(TINY, load_dataset, store=store, label="tiny", owner="alice").start()
    job.join(DEADLINE)
    assert job.done and job.status == Status.COMPLETED and len(job.history) == 3
    assert job.result.history == job.history and job.predictions.outputs.shape == (30, 3)
    run = store.load(job.run_id)
    assert run.label == "tiny" and run.status == Status.COMPLETED and run.epochs_run == 3 and run.has_model
    assert run.verdict["kind"] == job.result.verdict.kind and run.params == 67


def test_a_bad_file_is_refused_at_start_and_fails_a_job_run_directly(tmp_path):
    config = RunConfig(dataset="csv", csv_path=str(tmp_path / "gone.csv"), target="y")
    with pytest.raises(UserError, match="CSV file not found"):
        TrainingJob(config, load_dataset).start()
    job = TrainingJob(config, load_dataset)
    job.run()
    assert job.status == Status.FAILED and "CSV file not found" in job.message


def test_an_unexpected_error_still_ends_the_job():
    def broken_loader(_config):
        raise RuntimeError("disk on fire at /srv/secret/path")

    started = TrainingJob(TINY, broken_loader).start()  # not a UserError: no page crash, a failed job
    run_here = TrainingJob(TINY, broken_loader)
    run_here.run()
    for job in (started, run_here):
        assert job.status == Status.FAILED and "RuntimeError" in job.message
        assert "/srv/secret" not in job.message  # the error's text (paths) goes to the log, not to the page


def test_a_run_over_the_compute_budget_is_refused_before_it_queues(deployment):
    deployment(max_compute=1000)
    scheduler = Scheduler(1)
    job = TrainingJob(TINY, load_dataset, owner="alice", scheduler=scheduler)
    with pytest.raises(UserError, match=r"This run needs .* fewer epochs \(even one is too many"):
        job.start()
    assert job.status == Status.QUEUED and job.queue_position() is None
    scheduler.enqueue(TrainingJob(TINY, load_dataset, owner="alice", scheduler=scheduler))  # alice is not blocked


@pytest.mark.slow  # over 4 s in the edit loop: out of it
def test_a_sweep_is_refused_when_its_runs_together_are_over_the_budget(deployment):
    deployment(max_compute=2.5 * budget.cost(*TrainingJob(TINY, load_dataset).measure()))
    scheduler = Scheduler(1)
    with pytest.raises(UserError, match="These 3 runs need"):
        SweepJob([TrainingJob(TINY, load_dataset, owner="alice") for _ in range(3)], scheduler=scheduler).start()
    sweep = SweepJob([TrainingJob(TINY, load_dataset, owner="alice") for _ in range(2)], scheduler=scheduler).start()
    sweep.join(DEADLINE)
    assert [job.status for job in sweep.jobs] == [Status.COMPLETED] * 2


def test_a_database_that_cannot_be_used_lets_the_run_train_unsaved_with_a_warning(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    job = TrainingJob(TINY, load_dataset, store=RunStore(f"sqlite:///{blocked}/runs.sqlite"))
    job.run()
    assert job.status == Status.COMPLETED and len(job.history) == 3 and job.run_id is None
    assert len(job.warnings) == 1 and job.warnings[0].startswith("This run is not being saved (the database ")


def test_disk_trouble_during_the_epochs_only_warns(tmp_path, monkeypatch):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    real_save, calls = store.save_history, []

    def full_for_two_epochs(run_id, history):
        calls.append(len(history))
        if len(calls) <= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(run_id, history)

    monkeypatch.setattr(store, "save_history", full_for_two_epochs)
    job = TrainingJob(TINY, load_dataset, store=store)
    job.run()
    assert job.status == Status.COMPLETED and len(job.history) == 3 and store.load(job.run_id).epochs_run == 3
    # the epochs the disk refused were written by the next save that worked, and the page says so
    assert job.warnings == ["Saving failed for a while; the epochs trained meanwhile have been saved since."]


def test_a_full_disk_at_the_end_marks_the_run_failed_not_running(tmp_path, monkeypatch, deployment):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "finish", full)
    deployment(save_retry_seconds=0.3)  # NNLAB_SAVE_RETRY_SECONDS
    job = TrainingJob(TINY, load_dataset, store=store)
    job.run()
    assert job.status == Status.FAILED and "Not saved: the end of this run could not be saved (No space left on " \
                                           "device; tried for 0.3 s): 3 of its 3 epochs were saved as it trained" in job.message
    run = store.load(job.run_id)
    assert run.status == Status.FAILED and run.message == job.message and run.epochs_run == 3


def test_slots_go_in_arrival_order_with_positions(started):
    scheduler = Scheduler(1)
    a, b, c = (TrainingJob(LONG, load_dataset, owner=owner, scheduler=scheduler) for owner in "abc")
    for job in (a, b, c):
        started(job)
    wait_until(lambda: a.status == Status.RUNNING)
    assert (a.queue_position(), b.queue_position(), c.queue_position()) == (None, 1, 2)
    assert (b.status, c.status) == (Status.QUEUED, Status.QUEUED)
    a.stop()
    wait_until(lambda: b.status == Status.RUNNING)
    assert c.queue_position() == 1 and c.status == Status.QUEUED and a.status == Status.STOPPED
    b.stop()
    wait_until(lambda: c.status == Status.RUNNING)


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_one_run_at_a_time_per_visitor(started):
    scheduler = Scheduler(2)
    first = started(TrainingJob(LONG, load_dataset, owner="alice", scheduler=scheduler))
    with pytest.raises(UserError, match="You already have a run training.*stop it or wait for it"):
        TrainingJob(TINY, load_dataset, owner="alice", scheduler=scheduler).start()
    with pytest.raises(UserError):
        RaceJob([TrainingJob(TINY, load_dataset, owner="alice") for _ in range(2)], scheduler=scheduler).start()
    other = started(TrainingJob(TINY, load_dataset, owner="bob", scheduler=scheduler))
    other.join(DEADLINE)
    assert other.status == Status.COMPLETED  # the second slot was free for another visitor
    first.stop()
    first.join(DEADLINE)
    again = started(TrainingJob(TINY, load_dataset, owner="alice", scheduler=scheduler))
    again.join(DEADLINE)
    assert again.status == Status.COMPLETED


def test_a_job_stopped_while_queued_leaves_the_queue_at_once(started):
    scheduler = Scheduler(1)
    running, leaving, waiting = (TrainingJob(LONG, load_dataset, owner=owner, scheduler=scheduler) for owner in "abc")
    for job in (running, leaving, waiting):
        started(job)
    wait_until(lambda: running.status == Status.RUNNING)
    assert waiting.queue_position() == 2
    leaving.stop()
    assert waiting.queue_position() == 1 and leaving.queue_position() is None
    leaving.join(DEADLINE)
    assert leaving.status == Status.STOPPED and leaving.message == "Stopped before training began."


def test_the_wait_is_estimated_from_the_running_jobs_remaining_time(started):
    scheduler = Scheduler(1)
    running = started(TrainingJob(LONG, load_dataset, owner="a", scheduler=scheduler))
    waiting = started(TrainingJob(TINY, load_dataset, owner="b", scheduler=scheduler))
    wait_until(lambda: len(running.history) >= 1)
    estimate, remaining = waiting.wait_estimate(), running.eta()  # read a moment apart
    assert estimate == pytest.approx(remaining, rel=0.2) and waiting.queue_position() == 1
    assert running.wait_estimate() is None


def test_a_run_nobody_watches_is_abandoned_with_its_epochs_kept(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    job = TrainingJob(LONG, load_dataset, store=store, abandon_seconds=1.0).start()
    wait_until(lambda: job.touch() or len(job.history) >= 2)  # watched until two epochs are in
    job.join(DEADLINE)  # then the page is closed
    assert job.status == Status.ABANDONED and len(job.history) >= 2
    assert job.message == (f"Stopped: nobody watched this run for 1 s (the page was closed); "
                           f"its {len(job.history)} epochs are kept.")
    run = store.load(job.run_id)
    assert run.status == Status.ABANDONED and run.epochs_run == len(job.history) and run.message == job.message


def test_stop_keeping_the_best_epoch_restores_it_before_the_run_is_tested_and_saved(run_store):
    config = RunConfig(dataset="digits", train_size=60, hidden=(256, 256), epochs=500, batch_size=8, learning_rate=0.01)
    job = TrainingJob(config, load_dataset, store=run_store).start()

    def turned() -> bool:  # the validation loss has been worse than its best for two epochs
        losses = [row["val_loss"] for row in list(job.history)]
        return len(losses) >= 3 and min(losses) < min(losses[-2:])

    wait_until(lambda: job.touch() or turned())
    assert job.keeps_best_weights
    job.stop(keep_best=True)
    job.join(DEADLINE)
    losses = [row["val_loss"] for row in job.history]
    best = losses.index(min(losses)) + 1
    assert job.status == Status.STOPPED and best < len(losses)
    assert f"Restored to epoch {best}," in job.message and job.result.message == job.message
    saved = run_store.load(job.run_id)
    assert saved.message == job.message and saved.epochs_run == len(losses)


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_a_race_nobody_watches_is_abandoned_as_a_whole(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    race = RaceJob([TrainingJob(LONG, load_dataset, store=store, label=name) for name in "AB"],
                   abandon_seconds=1.0, scheduler=Scheduler(1)).start()
    wait_until(lambda: race.jobs[0].touch() or all(len(job.history) >= 2 for job in race.jobs))  # a runner's page
    race.join(DEADLINE)
    assert [job.status for job in race.jobs] == [Status.ABANDONED] * 2
    assert all(store.load(job.run_id).epochs_run == len(job.history) >= 2 for job in race.jobs)


def test_a_queued_run_nobody_watches_leaves_the_queue(started):
    scheduler = Scheduler(1)
    running = started(TrainingJob(LONG, load_dataset, owner="a", scheduler=scheduler))
    forgotten = started(TrainingJob(TINY, load_dataset, owner="b", scheduler=scheduler, abandon_seconds=0.3))
    behind = started(TrainingJob(TINY, load_dataset, owner="c", scheduler=scheduler))
    forgotten.join(DEADLINE)
    assert forgotten.status == Status.ABANDONED and forgotten.message.startswith("Dropped from the queue: nobody watched")
    assert behind.queue_position() == 1 and running.status == Status.RUNNING


def test_a_running_job_beats_its_runs_heart(tmp_path, monkeypatch, started):
    monkeypatch.setattr(slot_work, "HEARTBEAT_SECONDS", 0.05)
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    beats = []
    real_beat = store.beat
    monkeypatch.setattr(store, "beat", lambda run_id: beats.append(run_id) or real_beat(run_id))
    monkeypatch.setattr(store, "save_history", lambda run_id, history: None)  # it beats too: not counted here
    job = started(TrainingJob(LONG, load_dataset, store=store))
    wait_until(lambda: len(beats) >= 3)
    assert set(beats) == {job.run_id} and job.status == Status.RUNNING
    job.stop()
    job.join(DEADLINE)
    count = len(beats)
    threading.Event().wait(0.3)
    assert len(beats) == count  # the heartbeat ended with the job


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_a_race_alternates_epochs_on_one_slot_and_saves_each_run(tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "SNAPSHOT_SECONDS", 0.0)  # a snapshot after every epoch (and one at the end)
    store, order, by_name = RunStore(f"sqlite:///{tmp_path}/runs.sqlite"), [], {}
    for name in "AB":
        by_name[name] = TrainingJob(TINY, load_dataset, store=store, label=name, owner="alice",
                                    snapshot=lambda model, data, name=name: order.append((name, len(by_name[name].history))))
    racers = list(by_name.values())
    scheduler = Scheduler(1)
    race = RaceJob(racers, scheduler=scheduler).start()
    race.join(DEADLINE)
    assert list(dict.fromkeys(order)) == [("A", 1), ("B", 1), ("A", 2), ("B", 2), ("A", 3), ("B", 3)]
    assert race.done and all(job.status == Status.COMPLETED and len(job.history) == 3 for job in racers)
    assert sorted(store.load(job.run_id).label for job in racers) == ["A", "B"]


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_a_race_or_sweep_holds_one_slot_and_stop_ends_all(started):
    scheduler = Scheduler(2)
    race = started(RaceJob([TrainingJob(LONG, load_dataset, owner="alice") for _ in range(3)], scheduler=scheduler))
    sweep = started(SweepJob([TrainingJob(LONG, load_dataset, owner="bob") for _ in range(2)], scheduler=scheduler))
    third = started(TrainingJob(TINY, load_dataset, owner="carol", scheduler=scheduler))
    wait_until(lambda: all(job.history for job in race.jobs) and sweep.jobs[0].history)
    assert scheduler.holds_slot(race) and scheduler.holds_slot(sweep) and third.queue_position() == 1
    assert race.jobs[2].queue_position() is None and sweep.jobs[1].status == Status.QUEUED
    race.stop()
    race.join(DEADLINE)
    assert [job.status for job in race.jobs] == [Status.STOPPED] * 3 and all(job.history for job in race.jobs)
    wait_until(lambda: third.status != Status.QUEUED)


def test_a_queued_race_reports_its_place_for_each_runner(started):
    scheduler = Scheduler(1)
    started(TrainingJob(LONG, load_dataset, owner="a", scheduler=scheduler))
    race = started(RaceJob([TrainingJob(TINY, load_dataset, owner="b") for _ in range(2)], scheduler=scheduler))
    assert [job.queue_position() for job in race.jobs] == [1, 1] and race.queue_position() == 1
    race.stop()
    race.join(DEADLINE)
    assert [job.message for job in race.jobs] == ["Stopped before training began."] * 2


def test_a_race_of_two_visitors_is_a_mistake():
    with pytest.raises(ValueError, match="belong to one visitor"):
        RaceJob([TrainingJob(TINY, load_dataset, owner=owner) for owner in "ab"])


def test_eta_counts_down():
    job = TrainingJob(RunConfig(epochs=10), load_dataset)
    job.status, job.history, job.progress = Status.RUNNING, [{"seconds": 2.0}, {"seconds": 4.0}], (3, 5, 10)
    assert job.eta() == 3.0 * (10 - 2 - 0.5)


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_a_sweep_runs_one_after_another_and_stop_skips_the_rest():
    configs = [RunConfig(dataset="iris", hidden=(4,), epochs=2, learning_rate=lr) for lr in (0.001, 0.01)]
    sweep = SweepJob([TrainingJob(c, load_dataset, label=str(c.learning_rate)) for c in configs],
                     scheduler=Scheduler(1)).start()
    sweep.join(DEADLINE)
    assert sweep.done and [job.status for job in sweep.jobs] == [Status.COMPLETED, Status.COMPLETED]

    sweep = SweepJob([TrainingJob(LONG, load_dataset) for _ in range(3)], scheduler=Scheduler(1)).start()
    wait_until(lambda: sweep.jobs[0].status == Status.RUNNING and sweep.jobs[0].history)
    sweep.stop()
    sweep.join(DEADLINE)
    assert [job.status for job in sweep.jobs] == [Status.STOPPED] * 3
    assert sweep.jobs[1].message == "Stopped before training began."


@pytest.mark.parametrize("text, seconds", [("60", 60.0), ("2.5", 2.5), ("0", None), ("soon", None)])
def test_the_deployer_sets_the_abandon_time(text, seconds, deployment):
    if seconds is None:
        with pytest.raises(ValueError, match="NNLAB_ABANDON_SECONDS must be a number of seconds above 0"):
            Deployment.from_environment({"NNLAB_ABANDON_SECONDS": text})
    else:
        deployment(abandon_seconds=Deployment.from_environment({"NNLAB_ABANDON_SECONDS": text}).abandon_seconds)
        assert TrainingJob(TINY, load_dataset).abandon_seconds == seconds  # work not given its own uses the deployment's


def test_an_epoch_that_fails_ends_the_run_with_its_own_reason(tmp_path, monkeypatch):
    from nnlab.training.train import Trainer

    real_epoch, calls = Trainer.run_epoch, []

    def failing_second_epoch(self):
        calls.append(1)
        if len(calls) == 2:
            raise UserError("the data file changed under the run")
        return real_epoch(self)

    monkeypatch.setattr(Trainer, "run_epoch", failing_second_epoch)
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    job = TrainingJob(TINY, load_dataset, store=store)
    job.run()
    assert job.status == Status.FAILED and job.message == "the data file changed under the run"
    run = store.load(job.run_id)
    assert run.status == Status.FAILED and run.message == job.message and run.epochs_run == 1
