"""Handing work to the queue in PostgreSQL (issue 25), without a worker: one training per visitor across
web servers, the place in line in the queue's own order, a queued job cancelled by Stop, and the word
that no worker is running."""
from __future__ import annotations

import threading
import time

import pytest

from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.core.status import Status
from nnlab.serving import queue_state, work_spec
from nnlab.serving.remote_work import RemoteWork, submit
from nnlab.store import database
from nnlab.store.runs import RunStore

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CONFIG = RunConfig.from_dict({"dataset": "xor", "epochs": 2, "hidden": [4]})


def spec(owner: str = "") -> dict:
    return work_spec.run_spec(CONFIG, owner=owner, workspace="shared")


def test_two_web_servers_accept_one_training_per_visitor(postgres_url):
    # Two "web servers": two engines of their own, racing for the same visitor, round after round.
    second = postgres_url + "?application_name=second-server"
    for _round in range(10):
        accepted, refused, ready = [], [], threading.Barrier(2)

        def start(url):
            ready.wait()
            try:
                accepted.append((url, submit(url, spec("visitor-1"))))
            except UserError as error:
                refused.append(str(error))

        threads = [threading.Thread(target=start, args=(url,)) for url in (postgres_url, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(accepted) == 1 and len(refused) == 1 and "already have a run" in refused[0]
        _url, job_id = accepted[0]
        RemoteWork(postgres_url, _key_of(postgres_url, job_id), job_id).stop()  # stopped in line: the visitor may start again
        assert queue_state.job_status(postgres_url, job_id) == "cancelled"
    database.forget(second)


def _key_of(url: str, job_id: int) -> str:
    from sqlalchemy import text

    with database.engine(url).connect() as connection:
        return connection.execute(text("SELECT work_key FROM nnlab_live WHERE job_id = :id"), {"id": job_id}).scalar()


def test_the_place_in_line_follows_the_queue_and_a_stop_leaves_it(postgres_url):
    specs = [spec(f"visitor-{n}") for n in range(3)] + [spec()]  # the CLI ("") is not limited
    works = [RemoteWork(postgres_url, s["key"], submit(postgres_url, s)) for s in specs]
    assert [work.place() for work in works] == [1, 2, 3, 4]
    works[0].stop()
    assert [work.place() for work in works] == [None, 1, 2, 3]
    first = works[0]
    assert first.status(first.look()) == Status.STOPPED  # the follower hears it never trained
    assert queue_state.workers_alive(postgres_url) == 0  # and nobody would have trained it: the page says so
    assert "python -m nnlab worker" in queue_state.NO_WORKER and "NNLAB_TRAINING=in-process" in queue_state.NO_WORKER


def test_a_runs_status_is_judged_on_the_queues_word_read_with_its_row_not_a_later_one(postgres_url):
    """A race on a worker: its first run's end took a moment to mirror, its job succeeded meanwhile, and its second
    run, judged on the row read before (still training) beside the newer word, was said to have ended without a
    last word (a full run's failure). The word read with the row is the one that counts; the next look hears the end."""
    from sqlalchemy import text

    from nnlab.store import live_state

    work = RemoteWork(postgres_url, (race := spec("visitor-race"))["key"], submit(postgres_url, race))
    members = [{"status": Status.COMPLETED.value}, {"status": Status.RUNNING.value}]
    live_state.write(postgres_url, work.key, worker="w", run_id=None, state={"status": "running", "members": members})
    with database.writing(database.engine(postgres_url)) as connection:  # a worker has taken it
        connection.execute(text("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = :id"), {"id": work.job_id})
    state = work.read()
    with database.writing(database.engine(postgres_url)) as connection:  # the worker ends it with its last word
        connection.execute(text("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = :id"), {"id": work.job_id})
    time.sleep(0.2)  # the first run's mirroring took a while
    assert [work.status(state, index) for index in (0, 1)] == [Status.COMPLETED, Status.RUNNING]
    # A row that says the run still trains beside a job that has ended, read together: no last word
    assert work.status(work.read(), 1) == Status.INTERRUPTED


CSV_TEXT = "x1,x2,kind\n" + "\n".join(f"{i % 7},{i % 5},{'ab'[i % 2]}" for i in range(120)) + "\n"


def test_a_csv_runs_file_goes_to_the_worker_through_the_database_never_by_its_path(postgres_url, tmp_path, deployment):
    """A worker cannot read the web server's disk (issue 25): the spec carries the file's id, the bytes wait in the
    database, and the worker trains on its own copy; the run's record keeps the page's path."""
    from nnlab.core.errors import DataError
    from nnlab.data.datasets import load_dataset
    from nnlab.serving.scheduler import Scheduler
    from nnlab.store import csv_files

    deployment(database_url=postgres_url)
    upload = tmp_path / "uploads" / "0123456789abcdef.csv"
    upload.parent.mkdir()
    upload.write_text(CSV_TEXT)
    config = RunConfig.from_dict({"dataset": "csv", "csv_path": str(upload), "target": "kind", "hidden": [4], "epochs": 1})
    made = work_spec.run_spec(config, workspace="shared", url=postgres_url)
    assert made["csv"] == {str(upload): csv_files.file_id(CSV_TEXT.encode())}
    upload.unlink()  # the web server's disk, out of the worker's reach
    job = work_spec.build(made, postgres_url, Scheduler(1), load=load_dataset)
    data = job._load(job.config)  # noqa: SLF001 - what the worker's job loads
    assert data.n_train + data.n_val + data.size("test") == 120 and data.class_names == ("a", "b")
    assert job.config.csv_path == str(upload)  # recorded as the page named it
    forged = {**made, "csv": {str(upload): "../../etc/passwd"}}  # a spec naming anything but an id reads nothing
    with pytest.raises(DataError, match="names no CSV file"):
        work_spec.build(forged, postgres_url, Scheduler(1), load=load_dataset)._load(job.config)  # noqa: SLF001
    with pytest.raises(ValueError, match="database"):  # a caller that forgot the database: its slip, said
        work_spec.run_spec(config, workspace="shared")

    # Bounded by the server's upload quota: the least lately queued file goes, and a run still naming it says so.
    deployment(database_url=postgres_url, server_upload_quota_mb=1.5 * len(CSV_TEXT) / 1e6)
    other = CSV_TEXT.replace("ab", "cd").replace(",a\n", ",c\n").replace(",b\n", ",d\n").encode()
    assert csv_files.keep(postgres_url, other) != made["csv"][str(upload)]
    assert csv_files.fetch(postgres_url, made["csv"][str(upload)]) is None
    with pytest.raises(DataError, match="no longer kept for the workers"):
        csv_files.local_copy(postgres_url, made["csv"][str(upload)], folder=tmp_path / "worker")


def test_train_queue_with_no_worker_says_so_and_ctrl_c_takes_it_out_of_line(postgres_url):
    import json
    import signal
    import subprocess
    import sys

    following = subprocess.Popen([sys.executable, "-m", "nnlab", "train", "--queue", "--database", postgres_url,
                                  "--dataset", "xor", "--epochs", "2", "--json"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = []
    for line in following.stderr:  # waits for the line itself: no worker has beaten, so none will come
        said.append(line)
        if "No worker is running" in line:
            break
    assert any("place 1 in line" in line for line in said), said
    following.send_signal(signal.SIGINT)
    out, err = following.communicate(timeout=60)
    result = json.loads(out.strip().splitlines()[-1])
    assert following.returncode == 0 and result["status"] == "stopped" and result["run_id"] is None, err
    job_id = int(said[0].split("(job ")[1].rstrip(")\n"))  # "queued for the workers (job N)"
    assert queue_state.job_status(postgres_url, job_id) == "cancelled"  # out of line: no worker will ever train it


def test_train_queue_needs_postgresql_and_keeps_its_run(tmp_path, capsys):
    from nnlab.cli.main import main

    sqlite = f"sqlite:///{tmp_path / 'n.sqlite'}"
    assert main(["train", "--queue", "--database", sqlite, "--dataset", "xor"]) == 2
    assert "need a PostgreSQL database" in capsys.readouterr().err
    assert main(["worker", "--database", sqlite]) == 2
    assert "workers need the PostgreSQL database" in capsys.readouterr().err


def test_work_in_line_nobody_follows_is_found_and_old_rows_are_pruned(postgres_url):
    from sqlalchemy import update

    from nnlab.store import controls, live_state
    from nnlab.store.schema import live

    followed, gone = spec("visitor-a"), spec("visitor-b")
    submit(postgres_url, followed)
    gone_job = submit(postgres_url, gone)
    controls.ask(postgres_url, gone["key"], "pause")
    with database.engine(postgres_url).begin() as connection:  # the second page was closed a minute ago
        connection.execute(update(live).where(live.c.work_key == gone["key"]).values(watched=live.c.watched - 60))
    assert queue_state.unwatched_in_line(postgres_url, abandon_seconds=30) == [(gone["key"], gone_job)]
    assert live_state.prune(postgres_url, older_than_seconds=30) == 0  # its row was written just now
    with database.engine(postgres_url).begin() as connection:
        connection.execute(update(live).where(live.c.work_key == gone["key"]).values(updated=live.c.updated - 60))
    assert live_state.prune(postgres_url, older_than_seconds=30) == 1
    assert live_state.read(postgres_url, gone["key"]) is None and controls.requests_after(postgres_url, gone["key"], 0) == []
    assert live_state.read(postgres_url, followed["key"]) is not None


def test_the_train_page_says_within_seconds_that_no_worker_is_running(postgres_url, deployment, tmp_path):
    from apptest_helpers import button, open_page, wait_until

    from nnlab.serving.live_answer import live_answer, progress_text

    deployment(database_url=postgres_url, runs="shared", training="workers", runs_dir=tmp_path)
    at = open_page("app_pages/1_Train.py", dataset="xor", hidden="4", epochs="2")
    button(at, "Train").click().run()
    job = at.session_state["train_job"]
    # What the live view the browser fetches is told (live_answer), as for a run queued here.
    wait_until(at, lambda at: any("No worker is running" in w for w in live_answer(job, 0)["warnings"]), timeout=60)
    assert job.status == Status.QUEUED and job.queue_position() == 1
    assert "1st in line" in progress_text(job)
    button(at, "Stop").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done, timeout=60)
    assert job.status == Status.STOPPED and queue_state.job_status(postgres_url, job.work.job_id) == "cancelled"


def test_the_workers_wait_estimate_is_the_web_queues_rule():
    from nnlab.serving.scheduler import wait_estimate

    assert wait_estimate(2, [], 0, None) == 0.0  # a free slot: at once
    assert wait_estimate(2, [30.0, 10.0], 0, 20.0) == 10.0  # the first slot to free up
    assert wait_estimate(2, [30.0, 10.0], 2, 20.0) == 30.0  # 10 → 30, then the other slot at 30
    assert wait_estimate(1, [None], 0, 20.0) == 20.0  # a holder's unknown time counts as the typical hold
    assert wait_estimate(1, [5.0], 1, None) is None  # nothing finished yet: not known
    assert wait_estimate(0, [], 0, 20.0) is None  # no worker: no estimate (the page says no worker runs)


def test_no_worker_gives_no_estimate(postgres_url):
    work = spec("visitor-e")
    assert queue_state.wait_estimate(postgres_url, submit(postgres_url, work)) is None


def test_where_a_pages_run_trains_follows_nnlab_training(deployment):
    from nnlab.serving import placement

    pg, sqlite = "postgresql://a@db/x", "sqlite:///x.sqlite"
    deployment(training="in-process")  # a single PostgreSQL server training itself
    assert not placement.runs_on_workers(pg) and not placement.runs_on_workers(sqlite)
    deployment(training="auto")  # the default: workers with PostgreSQL, here with the embedded SQLite file
    assert placement.runs_on_workers(pg) and not placement.runs_on_workers(sqlite)
    deployment(training="workers")
    assert placement.runs_on_workers(pg)
    with pytest.raises(UserError, match="needs a PostgreSQL database"):
        placement.runs_on_workers(sqlite)


def test_a_race_is_one_work_and_the_visitors_one_training_rebuilt_as_a_race_on_the_worker(postgres_url):
    import dataclasses

    from nnlab.serving.jobs import RaceJob, SweepJob
    from nnlab.serving.scheduler import Scheduler

    runs = [(CONFIG, "A", {"group": "g"}), (dataclasses.replace(CONFIG, optimizer="sgd"), "B", {"group": "g"})]
    race = work_spec.work_spec("race", runs, owner="visitor-race", workspace="shared")
    submit(postgres_url, race)
    with pytest.raises(UserError, match="already have a run"):  # a race counts as one training
        submit(postgres_url, spec("visitor-race"))
    rebuilt = work_spec.build(race, postgres_url, Scheduler(1), load=None)
    assert isinstance(rebuilt, RaceJob) and [job.label for job in rebuilt.jobs] == ["A", "B"]
    assert [job.config.optimizer for job in rebuilt.jobs] == ["adam", "sgd"]
    assert isinstance(work_spec.build({**race, "kind": "sweep"}, postgres_url, Scheduler(1), load=None), SweepJob)


def test_a_race_mixing_a_csv_upload_with_runs_for_the_workers_is_refused_in_words():
    from nnlab.serving import placement
    from nnlab.serving.jobs import RaceJob, TrainingJob
    from nnlab.serving.remote_work import RemoteTrainingJob

    csv = RunConfig.from_dict({"dataset": "csv", "csv_path": "/tmp/x.csv", "target": "y"})
    race = RaceJob([RemoteTrainingJob(CONFIG, None, url="postgresql://nowhere/db", workspace="shared", owner="v"),
                    TrainingJob(csv, None, owner="v")])
    with pytest.raises(UserError, match="race them separately"):
        placement.start(race)


def test_the_finder_waiting_for_a_worker_says_none_is_running_and_stop_takes_it_out_of_line(postgres_url):
    from nnlab.data.cache import DATA_CACHE
    from nnlab.serving.live_answer import finder_answer
    from nnlab.serving.remote_work import RemoteFinderJob

    finder = RemoteFinderJob(RunConfig.from_dict({"dataset": "circle", "samples": 300, "hidden": [8]}),
                             DATA_CACHE.load, url=postgres_url, owner="visitor-finder").start()
    deadline = time.monotonic() + 60
    while "No worker is running" not in finder_answer(finder)["status"]:  # what the browser's live view is told
        assert time.monotonic() < deadline, finder_answer(finder)
        finder.touch()
        threading.Event().wait(0.2)
    assert "number 1 in line" in finder_answer(finder)["status"] or "next" in finder_answer(finder)["status"]
    finder.stop()
    while not finder.done:
        assert time.monotonic() < deadline
        threading.Event().wait(0.2)
    assert finder.status == Status.STOPPED and queue_state.job_status(postgres_url, finder.work.job_id) == "cancelled"


def test_a_race_whose_worker_is_gone_ends_each_unfinished_run_interrupted_and_keeps_the_finished(postgres_url):
    import dataclasses

    from nnlab.serving.worker import Worker, group_state
    from nnlab.store import live_state

    runs = [(CONFIG, "A", None), (dataclasses.replace(CONFIG, optimizer="sgd"), "B", None)]
    race = work_spec.work_spec("race", runs, owner="visitor-gone-race", workspace="shared")
    submit(postgres_url, race)
    store = RunStore(postgres_url, "shared")
    ids = [store.create(config, label=label) for config, label, _ in runs]
    store.save_history(ids[1], [{"epoch": 1, "loss": 0.5, "val_loss": 0.6, "accuracy": 0.7, "val_accuracy": 0.6,
                                 "seconds": 0.1}])
    told = [{"status": "completed", "message": "Trained all 2 epochs.", "run_id": ids[0]},
            {"status": "running", "message": "", "run_id": ids[1]}]
    live_state.write(postgres_url, race["key"], worker="gone-pc", run_id=ids[0], state=group_state(told, False))
    Worker(postgres_url, name="sweeper")._interrupted_elsewhere(race)  # what the stalled-job sweep does for it
    members = live_state.read(postgres_url, race["key"]).state["members"]
    assert [member["status"] for member in members] == ["completed", "interrupted"]
    assert "Its worker (gone-pc) stopped at epoch 1" in members[1]["message"]
    assert store.load(ids[1]).status == Status.INTERRUPTED and store.load(ids[1]).epochs_run == 1
