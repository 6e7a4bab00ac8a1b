"""Training on worker processes fed by the queue in a real PostgreSQL (issue 25): `train --queue`
followed like a local run, Ctrl-C, Stop / Pause / One epoch reaching the worker, two workers draining
a queue with every epoch kept and every run trained once, and kill -9 of a worker mid-run.

Two workers (`python -m nnlab worker`) run for the whole module: TensorFlow's import is paid once each.
Every wait is for an event, with a deadline that only ends a test that would hang."""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.core.status import FINISHED, Status
from nnlab.serving import queue_state, work_spec
from nnlab.serving.remote_work import RemoteWork, submit
from nnlab.store import database, live_state, workers
from nnlab.store.runs import RunStore

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
DEADLINE = 120.0  # seconds; a loaded 2-core machine imports TensorFlow in 5–20 s
NAMES = ("worker-a", "worker-b")
ABANDON_SECONDS = "10"  # the workers' NNLAB_ABANDON_SECONDS: work nobody touched this long stops
TRAIN, RACE, SWEEP = "app_pages/1_Train.py", "app_pages/4_Race.py", "app_pages/5_Sweep.py"
SEARCH = "app_pages/14_Search.py"
TINY = ["--dataset", "xor", "--hidden", "8", "--samples", "200"]
LONG = ["--dataset", "spiral", "--hidden", "32,32", "--batch-size", "4", "--epochs", "1000"]  # minutes: it is stopped


def wait_for(what: str, found, deadline: float = DEADLINE):
    """`found()`'s first truthy answer, looked for every 0.1 s until the deadline."""
    end, tick = time.monotonic() + deadline, threading.Event()
    while True:
        answer = found()
        if answer:
            return answer
        if time.monotonic() > end:
            pytest.fail(f"waited {deadline:g} s for {what}")
        tick.wait(0.1)


@pytest.fixture(scope="module")
def queue_url(postgres_admin_url):
    """A database of the module's own, brought up to date (the queue's tables included)."""
    name = f"nnlab_queue_{secrets.token_hex(4)}"
    admin = create_engine(database.driver_url(postgres_admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    RunStore(url).engine()
    yield url
    database.forget(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def worker_processes(queue_url, tmp_path_factory):
    logs = tmp_path_factory.mktemp("workers")
    started = {}
    for name in NAMES:
        log = open(logs / f"{name}.log", "wb")
        started[name] = subprocess.Popen([sys.executable, "-m", "nnlab", "worker", "--database", queue_url,
                                          "--name", name], stdout=log, stderr=subprocess.STDOUT,
                                         env={**os.environ, "NNLAB_ABANDON_SECONDS": ABANDON_SECONDS})
    wait_for("both workers to beat", lambda: set(workers.alive(queue_url)) == set(NAMES) or _dead(started, logs))
    yield started
    for process in started.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started.values():
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _dead(started: dict, logs) -> bool:
    for name, process in started.items():
        if process.poll() is not None:
            pytest.fail(f"worker {name} exited: {(logs / f'{name}.log').read_text()[-2000:]}")
    return False


def train_queued(url: str, *flags: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nnlab", "train", "--queue", "--database", url, "--json", *flags],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def started_once(url: str, run_id: str) -> bool:
    with database.engine(url).connect() as connection:
        job_id = connection.execute(text("SELECT job_id FROM nnlab_live WHERE run_id = :run"), {"run": run_id}).scalar()
    return queue_state.started_count(url, job_id) == 1


def test_train_queue_is_trained_by_a_worker_and_reported_as_a_local_run(queue_url, worker_processes):
    done = train_queued(queue_url, *TINY, "--epochs", "3")
    out, err = done.communicate(timeout=DEADLINE)
    assert done.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "completed" and result["epochs_run"] == 3 and len(result["history"]) == 3
    assert result["worker"] in NAMES and set(result["test"]) == {"loss", "accuracy"}
    assert result["config"]["epochs"] == 3 and result["verdict"]["kind"]
    assert "epoch 3/3" in err and f"on worker {result['worker']}" in err  # the same epoch lines as a local run
    run = RunStore(queue_url).load(result["run_id"])
    assert run.status == Status.COMPLETED and run.epochs_run == 3 and run.has_model
    assert started_once(queue_url, result["run_id"])


def test_a_csv_run_is_trained_by_a_worker_from_the_file_kept_in_the_database(queue_url, worker_processes, tmp_path):
    """Issue 25: a CSV file is on the web server's (here the CLI's) disk; the worker trains on the bytes the
    database holds, so the run goes to the workers as any other."""
    table = tmp_path / "points.csv"
    table.write_text("x1,x2,kind\n" + "\n".join(f"{i % 7},{(i * 3) % 5},{'ab'[i % 2]}" for i in range(150)) + "\n")
    done = train_queued(queue_url, "--csv", str(table), "--target", "kind", "--hidden", "4", "--epochs", "2")
    out, err = done.communicate(timeout=DEADLINE)
    assert done.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "completed" and result["epochs_run"] == 2 and result["worker"] in NAMES
    assert result["config"]["csv_path"] == str(table)


def test_a_train_page_run_is_trained_by_a_worker_and_shown_as_a_local_one(queue_url, worker_processes, deployment,
                                                                         tmp_path):
    from apptest_helpers import button, charts, open_page, wait_until

    from nnlab.serving.remote_work import RemoteTrainingJob

    deployment(database_url=queue_url, runs="shared", training="workers", runs_dir=tmp_path)
    at = open_page(TRAIN, dataset="xor", hidden="8", epochs="3")
    button(at, "Train").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    job = at.session_state["train_job"]
    assert isinstance(job, RemoteTrainingJob) and job.status == "completed", job.message
    assert job.worker in NAMES and f"Trained on worker {job.worker}." in job.message  # the one visible difference
    loss = charts(at)[0]
    assert [row["epoch"] for row in loss["rows"] if row.get("run") == "this run"] == [1, 2, 3]
    assert any(s.value.endswith(job.result.verdict.title) for s in at.subheader)
    assert {"Test loss", "Test accuracy", "Train loss", "Validation loss"} <= {m.label for m in at.metric}
    assert job.predictions is not None and job.inside is not None  # made by the worker, kept with the run
    assert job.model_kept and job.result.model is None  # loaded only when needed: a weight set by hand
    job.edit_weight("hidden_1", 0, 0, 1.5)
    assert job.result.model is not None and job.inside.edits and job.inside.edits[0][1][1] == 1.5
    run = RunStore(queue_url).load(job.run_id)
    assert run.status == Status.COMPLETED and run.epochs_run == 3

    at = open_page(TRAIN, dataset="spiral", hidden="32,32", batch_size="4", epochs="1000")
    button(at, "Train").click().run()
    wait_until(at, lambda at: len(at.session_state["train_job"].history) >= 2)
    button(at, "Stop").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    job = at.session_state["train_job"]
    assert job.status == "stopped" and 2 <= len(job.history) < 1000 and "completed epoch" in job.message
    assert RunStore(queue_url).load(job.run_id).epochs_run == len(job.history)


def test_a_workers_run_ends_on_its_page_as_a_local_one_without_tensorflow_in_the_web_process(queue_url,
                                                                                          worker_processes):
    """Its predictions and inside views come from the worker, kept with the run: the follower (alone in a
    process, as a web server that never trained) reads them without importing TensorFlow."""
    from follow_remote_end import shapes

    from nnlab.data.cache import DATA_CACHE
    from nnlab.serving.jobs import TrainingJob

    configs = [{"dataset": "xor", "hidden": [4, 3], "samples": 200, "epochs": 2},  # a plane: boundary, maps, links
               {"dataset": "digits", "hidden": [8], "epochs": 2}]  # images: the first layer's weights as images
    child = subprocess.run([sys.executable, str(Path(__file__).parent / "follow_remote_end.py"), queue_url,
                            *map(json.dumps, configs)], capture_output=True, text=True, timeout=2 * DEADLINE)
    assert child.returncode == 0, child.stderr[-3000:]
    told = json.loads(child.stdout.strip().splitlines()[-1])
    assert told["tensorflow"] is False
    for config, remote in zip(configs, told["runs"]):
        local = TrainingJob(RunConfig.from_dict(config), DATA_CACHE.load).start()  # here, as a local page trains it
        wait_for("the local run", lambda: local.touch() or local.done)
        assert remote["status"] == local.status == "completed", remote["message"]
        assert remote["shapes"] == shapes(local) and remote["model_kept"]
    assert told["runs"][0]["shapes"]["maps"]["kernels"] and told["runs"][0]["shapes"]["grid"]
    assert told["runs"][1]["shapes"]["weights"][0] == [8, 8, 8]


def test_a_race_trains_on_one_worker_slot_each_run_mirrored_and_kept(queue_url, worker_processes, deployment, tmp_path):
    from apptest_helpers import button, open_page, wait_until

    from nnlab.serving.live_answer import answer_for
    from nnlab.serving.remote_work import RemoteTrainingJob

    deployment(database_url=queue_url, runs="shared", training="auto", runs_dir=tmp_path)  # the default: PostgreSQL → workers
    at = open_page(RACE, a_dataset="xor", a_hidden="4", a_epochs="2", b_optimizer="sgd")
    button(at, "Race").click().run()
    race = at.session_state["race"]
    assert all(isinstance(job, RemoteTrainingJob) for job in race.jobs)
    wait_until(at, lambda at: race.done)
    jobs = race.jobs
    assert [job.status for job in jobs] == ["completed", "completed"], [job.message for job in jobs]
    assert jobs[0].worker in NAMES and jobs[1].worker == jobs[0].worker  # one work: one worker's slot
    assert jobs[0].work.job_id == jobs[1].work.job_id and queue_state.started_count(queue_url, jobs[0].work.job_id) == 1
    answer = answer_for(jobs, [0, 0])  # the live route's answer, as for a race trained here
    assert answer["done"] and [[row["epoch"] for row in run["rows"]] for run in answer["runs"]] == [[1, 2], [1, 2]]
    assert list(at.dataframe[0].value["run"]) == ["A", "B: optimizer Adam → SGD"]  # the results, as in-process
    store = RunStore(queue_url)
    assert [store.load(job.run_id).epochs_run for job in jobs] == [2, 2]
    assert [store.load(job.run_id).config.optimizer for job in jobs] == ["adam", "sgd"]


def test_a_sweep_on_the_workers_counts_as_one_training_and_stop_ends_all(queue_url, worker_processes, deployment,
                                                                          tmp_path):
    from apptest_helpers import button, open_page, start_sweep, wait_until

    from nnlab.serving.live_answer import answer_for

    deployment(database_url=queue_url, runs="shared", training="workers", runs_dir=tmp_path)
    at = open_page(SWEEP, dataset="spiral", hidden="32,32", batch_size="4", epochs="1000")
    sweep = start_sweep(at, "dropout", "0, 0.5")
    answer = answer_for(sweep.jobs, [0, 0])  # mid-sweep: the first run's epochs, the second waits its turn
    assert answer["runs"][0]["rows"] and not answer["runs"][1]["rows"] and not answer["done"]
    assert answer["runs"][1]["status"].startswith("Waiting for its turn")
    refused = work_spec.run_spec(RunConfig.from_dict({"dataset": "xor", "epochs": 1}), owner=sweep.owner,
                                 workspace="shared")
    with pytest.raises(UserError, match="already have a run"):  # the sweep is the visitor's one training
        submit(queue_url, refused)
    button(at, "Stop").click().run()
    wait_until(at, lambda at: sweep.done)
    first, second = sweep.jobs
    assert first.status == "stopped" and first.history and RunStore(queue_url).load(first.run_id).epochs_run == len(
        first.history)
    assert second.status == "stopped" and not second.history and "before training began" in second.message
    assert list(at.dataframe[0].value["dropout"]) == [0.0]  # the run stopped, kept and shown


def test_trains_group_of_seeds_goes_to_the_workers_each_run_kept_in_its_group(queue_url, worker_processes, deployment,
                                                                              tmp_path):
    from apptest_helpers import button, open_page, wait_until, widget

    from nnlab.serving.remote_work import RemoteTrainingJob
    from nnlab.store.groups import groups_of

    deployment(database_url=queue_url, runs="shared", training="workers", runs_dir=tmp_path)
    at = open_page(TRAIN, dataset="xor", hidden="4", epochs="2")
    widget(at, "Repeat with N seeds").set_value(2).run()
    button(at, "Train").click().run()
    group = at.session_state["train_seeds"]
    assert all(isinstance(job, RemoteTrainingJob) for job in group.jobs)
    wait_until(at, lambda at: group.done)
    assert [job.status for job in group.jobs] == ["completed", "completed"] and group.jobs[0].worker in NAMES
    assert any("2 seeds of the same settings" in s.value for s in at.subheader)
    kept = [found for found in groups_of(RunStore(queue_url).list()[0])[0] if found.id == group.group_id]
    assert len(kept) == 1 and sorted(run.config.seed for run in kept[0].runs) == [0, 1]


def test_the_learning_rate_finder_runs_on_a_worker_its_curve_back_through_the_database(queue_url, worker_processes,
                                                                                      deployment, tmp_path):
    from apptest_helpers import button, charts, open_page, wait_until

    from nnlab.serving.live_answer import finder_answer
    from nnlab.serving.remote_work import RemoteFinderJob

    deployment(database_url=queue_url, runs="shared", training="workers", runs_dir=tmp_path)
    at = open_page(TRAIN, dataset="circle", samples="300", hidden="8", batch_size="16")
    button(at, "Find a learning rate").click().run()
    finder = at.session_state["lr_finder_job"]
    assert isinstance(finder, RemoteFinderJob)
    wait_until(at, lambda at: finder.done)
    assert finder.status == "completed" and finder.worker in NAMES and f"on worker {finder.worker}" in finder.message
    assert finder.progress == len(finder.result.losses) > 20  # its batches, then its curve, told by the worker
    assert finder_answer(finder)["done"] and finder_answer(finder)["fraction"] > 0  # the live route's answer
    curve = [c for c in charts(at) if any("learning_rate" in str(layer.get("encoding", {}).get("x", {}))
                                          for layer in c["spec"].get("layer", []))]
    assert curve and len(curve[0]["rows"]) > 20  # drawn on the page as a local finder's


def test_a_search_runs_on_a_worker_its_trials_kept_and_its_study_read_here(queue_url, worker_processes, deployment,
                                                                          tmp_path):
    from apptest_helpers import button, open_page, plain, wait_until, widget

    from nnlab.serving.live_answer import search_answer
    from nnlab.serving.remote_work import RemoteSearchJob

    deployment(database_url=queue_url, runs="shared", training="workers", runs_dir=tmp_path)
    at = open_page(SEARCH, dataset="iris", epochs="1", hidden="8")
    widget(at, "Knobs to search").set_value(["learning_rate"]).run()
    widget(at, "Learning rate: range").set_value("1e-3..3e-1:log")
    widget(at, "Trials").set_value(2)
    widget(at, "Study name").set_value("queued").run()
    button(at, "Search").click().run()
    assert not at.exception and not at.error, [plain(e.value) for e in at.error]
    job = at.session_state["search_job"]
    assert isinstance(job, RemoteSearchJob)
    wait_until(at, lambda at: job.done)
    assert job.message.startswith("Finished: 2 trials") and job.worker in NAMES, job.message
    assert [trial["trial"] for trial in job.told] == [0, 1] and [len(trial.history) for trial in job.jobs] == [1, 1]
    answer = search_answer(job, 0)  # the live route's answer, as for a search trained here
    assert answer["done"] and answer["trials_done"] == 2 and answer["best"].startswith("Best so far")
    kept = [run for run in RunStore(queue_url).list()[0] if run.extra.get("study") == "queued"]
    assert sorted(run.label for run in kept) == ["queued · trial 0", "queued · trial 1"]
    assert any(h.value.startswith("Best: trial") for h in at.subheader)  # the results, from the study, as ever


def test_ctrl_c_stops_the_run_on_its_worker_and_keeps_its_epochs(queue_url, worker_processes):
    following = train_queued(queue_url, *LONG)
    lines = []
    for line in following.stderr:  # the epoch lines, as they come
        lines.append(line)
        if line.startswith("epoch 2/"):
            break
    following.send_signal(signal.SIGINT)
    out, err = following.communicate(timeout=DEADLINE)
    assert following.returncode == 0, "".join(lines) + err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "stopped" and 2 <= result["epochs_run"] < 1000, result["message"]
    assert RunStore(queue_url).load(result["run_id"]).epochs_run == result["epochs_run"]


def test_pause_one_epoch_and_stop_reach_the_worker(queue_url, worker_processes):
    spec = work_spec.run_spec(RunConfig.from_dict({"dataset": "spiral", "hidden": [32, 32], "batch_size": 4,
                                                   "epochs": 1000}), owner="visitor-pause", workspace="shared")
    work = RemoteWork(queue_url, spec["key"], submit(queue_url, spec))
    wait_for("the run to train", lambda: work.look().state.get("epochs", 0) >= 1)
    work.ask("pause")
    held = wait_for("the pause to be reached", lambda: (s := work.look()).state.get("holding") and s)
    epochs, steps = held.state["epochs"], held.state["steps_taken"]
    work.ask("learning_rate", value=0.0123)  # for the next epochs
    work.ask("l2", value=0.004)  # Playground's regularization rate, changed during the run
    work.ask("step_epoch", seen=steps)
    work.ask("step_epoch", seen=steps)  # the same click delivered twice: still one epoch
    stepped = wait_for("one epoch more", lambda: (s := work.look()).state["epochs"] > epochs and s.state["holding"] and s)
    assert stepped.state["epochs"] == epochs + 1 and stepped.state["paused"]
    work.ask("step_epoch", seen=stepped.state["steps_taken"])  # a penalty applies from the next whole epoch
    wait_for("another epoch", lambda: (s := work.look()).state["epochs"] > epochs + 1 and s.state["holding"] and s)
    work.stop()
    ended = wait_for("the run to end", lambda: (s := work.look()).state.get("status") in FINISHED and s)
    assert ended.state["status"] == "stopped" and ended.worker in NAMES
    run = RunStore(queue_url).load(ended.run_id)
    assert run.epochs_run == epochs + 2  # every epoch it trained is kept
    assert run.history["learning_rate"].iloc[-1] == pytest.approx(0.0123)  # the new rate reached the worker
    assert run.history["l2"].iloc[-1] == pytest.approx(0.004) and run.history["l2"].iloc[0] == 0  # and the L2 rate
    again = work_spec.run_spec(RunConfig.from_dict({"dataset": "xor", "epochs": 1}), owner="visitor-pause",
                               workspace="shared")
    submit(queue_url, again)  # the visitor's one training has ended: the next is accepted


def test_a_workers_run_sends_its_inside_views_while_a_page_looks_at_them(queue_url, worker_processes):
    """The inside panel of a worker's run is live as a local run's (issue 25): a page looking asks the worker, which
    sends the views through the run's record while it trains; nobody looking, nothing is sent."""
    from nnlab.data.cache import DATA_CACHE
    from nnlab.serving.remote_work import RemoteTrainingJob
    from nnlab.ui.live_inside import inside_answer

    config = RunConfig.from_dict({"dataset": "digits", "hidden": [16], "batch_size": 4, "epochs": 1000})
    job = RemoteTrainingJob(config, DATA_CACHE.load, url=queue_url, workspace="shared", owner="visitor-inside").start()
    try:
        wait_for("the run to train", lambda: len(job.history) >= 2)
        assert job.inside is None and job.work.look().state.get("inside_version") == 0  # nobody looked: none sent
        first = wait_for("its views, once a page looks", lambda: inside_answer(job, 0, "weights")["view"] is not None
                         and job.inside)
        assert first.weights is not None and first.weights.layer == "hidden_1" and len(first.weights.neurons) == 16
        assert not job.done and job.status == Status.RUNNING
        seen = job.inside_version
        later = wait_for("newer views while it trains", lambda: (job.want_inside(), job.inside_version > seen)[1]
                         and job.inside)
        assert (later.epoch, later.batch) > (first.epoch, first.batch)
    finally:
        job.stop()
    wait_for("the run to end", lambda: job.done)
    assert job.status == Status.STOPPED and job.inside is not None  # the end's views, kept as ever
    assert job.inside.epoch == len(job.history)


def test_work_nobody_follows_any_more_is_stopped_as_abandoned_by_its_worker(queue_url, worker_processes):
    spec = work_spec.run_spec(RunConfig.from_dict({"dataset": "spiral", "hidden": [32, 32], "batch_size": 4,
                                                   "epochs": 1000, "samples": 5000}),  # ≈10× the abandon time
                              owner="visitor-gone", workspace="shared")
    work = RemoteWork(queue_url, spec["key"], submit(queue_url, spec))
    wait_for("the run to train", lambda: work.look().state.get("epochs", 0) >= 1)
    # The tab is closed: nobody touches the work any more (live_state.read does not touch, look() did).
    ended = wait_for("the worker to give it up", lambda: (s := live_state.read(queue_url, work.key)).state.get("status")
                     in FINISHED and s)
    assert ended.state["status"] == "abandoned" and "nobody watched" in ended.state["message"]
    assert RunStore(queue_url).load(ended.run_id).status == Status.ABANDONED


def test_two_workers_drain_a_queue_of_six_runs_each_trained_once(queue_url, worker_processes):
    config = RunConfig.from_dict({"dataset": "spiral", "hidden": [16], "epochs": 4, "samples": 300})
    specs = [work_spec.run_spec(config, owner=f"visitor-{n}", workspace="shared") for n in range(6)]
    works = [RemoteWork(queue_url, s["key"], submit(queue_url, s)) for s in specs]
    last = works[-1]
    estimate, place = queue_state.wait_estimate(queue_url, last.job_id), last.place()
    # from the queue: earlier tests' jobs give the typical hold; two workers' slots (None once it has left the line)
    assert (place is None and estimate is None) or (place >= 1 and estimate is not None and estimate >= 0)

    def all_ended():
        states = [work.look() for work in works]  # each looked at (touched) at each round, as six pages would
        return all(state.state.get("status") in FINISHED for state in states) and states

    ended = wait_for("the six runs to end", all_ended)
    store = RunStore(queue_url)
    for state in ended:
        assert state.state["status"] == "completed"
        run = store.load(state.run_id)
        assert run.epochs_run == 4 and list(run.history["epoch"]) == list(range(1, 5))  # every epoch kept
        assert started_once(queue_url, state.run_id)
    assert {state.worker for state in ended} == set(NAMES)  # both took work


def test_a_closed_tab_finds_its_run_on_the_workers_again(queue_url, worker_processes):
    from nnlab.data.cache import DATA_CACHE
    from nnlab.serving import remote_work

    config = RunConfig.from_dict({"dataset": "spiral", "hidden": [32, 32], "batch_size": 4, "epochs": 1000})
    job = remote_work.RemoteTrainingJob(config, DATA_CACHE.load, url=queue_url, workspace="shared",
                                        owner="visitor:reloaded", label="back").start()
    wait_for("the run to train", lambda: job.touch() or len(job.history) >= 1)
    assert remote_work.run_in_progress(queue_url, "visitor:reloaded", DATA_CACHE.load) is job  # the same server
    assert remote_work.run_in_progress(queue_url, "visitor:someone-else", DATA_CACHE.load) is None
    key, run_id = job.work.key, job.run_id
    remote_work._FOLLOWED.clear()  # as another web server, which never saw it (this one's mirror ends unwatched)
    again = remote_work.run_in_progress(queue_url, "visitor:reloaded", DATA_CACHE.load)
    assert again is not None and again.work.key == key and again.label == "back"
    wait_for("its epochs, again", lambda: again.touch() or (again.run_id == run_id and len(again.history) >= 1))
    again.stop()
    wait_for("its end", lambda: again.touch() or again.done)
    assert again.status == Status.STOPPED and again.result is not None and again.predictions is not None


def test_a_closed_tab_finds_its_group_of_seeds_on_the_workers_again(queue_url, worker_processes):
    from nnlab.data.cache import DATA_CACHE
    from nnlab.serving import placement, remote_work
    from nnlab.serving.jobs import SeedsJob

    config = RunConfig.from_dict({"dataset": "spiral", "hidden": [32, 32], "batch_size": 4, "epochs": 1000})
    owner = "visitor:seeds-reloaded"
    group = placement.start(SeedsJob(config, 2, lambda config, label, extra: remote_work.RemoteTrainingJob(
        config, DATA_CACHE.load, url=queue_url, workspace="shared", owner=owner, label=label, extra=extra), label="long"))
    wait_for("its runs to train", lambda: group.touch() or all(job.history for job in group.jobs))
    assert remote_work.run_in_progress(queue_url, owner, DATA_CACHE.load, "seeds") is group  # the same server
    assert remote_work.run_in_progress(queue_url, owner, DATA_CACHE.load) is None  # not a lone run
    remote_work._FOLLOWED.clear()  # as another web server, which never saw it
    again = remote_work.run_in_progress(queue_url, owner, DATA_CACHE.load, "seeds")
    assert isinstance(again, SeedsJob) and again.group_id == group.group_id and again.label == "long"
    assert [job.config.seed for job in again.jobs] == [0, 1] and [job.label for job in again.jobs] == [
        "long · seed 0", "long · seed 1"]
    wait_for("its epochs, again", lambda: again.touch() or all(job.history for job in again.jobs))
    again.stop()
    wait_for("its end", lambda: again.touch() or again.done)
    assert [job.status for job in again.jobs] == [Status.STOPPED, Status.STOPPED]
    assert [RunStore(queue_url).load(job.run_id).extra["group"] for job in again.jobs] == [group.group_id] * 2


def test_a_worker_killed_mid_run_leaves_its_run_interrupted_with_its_epochs(queue_url, worker_processes):
    spec = work_spec.run_spec(RunConfig.from_dict({"dataset": "spiral", "hidden": [32, 32], "batch_size": 4,
                                                   "epochs": 1000}), owner="visitor-kill", workspace="shared")
    work = RemoteWork(queue_url, spec["key"], submit(queue_url, spec))
    store = RunStore(queue_url)
    training = wait_for("two epochs kept", lambda: (s := work.look()).run_id and store.load(s.run_id).epochs_run >= 2
                        and s)
    victim = worker_processes[training.worker]
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    ended = wait_for("the survivor to find the dead worker's run", lambda: (s := work.look()).state.get("status")
                     in FINISHED and s)
    assert ended.state["status"] == "interrupted" and training.worker in ended.state["message"]
    run = store.load(ended.run_id)
    assert run.status == Status.INTERRUPTED and run.epochs_run >= 2
    assert f"stopped at epoch {run.epochs_run} " in run.message and "epochs are kept" in run.message
    assert list(run.history["epoch"]) == list(range(1, run.epochs_run + 1))  # its epochs kept, in order
    assert started_once(queue_url, ended.run_id)  # never trained twice
    assert queue_state.job_status(queue_url, work.job_id) == "failed"
    again = work_spec.run_spec(RunConfig.from_dict({"dataset": "xor", "epochs": 2}), owner="visitor-kill",
                               workspace="shared")
    next_work = RemoteWork(queue_url, again["key"], submit(queue_url, again))  # the visitor is free again
    survivor = wait_for("the survivor to train it", lambda: (s := next_work.look()).state.get("status")
                        in FINISHED and s)
    assert survivor.state["status"] == "completed" and survivor.worker != training.worker


def test_a_worker_stopped_by_sigterm_keeps_its_run_as_interrupted_and_leaves(queue_url, worker_processes):
    alive = [name for name, process in worker_processes.items() if process.poll() is None]
    assert alive, "the kill -9 test leaves one worker"
    spec = work_spec.run_spec(RunConfig.from_dict({"dataset": "spiral", "hidden": [32, 32], "batch_size": 4,
                                                   "epochs": 1000}), owner="visitor-term", workspace="shared")
    work = RemoteWork(queue_url, spec["key"], submit(queue_url, spec))
    training = wait_for("the run to train", lambda: (s := work.look()).state.get("epochs", 0) >= 1 and s)
    process = worker_processes[training.worker]
    process.send_signal(signal.SIGTERM)  # the machine shuts down, or its teacher stops it
    assert process.wait(DEADLINE) == 0
    ended = work.look()
    assert ended.state["status"] == "interrupted" and "its worker was stopped" in ended.state["message"]
    run = RunStore(queue_url).load(ended.run_id)
    assert run.status == Status.INTERRUPTED and run.epochs_run >= 1  # its epochs kept
    assert training.worker not in workers.alive(queue_url)  # gone from the slots at once, not after missed beats



def test_a_worker_that_loses_the_database_stops_its_run_cleanly_and_takes_the_next_job_once_it_is_back(tmp_path):
    """A PostgreSQL server of its own, stopped under a worker training a run, then started again: the run ends
    interrupted with its epochs kept (told once the database is back), and the same worker, still running,
    trains the visitor's next run."""
    from tests.postgres import NoPostgres, Server

    try:
        server = Server()
    except NoPostgres as missing:
        pytest.skip(f"{missing}: this test restarts a PostgreSQL server of its own")
    with server:
        url = server.url()
        RunStore(url).engine()
        log = tmp_path / "comes-back.log"
        worker = subprocess.Popen([sys.executable, "-m", "nnlab", "worker", "--database", url, "--name", "comes-back"],
                                  stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        try:
            wait_for("the worker to beat", lambda: workers.alive(url) or _dead({"comes-back": worker}, tmp_path))
            spec = work_spec.run_spec(RunConfig.from_dict({"dataset": "spiral", "hidden": [32, 32], "batch_size": 4,
                                                           "epochs": 1000, "samples": 5000}), owner="visitor-lost",
                                      workspace="shared")
            work, store = RemoteWork(url, spec["key"], submit(url, spec)), RunStore(url)
            wait_for("two epochs kept", lambda: (s := work.look()).run_id and store.load(s.run_id).epochs_run >= 2)
            server.stop()
            wait_for("the worker to stop the run", lambda: "the database is unreachable" in log.read_text())
            server.start()
            ended = wait_for("the run's end, told once the database is back",
                             lambda: (s := _answer(work.look)) and s.state.get("status") in FINISHED and s)
            assert ended.state["status"] == "interrupted" and "lost the database" in ended.state["message"]
            run = store.load(ended.run_id)
            assert run.status == Status.INTERRUPTED and run.epochs_run >= 2
            assert list(run.history["epoch"]) == list(range(1, run.epochs_run + 1))  # its epochs kept, in order
            again = work_spec.run_spec(RunConfig.from_dict({"dataset": "xor", "epochs": 2}), owner="visitor-lost",
                                       workspace="shared")
            next_work = RemoteWork(url, again["key"], submit(url, again))  # the visitor is free again
            trained = wait_for("the next run", lambda: (s := next_work.look()).state.get("status") in FINISHED and s)
            assert trained.state["status"] == "completed" and trained.worker == "comes-back"
            assert worker.poll() is None and "comes-back" in workers.alive(url)  # the same process, beating again
            assert started_once(url, ended.run_id)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
            database.forget(url)


def _answer(look):
    """look()'s answer, or None while the database is not answering yet."""
    try:
        return look()
    except Exception:  # noqa: BLE001 - PostgreSQL starting again
        return None
