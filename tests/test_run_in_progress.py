"""A page that lost its session finds the visitor's run still training (issue 21, problem 6), and a
paused run's progress line stops counting down."""

import pytest

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.serving.jobs import RaceJob, TrainingJob, run_in_progress
from nnlab.store.runs import RunStore
from nnlab.serving.scheduler import Scheduler
from nnlab.core.status import Status
from nnlab.ui.live import status_line
from test_jobs import wait_until

LONG = RunConfig(dataset="digits", hidden=(16,), epochs=500, batch_size=4)  # trains until stopped
TINY = RunConfig(dataset="iris", hidden=(4,), epochs=2)
DEADLINE = 120


@pytest.mark.slow
def test_the_run_of_a_closed_tab_is_found_by_its_owner_only(tmp_path):
    url = f"sqlite:///{tmp_path}/runs.sqlite"
    scheduler = Scheduler(2)
    job = TrainingJob(LONG, load_dataset, store=RunStore(url, "shared"), owner="visitor:closed-tab",
                      scheduler=scheduler).start()
    race = RaceJob([TrainingJob(TINY, load_dataset, store=RunStore(url, "shared"), owner="visitor:racer")
                    for _ in range(2)], scheduler=scheduler)
    try:
        wait_until(lambda: job.status == Status.RUNNING)
        assert run_in_progress("visitor:closed-tab", scheduler) is job  # the same browser, another tab
        # … and nobody else's page, though the run saves into a workspace everyone shares (localhost)
        assert run_in_progress("visitor:someone-else", scheduler) is None
        assert run_in_progress("", scheduler) is None
        race.start()
        assert run_in_progress("visitor:racer", scheduler) is None  # a race's runs belong to the Race page
    finally:
        job.stop()
        race.stop()
        job.join(DEADLINE)
        race.join(DEADLINE)
    assert run_in_progress("visitor:closed-tab", scheduler) is None  # ended: nothing to offer


def test_a_paused_run_says_so_instead_of_counting_down():
    job = TrainingJob(RunConfig(epochs=10), load_dataset)
    job.status, job.history, job.progress, job.started = Status.RUNNING, [{"seconds": 2.0}], (2, 5, 10), 1.0
    assert "left" in status_line(job)
    job.pause()
    line = status_line(job)
    assert "paused" in line.lower() and "left" not in line and " s" not in line.replace("Epoch", "")


@pytest.mark.slow
def test_a_group_of_seeds_of_a_closed_tab_is_found_by_its_owner_as_a_group(tmp_path):
    from nnlab.serving.jobs import SeedsJob, TaggedStore

    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite", "shared")
    scheduler = Scheduler(1)
    group = SeedsJob(LONG, 2, lambda config, label, extra: TrainingJob(
        config, load_dataset, store=TaggedStore(store, extra), label=label, owner="visitor:seeds", scheduler=scheduler),
        scheduler=scheduler)
    try:
        group.start()
        wait_until(lambda: group.jobs[0].status == Status.RUNNING)
        assert run_in_progress("visitor:seeds", scheduler, SeedsJob) is group
        assert run_in_progress("visitor:seeds", scheduler) is None  # not a lone run: Train finds it as a group
        assert run_in_progress("visitor:other", scheduler, SeedsJob) is None
    finally:
        group.stop()
        group.join(DEADLINE)
    assert run_in_progress("visitor:seeds", scheduler, SeedsJob) is None
