"""Groups of seeds in the store (store/groups.py) on SQLite and PostgreSQL, their row in the runs table, and
a group trained for real as one request (serving/jobs.SeedsJob)."""
import dataclasses

import pytest

from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.core.status import Status
from nnlab.data.datasets import load_dataset
from nnlab.serving.jobs import SeedsJob, TaggedStore, TrainingJob
from nnlab.serving.scheduler import Scheduler
from nnlab.store.groups import (PREFIX, delete_group, group_extra, group_of, groups_of, load_group, new_group_id)
from nnlab.store.runs import RunStore
from nnlab.store.table import runs_and_groups_frame
from test_runs import HISTORY, saved_run

CONFIG = RunConfig(dataset="iris", hidden=(8,), epochs=2)


def kept_group(store: RunStore, accuracies, label: str = "three seeds") -> str:
    group = new_group_id()
    for index, accuracy in enumerate(accuracies):
        run_id = store.create(dataclasses.replace(CONFIG, seed=index), dataset_title="Iris", task="classification",
                              extra=group_extra(group, label, len(accuracies), index))
        store.save_history(run_id, HISTORY)
        store.finish(run_id, status="completed", test={"loss": 1 - accuracy, "accuracy": accuracy},
                     verdict={"kind": "good_fit" if index else "overfitting"})
    return group


def test_a_group_is_kept_listed_loaded_and_deleted_together(database_url):
    store = RunStore(database_url)
    lone = saved_run(store, dataset="iris")
    group = kept_group(store, [0.8, 0.9, 0.85])
    other = RunStore(database_url, "someone-else")
    assert other.list()[0] == []  # a group is a workspace's, as its runs are
    groups, alone = groups_of(store.list()[0])
    assert [r.id for r in alone] == [lone] and [g.id for g in groups] == [group]
    found = groups[0]
    assert found.seeds == [0, 1, 2] and found.size == 3 and found.label == "three seeds"
    assert found.seeds_text() == "3 seeds (0…2)" and found.key == PREFIX + group
    assert found.test_spread().mean == pytest.approx(0.85) and found.test_spread().n == 3

    loaded = load_group(store, group)
    assert all(run.history is not None and len(run.history) == 2 for run in loaded.runs)
    judged = loaded.verdict()
    assert len(judged.kinds) == 3 and judged.verdict.kind in ("good_fit", "still_improving", "underfitting", "no_data",
                                                              "overfitting")
    with pytest.raises(UserError, match="no longer exists"):
        load_group(other, group)
    with pytest.raises(UserError, match="not a group"):
        load_group(store, "../../etc")

    store.delete(loaded.runs[0].id)  # one seed deleted: the rest is still its group, a smaller one
    assert groups_of(store.list()[0])[0][0].seeds == [1, 2]
    assert delete_group(store, group) == 2 and [run.id for run in store.list()[0]] == [lone]


def test_a_group_is_one_row_of_the_runs_table_in_the_place_of_its_newest_run(database_url):
    store = RunStore(database_url)
    first = saved_run(store, dataset="iris")
    group = kept_group(store, [0.7, 0.9])
    last = saved_run(store, dataset="wine")
    frame = runs_and_groups_frame(store.list()[0])
    assert list(frame["id"]) == [last, PREFIX + group, first]
    row = frame.set_index("id").loc[PREFIX + group]
    assert row["seeds"] == 2 and row["test accuracy"] == pytest.approx(0.8) and row["spread"] == "80.0 % ± 14.1 pt"
    assert row["verdict"] in ("Good fit ×1, Overfitting ×1", "Overfitting ×1, Good fit ×1") and row["name"] == "three seeds"


def test_a_run_whose_group_tag_is_not_nnlabs_is_a_lone_run(database_url):
    store = RunStore(database_url)
    for extra in ({"group": "../x", "group_size": 3}, {"group": new_group_id(), "group_size": 50}, {"group": 4}):
        store.create(CONFIG, extra=extra)
    groups, alone = groups_of(store.list()[0])
    assert groups == [] and len(alone) == 3 and all(group_of(run) is None for run in alone)


@pytest.mark.slow  # three real trainings
def test_a_seeds_job_trains_every_seed_in_one_request_and_keeps_them_as_a_group(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    scheduler = Scheduler(1)

    def make(config, label, extra):
        return TrainingJob(config, load_dataset, store=TaggedStore(store, extra), label=label, owner="alice",
                           scheduler=scheduler, abandon_seconds=600)

    job = SeedsJob(dataclasses.replace(CONFIG, seed=5), 3, make, label="iris ×3", scheduler=scheduler,
                   abandon_seconds=600)
    assert [run.config.seed for run in job.jobs] == [5, 6, 7] and [run.label for run in job.jobs] == [f"iris ×3 · seed {seed}" for seed in (5, 6, 7)]
    job.start()
    with pytest.raises(UserError):  # one visitor, one training: the group counts as one
        TrainingJob(CONFIG, load_dataset, owner="alice", scheduler=scheduler).start()
    job.join(120)
    assert [run.status for run in job.jobs] == [Status.COMPLETED] * 3
    group = load_group(store, job.group_id)
    assert group.seeds == [5, 6, 7] and group.label == "iris ×3" and group.test_spread().n == 3
    with pytest.raises(UserError, match="2 to 10 seeds"):
        SeedsJob(CONFIG, 11, make)


def test_a_group_of_seeds_shares_one_trainings_budget_as_a_race_does(deployment):
    """A group trains on one slot as one request: its seeds together are one training's compute, or a visitor
    could hold a slot for ten times what the deployer allows one training."""
    from nnlab.serving.jobs import RaceJob
    from nnlab.training import budget

    one = budget.cost(*TrainingJob(CONFIG, load_dataset).measure())
    deployment(max_compute=one * 2.5)  # two runs fit together; three would not
    scheduler = Scheduler(1)

    def make(config, label, extra):
        return TrainingJob(config, load_dataset, label=label, owner="bob", scheduler=scheduler)

    with pytest.raises(UserError, match="These 3 runs need"):
        RaceJob([make(dataclasses.replace(CONFIG, seed=seed), "", {}) for seed in range(3)], scheduler=scheduler).start()
    with pytest.raises(UserError, match="These 3 runs need .*fewer seeds"):
        SeedsJob(CONFIG, 3, make, scheduler=scheduler).start()
    group = SeedsJob(CONFIG, 2, make, scheduler=scheduler).start()
    group.stop()
    group.join(60)
    assert all(job.done for job in group.jobs)
