"""The run store on both databases it supports: the embedded SQLite file and a real PostgreSQL
(the `database_url` fixture runs each test on both; PostgreSQL tests skip without it locally)."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from nnlab.store import database
from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.store.schema import runs as runs_table
from nnlab.store.runs import RunStore, open_store
from nnlab.core.status import Status

HISTORY = [{"epoch": 1, "loss": 1.0, "val_loss": 1.1, "accuracy": 0.5, "val_accuracy": 0.4, "seconds": 0.5},
           {"epoch": 2, "loss": 0.5, "val_loss": 0.7, "accuracy": 0.8, "val_accuracy": 0.7, "seconds": 0.4}]
TESTS = str(Path(__file__).parent)
ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def saved_run(store: RunStore, **settings) -> str:
    run_id = store.create(RunConfig(**settings), dataset_title="Iris", task="classification", params=67)
    store.save_history(run_id, HISTORY)
    store.finish(run_id, status="completed", message="Trained all 2 epochs.", test={"loss": 0.6, "accuracy": 0.75},
                 verdict={"kind": "good_fit", "title": "Good fit"})
    return run_id


def make_stale(store: RunStore, run_id: str) -> None:
    """As if the trainer's last beat was long ago (its process died)."""
    with database.writing(store.engine()) as connection:
        connection.execute(update(runs_table).where(runs_table.c.id == run_id).values(
            heartbeat=time.time() - store.stale_seconds - 5))


def test_round_trip(database_url):
    store = RunStore(database_url)
    config = RunConfig(dataset="iris", hidden=(8, 4), dropout=0.2)
    run_id = saved_run(store, dataset="iris", hidden=(8, 4), dropout=0.2)
    run = store.load(run_id)
    assert run.config == config and run.status == Status.COMPLETED and run.test == {"loss": 0.6, "accuracy": 0.75}
    assert run.history.to_dict("records") == HISTORY and run.problems == ()
    assert run.epochs_run == 2 and run.seconds == pytest.approx(0.9) and run.best == (2, 0.7)
    assert run.message == "Trained all 2 epochs." and run.verdict["kind"] == "good_fit" and run.params == 67
    listed, damaged = store.list()
    assert [r.id for r in listed] == [run_id] and damaged == []
    assert listed[0].history is None and listed[0].best == (2, 0.7)  # the list reads no history, yet knows the best


def test_each_epoch_is_one_more_row_and_a_shorter_history_replaces_them(database_url):
    store = RunStore(database_url)
    run_id = store.create(RunConfig(dataset="iris"), extra={"study": "s", "trial": 3})
    store.save_history(run_id, HISTORY[:1])
    assert store.load(run_id).history["epoch"].tolist() == [1]
    store.save_history(run_id, HISTORY)
    assert store.load(run_id).history["epoch"].tolist() == [1, 2]
    store.finish(run_id, status="stopped", history=[*HISTORY[:1], {**HISTORY[1], "restored": 1.0}])
    run = store.load(run_id)  # the end rewrites the rows: a restored best epoch is marked on one already written
    assert run.history["restored"].tolist()[1] == 1.0 and run.extra == {"study": "s", "trial": 3}
    store.finish(run_id, status="stopped", history=HISTORY[:1])
    run = store.load(run_id)
    assert run.history["epoch"].tolist() == [1] and run.epochs_run == 1


def test_the_metric_follows_the_task(database_url):
    store = RunStore(database_url)
    run_id = store.create(RunConfig(dataset="iris"), task="regression")
    store.save_history(run_id, [{"epoch": 1, "loss": 1.0, "val_loss": 0.9, "mae": 0.8, "val_mae": 0.7}])
    run = store.load(run_id)
    assert run.metric == "mae" and run.best == (1, 0.7) and store.list()[0][0].best == (1, 0.7)


def test_the_model_is_kept_in_the_database_and_loads(database_url, tmp_path):
    from nnlab.data.datasets import load_dataset
    from nnlab.core.tf_runtime import keras
    from nnlab.training.train import train

    config = RunConfig(dataset="iris", hidden=(4,), epochs=1)
    result = train(config, load_dataset(config))
    store = RunStore(database_url)
    run_id = store.create(config)
    assert not store.has_model(run_id) and store.model_bytes(run_id) is None
    store.finish(run_id, status=result.status, history=result.history, model=result.model)
    assert store.load(run_id).has_model and store.has_model(run_id)
    path = tmp_path / "model.keras"
    path.write_bytes(store.model_bytes(run_id))
    assert keras.models.load_model(path).count_params() == result.params


def test_a_model_above_the_limit_is_not_kept_and_the_run_says_so(database_url, deployment):
    from nnlab.data.datasets import load_dataset
    from nnlab.training.train import train

    deployment(max_model_mb=0.001)
    config = RunConfig(dataset="iris", hidden=(4,), epochs=1)
    result = train(config, load_dataset(config))
    store = RunStore(database_url)
    run_id = store.create(config)
    store.finish(run_id, status=result.status, message="Trained.", history=result.history, model=result.model)
    run = store.load(run_id)
    assert not run.has_model and store.model_bytes(run_id) is None
    assert run.message.startswith("Trained. The model (") and "keeps models up to 0.001 MB" in run.message


def test_nan_and_infinite_figures_survive(database_url):
    store = RunStore(database_url)
    run_id = store.create(RunConfig())
    store.finish(run_id, status="diverged", test={"loss": float("nan"), "accuracy": 0.1},
                 history=[{**HISTORY[0], "loss": float("inf")}])
    run = store.load(run_id)
    assert run.status == Status.DIVERGED and run.test["loss"] is None and run.problems == ()
    assert run.history["loss"].isna().all()  # JSON has no infinity: a diverged figure reads as missing


def test_a_run_with_a_recent_heartbeat_is_running_for_every_viewer(database_url):
    run_id = RunStore(database_url).create(RunConfig())
    other_viewer = RunStore(database_url)  # another visitor's page, another server: nothing shared but the database
    assert other_viewer.list()[0][0].status == Status.RUNNING and other_viewer.load(run_id).status == Status.RUNNING


def test_a_run_whose_heartbeat_stopped_is_interrupted_and_a_new_beat_revives_it(database_url):
    store = RunStore(database_url)
    run_id = store.create(RunConfig())
    store.save_history(run_id, HISTORY)
    make_stale(store, run_id)
    listed = store.list()[0][0]
    assert listed.status == Status.INTERRUPTED and "completed epochs are kept" in listed.message
    assert store.load(run_id).status == Status.INTERRUPTED
    assert store.beat(run_id)
    assert store.list()[0][0].status == Status.RUNNING


def test_a_finished_run_is_not_interrupted_by_an_old_heartbeat(database_url):
    store = RunStore(database_url)
    run_id = saved_run(store)
    make_stale(store, run_id)
    assert store.list()[0][0].status == Status.COMPLETED


def test_beat_never_raises_and_never_brings_back_a_deleted_run(database_url):
    store = RunStore(database_url)
    run_id = store.create(RunConfig())
    store.delete(run_id)
    assert store.beat(run_id) is False and store.list() == ([], [])
    assert store.beat("../../etc") is False


def test_a_killed_training_process_keeps_its_epochs(database_url):
    """A process that saves an epoch at a time, as a training job does, killed mid-run."""
    code = (
        "import sys, time\nsys.path.insert(0, sys.argv[2])\nfrom test_runs import HISTORY\n"
        "from nnlab.config.run_config import RunConfig\nfrom nnlab.store.runs import RunStore\n"
        "store = RunStore(sys.argv[1])\nrun_id = store.create(RunConfig(dataset='iris'))\n"
        "for epoch in range(1, 1000):\n"
        "    store.save_history(run_id, [{**HISTORY[0], 'epoch': e} for e in range(1, epoch + 1)])\n"
        "    time.sleep(0.05)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code, database_url, TESTS], env=ENV)
    deadline = time.time() + 120
    try:
        while time.time() < deadline and process.poll() is None:
            if any(run.epochs_run >= 2 for run in RunStore(database_url).list()[0]):
                break
            time.sleep(0.1)
    finally:
        process.kill()
        process.wait(timeout=30)
    store = RunStore(database_url, stale_seconds=1.0)
    deadline = time.time() + 30
    while store.list()[0][0].status == Status.RUNNING and time.time() < deadline:
        time.sleep(0.2)  # the heartbeat ages
    runs, damaged = store.list()
    assert damaged == [] and len(runs) == 1
    assert runs[0].status == Status.INTERRUPTED and runs[0].epochs_run >= 2, runs[0]
    assert len(store.load(runs[0].id).history) == runs[0].epochs_run  # every recorded epoch, none half-written


def test_mark_failed_never_raises(database_url):
    store = RunStore(database_url)
    assert store.mark_failed("../outside", "x") is False
    assert store.mark_failed("20260101-000000-aaaaaa", "x") is False  # no such run
    run_id = store.create(RunConfig())
    assert store.mark_failed(run_id, "The disk is full.") is True
    run = store.load(run_id)
    assert run.status == Status.FAILED and run.message == "The disk is full."


def test_a_run_deleted_while_training_is_not_brought_back(database_url):
    store = RunStore(database_url)
    run_id = store.create(RunConfig())
    store.delete(run_id)
    with pytest.raises(UserError, match="no longer exists"):
        store.save_history(run_id, HISTORY)
    with pytest.raises(UserError, match="no longer exists"):
        store.finish(run_id, status="completed")
    assert store.list() == ([], [])


def test_workspaces_never_see_each_other(database_url):
    alice, bob = RunStore(database_url, "alice-123456"), RunStore(database_url, "bob-654321")
    run_id = saved_run(alice)
    assert bob.list() == ([], []) and [r.id for r in alice.list()[0]] == [run_id]
    for action in (lambda: bob.load(run_id), lambda: bob.rename(run_id, "mine now")):
        with pytest.raises(UserError, match="no longer exists"):
            action()
    bob.delete(run_id)
    assert bob.beat(run_id) is False and bob.mark_failed(run_id, "x") is False and bob.model_bytes(run_id) is None
    with pytest.raises(UserError, match="no longer exists"):
        bob.save_history(run_id, HISTORY)
    run = alice.load(run_id)
    assert run.status == Status.COMPLETED and run.label == "" and len(run.history) == 2
    with pytest.raises(UserError, match="not a workspace name"):
        RunStore(database_url, "../etc")


def test_concurrent_writers_in_one_process(database_url):
    store = RunStore(database_url)
    ids, errors = [], []

    def write():
        try:
            for _ in range(4):
                ids.append(saved_run(store))
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(set(ids)) == 24
    runs, damaged = store.list()
    assert len(runs) == 24 and damaged == []


def test_two_processes_each_writing_20_runs_at_once_lose_no_epoch(database_url, tmp_path):
    code = ("import sys, time\nfrom pathlib import Path\nsys.path.insert(0, sys.argv[2])\nfrom test_runs import saved_run\n"
            "from nnlab.store.runs import RunStore\nstore = RunStore(sys.argv[1])\nstore.list()\n"
            "Path(sys.argv[3] + '.ready').touch()\n"
            "while not Path(sys.argv[3]).exists(): time.sleep(0.01)  # both start writing together\n"
            "for _ in range(20):\n    saved_run(store)\n")
    RunStore(database_url).list()  # the tables made once, as a server does before its workers start
    procs = [subprocess.Popen([sys.executable, "-c", code, database_url, TESTS, str(tmp_path / f"p{i}")], env=ENV,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    deadline = time.time() + 300
    while not all((tmp_path / f"p{i}.ready").exists() for i in range(2)):
        assert time.time() < deadline and all(p.poll() is None for p in procs), "the writers did not start"
        time.sleep(0.05)
    for i in range(2):
        (tmp_path / f"p{i}").touch()
    outcomes = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    store = RunStore(database_url)
    runs, damaged = store.list()
    assert len(runs) == 40 and damaged == []
    assert all(run.epochs_run == 2 and run.status == Status.COMPLETED for run in runs)
    assert all(len(store.load(run.id).history) == 2 for run in runs)


def test_rename_during_training_is_not_overwritten_by_the_next_epoch(database_url):
    store = RunStore(database_url)
    run_id = store.create(RunConfig(), label="first name")
    store.rename(run_id, "better name")
    store.save_history(run_id, HISTORY)
    store.finish(run_id, status="completed")
    assert store.load(run_id).label == "better name"


def test_delete_and_ids_that_are_not_ids(database_url):
    store = RunStore(database_url)
    run_id = saved_run(store)
    store.delete(run_id)
    assert store.list() == ([], [])
    for bad in ("../etc", "x" * 10, run_id + "' OR '1'='1", run_id + "\0"):
        with pytest.raises(UserError, match="not a run id"):
            store.load(bad)
    with pytest.raises(UserError, match="no longer exists"):
        store.load(run_id)
    with pytest.raises(UserError, match="no longer exists"):
        store.rename(run_id, "x")
    assert store.model_bytes("../etc") is None


def test_many_viewers_reading_while_runs_are_written_and_deleted_never_see_damage(database_url):
    store = RunStore(database_url)
    for _ in range(5):
        saved_run(store)
    stop, problems = threading.Event(), []

    def write():
        while not stop.is_set():
            run_id = saved_run(store)
            store.rename(run_id, "renamed")
            store.delete(run_id)
            rounds.append(1)

    def view():
        viewer = RunStore(database_url)
        while not stop.is_set():
            rounds.append(1)
            runs, damaged = viewer.list()
            problems.extend(f"damaged {d.id}: {d.reason}" for d in damaged)
            for run in runs:
                try:
                    loaded = viewer.load(run.id)
                except UserError as error:
                    if "no longer exists" not in str(error):
                        problems.append(str(error))
                    continue
                if loaded.problems:
                    problems.append(f"{run.id}: {loaded.problems}")

    def catching(work):
        def run():
            try:
                work()
            except Exception as error:  # noqa: BLE001 - a dead thread must fail the test, not hide
                problems.append(f"{work.__name__} died: {error!r}")
        return run

    rounds: list[int] = []
    threads = [threading.Thread(target=catching(write)) for _ in range(2)] + \
        [threading.Thread(target=catching(view)) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads) and problems == []
    assert len(rounds) > 4 and len(store.list()[0]) == 5


def test_a_listed_run_is_a_copy_and_changes_show_at_once(database_url):
    store = RunStore(database_url)
    run_id = saved_run(store)
    first = store.list()[0][0]
    first.test["accuracy"], first.label = 0.0, "changed by a page"  # a page's change stays its own
    assert store.list()[0][0].test["accuracy"] == 0.75 and store.list()[0][0].label == ""
    store.rename(run_id, "new name")
    store.finish(run_id, status="stopped", message="Stopped by you.")
    again = RunStore(database_url).list()[0][0]
    assert again.label == "new name" and again.status == Status.STOPPED and again.message == "Stopped by you."


def test_a_database_that_cannot_be_reached_is_one_clear_error(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    for url in (f"sqlite:///{blocked}/runs.sqlite", "postgresql://nnlab:secret-pw@127.0.0.1:1/nowhere"):
        with pytest.raises(database.StoreUnavailable) as error:
            RunStore(url).list()
        message = str(error.value)
        assert "cannot be used" in message and "secret-pw" not in message and "NNLAB_DATABASE_URL" in message


def test_the_url_comes_from_the_flag_the_environment_or_the_secrets_file(tmp_path, monkeypatch, request, deployment):
    database._secrets_file_url.cache_clear()  # the secrets file is read once per process: play new ones
    request.addfinalizer(database._secrets_file_url.cache_clear)
    monkeypatch.chdir(tmp_path)
    deployment(database_url=None, runs_dir=tmp_path / "runs")  # NNLAB_DATABASE_URL unset, NNLAB_RUNS_DIR
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert database.database_url() == f"sqlite:///{tmp_path / 'runs' / 'nnlab.sqlite'}"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[connections.nnlab]\nurl = "postgresql://a:pw@db/x"\n')
    database._secrets_file_url.cache_clear()
    assert database.database_url() == "postgresql://a:pw@db/x"
    deployment(database_url="postgresql://b@db/y")  # NNLAB_DATABASE_URL
    assert database.database_url() == "postgresql://b@db/y"
    assert database.database_url("sqlite:///z.sqlite") == "sqlite:///z.sqlite"
    assert database.shown("postgresql://a:pw@db/x") == "postgresql://a@db/x"  # rebuilt without the password
    for bad in ("mysql://a@b/c", "not a url"):
        with pytest.raises(database.StoreUnavailable, match="SQLite or PostgreSQL|not a database URL"):
            database.database_url(bad)


def test_open_store_uses_the_default_database(tmp_path, monkeypatch, deployment):
    deployment(database_url=None, runs_dir=tmp_path)
    monkeypatch.chdir(tmp_path)
    run_id = saved_run(open_store())
    assert (tmp_path / "nnlab.sqlite").is_file() and open_store().load(run_id).epochs_run == 2


def test_a_store_made_by_a_newer_nnlab_is_refused_in_words_and_an_old_one_is_brought_up_to_date(database_url,
                                                                                                  monkeypatch):
    from nnlab.store import schema as run_schema, runs

    store = RunStore(database_url)
    run_id = saved_run(store)
    with database.writing(store.engine()) as connection:
        connection.execute(update(run_schema.schema_version).values(version=run_schema.VERSION + 1))
    monkeypatch.setattr(runs, "_MIGRATED", set())  # as a process starting now
    with pytest.raises(database.StoreUnavailable, match="newer nnlab"):
        RunStore(database_url).list()
    with database.writing(database.engine(database_url)) as connection:  # back to this version: an older store for the next nnlab
        connection.execute(update(run_schema.schema_version).values(version=run_schema.VERSION))
    steps = []
    monkeypatch.setattr(run_schema, "MIGRATIONS", [*run_schema.MIGRATIONS, lambda connection: steps.append(1)])
    monkeypatch.setattr(run_schema, "VERSION", run_schema.VERSION + 1)  # a next nnlab with one more step
    monkeypatch.setattr(runs, "_MIGRATED", set())
    assert [r.id for r in RunStore(database_url).list()[0]] == [run_id] and steps == [1]
    monkeypatch.setattr(runs, "_MIGRATED", set())
    RunStore(database_url).list()
    assert steps == [1]  # a step runs once


def test_an_sqlite_files_folder_is_never_shown():
    """Messages of the store reach visitors (Runs' rename, Search's studies): a server's folders are not theirs."""
    message = str(database.unavailable("sqlite:////srv/class/runs/nnlab.sqlite", OSError("unable to open database file")))
    assert "/srv/class" not in message and "nnlab.sqlite" in message
    assert database.shown("sqlite:////srv/class/runs/nnlab.sqlite") == "sqlite:///…/nnlab.sqlite"


def test_end_views_count_with_the_models_against_the_quotas(database_url, deployment):
    """A worker's run keeps its end views (predictions, inside views: up to 4 MB) beside its model: they count
    against NNLAB_WORKSPACE_MODELS_MB too, or runs on workers passed the quota meant to bound them."""
    from nnlab.data.datasets import load_dataset
    from nnlab.training.train import train

    config = RunConfig(dataset="iris", hidden=(4,), epochs=1)
    result = train(config, load_dataset(config))
    store = RunStore(database_url, "carol")
    views = bytes(200_000)
    first = store.create(config)
    assert store.finish(first, status=result.status, message="Trained.", model=result.model, views=views) == "Trained."
    size = store.models_bytes()
    assert size > len(views) and store.end_views(first) == views  # the views are counted
    deployment(workspace_models_mb=1.2 * size / 1e6)  # room for one run's model and views, not two
    second = store.create(config)
    message = store.finish(second, status=result.status, message="Trained.", model=result.model, views=views)
    assert "your runs' models already take" in message and "were not kept either" in message
    assert not store.load(second).has_model and store.end_views(second) is None
    model = size - len(views)
    deployment(workspace_models_mb=(size + 1000 + model / 2) / 1e6)  # no room for a model, room for small views
    third = store.create(config)
    message = store.finish(third, status=result.status, message="Trained.", model=result.model, views=bytes(1000))
    assert "The model (" in message and "not kept either" not in message and store.end_views(third) == bytes(1000)


def test_models_over_the_workspace_quota_are_not_kept_and_the_run_says_so(database_url, deployment):
    """Issue 20: a Sweep of 12 big networks wrote 1.1 GB of models; nothing bounded a workspace's models."""
    from nnlab.data.datasets import load_dataset
    from nnlab.training.train import train

    config = RunConfig(dataset="iris", hidden=(4,), epochs=1)
    result = train(config, load_dataset(config))
    mine, other = RunStore(database_url, "alice"), RunStore(database_url, "bob")
    first = mine.create(config)
    assert mine.finish(first, status=result.status, message="Trained.", model=result.model) == "Trained."
    size = mine.models_bytes()
    assert size > 0 and other.models_bytes() == 0
    deployment(workspace_models_mb=1.5 * size / 1e6)  # room for one model, not two
    second = mine.create(config)
    message = mine.finish(second, status=result.status, message="Trained.", model=result.model)
    assert message.startswith("Trained. The model (") and "your runs' models already take" in message
    assert "delete runs whose models you no longer need on the Runs page" in message
    assert not mine.load(second).has_model and mine.load(second).message == message
    theirs = other.create(config)  # another visitor's quota is their own …
    assert other.finish(theirs, status=result.status, message="Trained.", model=result.model) == "Trained."
    # no quota per workspace now, … within the server's
    deployment(workspace_models_mb=0, server_models_mb=2.5 * size / 1e6)
    third = other.create(config)
    assert "the models of everyone on this server" in other.finish(third, status=result.status, model=result.model)
    deployment(workspace_models_mb=1.5 * size / 1e6, server_models_mb=0)
    mine.delete(first)  # room again
    fourth = mine.create(config)
    assert mine.finish(fourth, status=result.status, message="Trained.", model=result.model) == "Trained."
