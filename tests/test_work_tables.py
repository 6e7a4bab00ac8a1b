"""The tables work trained on workers talks through (issue 25): control requests, the live row, the
workers' slots — on SQLite and on a real PostgreSQL — and the job queue's own tables, made on
PostgreSQL only."""
from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import inspect, update

from nnlab.store import controls, live_state, workers
from nnlab.store.runs import RunStore
from nnlab.store.schema import workers as workers_table

DEADLINE = 20  # seconds: waits are for events; this only ends a test that would hang


def test_requests_are_numbered_and_read_once_in_order(database_url):
    assert [controls.ask(database_url, "w1", action) for action in ("pause", "step_epoch", "resume")] == [1, 2, 3]
    controls.ask(database_url, "w2", "learning_rate", value=0.01)
    later = controls.requests_after(database_url, "w1", 1)
    assert [(r.serial, r.action) for r in later] == [(2, "step_epoch"), (3, "resume")]
    assert controls.requests_after(database_url, "w2", 0)[0].value == 0.01
    with pytest.raises(ValueError):
        controls.ask(database_url, "w1", "explode")


@pytest.mark.parametrize("listen", [True, False], ids=["notify", "poll-only"])
def test_the_listener_hands_each_request_over_once(postgres_url, listen):
    seen, arrived = [], threading.Event()

    def got(request):
        seen.append((request.serial, request.action, request.seen))
        if len(seen) == 3:
            arrived.set()

    listener = controls.ControlListener(postgres_url, listen=listen).start()
    try:
        controls.ask(postgres_url, "old", "stop")  # another work's request: not this callback's
        listener.follow("w", got)
        controls.ask(postgres_url, "w", "pause")
        controls.ask(postgres_url, "w", "step_batch", seen=4)
        controls.ask(postgres_url, "w", "stop")
        assert arrived.wait(DEADLINE), seen
        later = threading.Event()  # another round of the listener, after the three: none is handed over twice
        listener.follow("w2", lambda request: later.set())
        controls.ask(postgres_url, "w2", "stop")
        assert later.wait(DEADLINE)
    finally:
        listener.close()
    assert seen == [(1, "pause", None), (2, "step_batch", 4), (3, "stop", None)]


def test_the_live_row_is_written_by_the_worker_and_touched_by_its_follower(database_url):
    store = RunStore(database_url)
    with store.engine().begin() as connection:
        live_state.open_work(connection, "w", "visitor-hash")
        live_state.set_job(connection, "w", 42)
    first = live_state.read(database_url, "w")
    assert (first.owner, first.job_id, first.version, first.state["status"]) == ("visitor-hash", 42, 0, "queued")
    live_state.write(database_url, "w", worker="host:1", run_id="r1", state={"status": "running", "paused": True})
    live_state.touch(database_url, "w")
    now = live_state.read(database_url, "w")
    assert (now.worker, now.run_id, now.version, now.state) == ("host:1", "r1", 1, {"status": "running", "paused": True})
    assert now.watched >= first.watched
    assert [found.work_key for found in live_state.of_jobs(database_url, [42, 7])] == ["w"]
    assert live_state.read(database_url, "nothing") is None


def test_a_runs_inside_views_are_one_row_each_replaced_as_sent_and_pruned_with_its_work(database_url):
    store = RunStore(database_url)
    with store.engine().begin() as connection:
        live_state.open_work(connection, "views", "visitor-hash")
    assert live_state.read_views(database_url, "views", 0) is None
    live_state.write_views(database_url, "views", 0, 3, b"first")
    live_state.write_views(database_url, "views", 1, 5, b"a race's second run")
    live_state.write_views(database_url, "views", 0, 7, b"newer")
    assert live_state.read_views(database_url, "views", 0) == (7, b"newer")
    assert live_state.read_views(database_url, "views", 1) == (5, b"a race's second run")
    with store.engine().begin() as connection:  # its work nobody wrote nor followed for a day
        connection.execute(update(live_state.live).values(updated=0, watched=0))
    assert live_state.prune(database_url, 3600) == 1
    assert live_state.read_views(database_url, "views", 0) is None and live_state.read_views(database_url, "views", 1) is None


def test_slots_are_the_live_workers_concurrency(database_url):
    assert workers.slots(database_url) == 0
    workers.register(database_url, "a:1", 2)
    workers.register(database_url, "b:2", 1)
    assert workers.slots(database_url) == 3 and workers.alive(database_url) == ["a:1", "b:2"]
    with RunStore(database_url).engine().begin() as connection:  # b stopped beating (killed)
        connection.execute(update(workers_table).where(workers_table.c.name == "b:2").values(beat=0))
    assert workers.slots(database_url) == 2
    workers.unregister(database_url, "a:1")
    assert workers.slots(database_url) == 0 and workers.alive(database_url) == []


def test_the_job_queue_tables_exist_on_postgresql_only(database_url):
    tables = set(inspect(RunStore(database_url).engine()).get_table_names())
    assert {"nnlab_controls", "nnlab_live", "nnlab_workers"} <= tables
    assert ("procrastinate_jobs" in tables) == database_url.startswith("postgresql")


def test_sqlite_never_imports_the_job_queue(tmp_path):
    code = ("import sys; from nnlab.store.runs import RunStore; from nnlab.store import controls, live_state, workers;"
            f"url = 'sqlite:///{tmp_path / 'n.sqlite'}'; RunStore(url).list(); controls.ask(url, 'w', 'stop');"
            "workers.slots(url); print('procrastinate' in sys.modules, 'psycopg' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "False"], done.stderr
