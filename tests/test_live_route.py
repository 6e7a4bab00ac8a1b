"""The live route and what it rests on (issue 24): tokens, the bulletin, the answer, and the route over
HTTP (Starlette's TestClient on ui/live_route.routes()) with real TrainingJobs on tiny data."""
import base64
import io
import json
import threading
import time

import socket

import numpy as np
import pytest
import requests
from PIL import Image
import uvicorn
from starlette.applications import Starlette

from nnlab.charts import inside as inside_charts
from nnlab.config.run_config import RunConfig
from nnlab.core.status import Status
from nnlab.data.datasets import load_dataset
from nnlab.serving.slot_work import live_work
from nnlab.serving.bulletin import Bulletin
from nnlab.serving.jobs import SweepJob, TrainingJob
from nnlab.serving import live_answer as live_answer_module
from nnlab.serving.live_answer import MAX_ROWS, ROW_FIELDS, group_answer, live_answer
from nnlab.serving.live_token import MAX_RUNS, LiveTokens
from nnlab.store import visitors
from nnlab.ui import live_route
from nnlab.ui.visitor import COOKIE, new_id

from test_jobs import DEADLINE, started, wait_until  # noqa: F401 - started: a fixture
TINY = RunConfig(dataset="iris", hidden=(8,), epochs=3)
LONG = RunConfig(dataset="digits", hidden=(64,), epochs=500, batch_size=4)  # trains until stopped


def owner_of(visitor_id: str) -> str:
    return f"visitor:{visitors.key(visitor_id)[:32]}"  # as ui/workspace.visitor() names the browser


# --- tokens ---------------------------------------------------------------------------------------

def test_a_token_reads_back_its_claim_until_it_expires():
    tokens = LiveTokens(b"s" * 32)
    token = tokens.make(7, "visitor:abc", "shared", now=1000.0)
    claim = tokens.read(token, now=1000.0 + 119)
    assert (claim.serial, claim.owner, claim.workspace) == (7, "visitor:abc", "shared")
    assert tokens.read(token, now=1000.0 + 121) is None  # stale


@pytest.mark.parametrize("damage", [
    lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],  # a flipped MAC character
    lambda t: t.split(".")[0],  # no dot
    lambda t: t + ".x",  # two dots
    lambda t: "!!!." + t.split(".")[1],  # not base64
    lambda t: t + "A" * 5000,  # oversized
    lambda t: "",
    lambda t: None,
])
def test_a_damaged_or_forged_token_reads_as_nothing(damage):
    tokens = LiveTokens(b"s" * 32)
    assert tokens.read(damage(tokens.make(7, "visitor:abc", "shared"))) is None


def test_a_group_token_names_its_runs_in_order_and_no_more_than_max_runs():
    tokens = LiveTokens(b"s" * 32)
    claim = tokens.read(tokens.make([12, 7, 9], "visitor:abc", "shared"))
    assert claim.serials == (12, 7, 9) and claim.serial == 12
    from nnlab.lessons.sweep import MAX_VALUES

    assert tokens.read(tokens.make(range(1, MAX_VALUES + 1), "visitor:" + "f" * 32, "visitor-" + "f" * 32))  # a whole sweep
    for wrong in ([], [7, 7], range(MAX_RUNS + 1)):
        with pytest.raises(ValueError):
            tokens.make(wrong, "visitor:abc", "shared")


def test_a_token_of_another_secret_or_with_another_payload_reads_as_nothing():
    mine, theirs = LiveTokens(b"a" * 32), LiveTokens(b"b" * 32)
    assert mine.read(theirs.make(7, "visitor:abc", "shared")) is None
    payload, mac = mine.make(7, "visitor:abc", "shared").split(".")
    other_payload = mine.make(8, "visitor:abc", "shared").split(".")[0]
    assert mine.read(f"{other_payload}.{mac}") is None  # a MAC is for its own payload only


# --- the bulletin ---------------------------------------------------------------------------------

def test_the_bulletin_calls_its_listeners_from_the_publishing_thread_until_they_unlisten():
    bulletin, heard = Bulletin(), []
    broken = lambda: 1 / 0  # noqa: E731 - a listener that fails must not stop the others
    listener = lambda: heard.append(threading.current_thread().name)  # noqa: E731
    bulletin.listen(broken)
    bulletin.listen(listener)
    thread = threading.Thread(target=bulletin.publish, name="job-thread")
    thread.start()
    thread.join()
    assert heard == ["job-thread"] and bulletin.version == 1
    bulletin.unlisten(listener)
    bulletin.publish()
    assert heard == ["job-thread"] and bulletin.version == 2


def test_a_training_job_publishes_each_epoch_and_its_status(run_store):
    job = TrainingJob(TINY, load_dataset, store=run_store, owner="visitor:x", abandon_seconds=600)
    told = []
    job.bulletin.listen(lambda: told.append((len(job.history), job.status)))
    job.run()
    assert job.status == Status.COMPLETED
    assert [epochs for epochs, _ in told if epochs][:1] == [1]  # told as the first epoch ended
    assert {epochs for epochs, _ in told} >= {1, 2, 3}
    assert told[-1] == (3, Status.COMPLETED) and (0, Status.RUNNING) in told


# --- the answer -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained():
    job = TrainingJob(TINY, load_dataset, owner="visitor:x", abandon_seconds=600)
    job.run()
    return job


def test_the_answer_holds_the_rows_after_the_cursor_with_only_the_curves_fields(trained):
    answer = live_answer(trained, 1)
    assert [row["epoch"] for row in answer["rows"]] == [2, 3] and answer["next"] == 3 and answer["done"]
    assert all(set(row) <= set(ROW_FIELDS) and "seconds" not in row for row in answer["rows"])
    assert not live_answer(trained, 0)["rows"][0].keys() - set(ROW_FIELDS)
    assert json.loads(json.dumps(answer, allow_nan=False)) == answer  # strict JSON
    assert live_answer(trained, 3)["rows"] == [] and live_answer(trained, 3)["done"]


def test_the_answer_is_strict_json_when_the_loss_blew_up_and_bounded_in_rows(trained, monkeypatch):
    blown = [{**trained.history[0], "epoch": i + 1, "loss": float("nan"), "val_loss": float("inf")}
             for i in range(MAX_ROWS + 5)]
    monkeypatch.setattr(trained, "history", blown)
    answer = live_answer(trained, 0)
    assert len(answer["rows"]) == MAX_ROWS and answer["next"] == MAX_ROWS and not answer["done"]
    assert answer["rows"][0]["loss"] is None and answer["rows"][0]["val_loss"] is None
    json.dumps(answer, allow_nan=False)
    assert live_answer(trained, MAX_ROWS)["done"]


def test_the_answer_marks_the_rates_set_by_hand_up_to_its_cursor(run_store, monkeypatch):
    # A real run whose learning rate and L2 penalty are changed as its first epoch ends (as the page's
    # controls would, from another thread): the live chart draws what the final charts draw.
    job = TrainingJob(TINY, load_dataset, store=run_store, owner="visitor:x", abandon_seconds=600)

    def change_once():
        if len(job.history) == 1 and job.status == Status.RUNNING and not changed:
            changed.append(True)
            job.set_learning_rate(0.005)
            job.set_penalties(l2=0.01)

    changed: list = []
    job.bulletin.listen(change_once)
    job.run()
    assert changed and job.status == Status.COMPLETED
    assert [row["l2"] for row in job.history] == [0.0, 0.01, 0.01]
    marks = live_answer(job, 0)["marks"]
    assert [(mark["epoch"], mark["short"]) for mark in marks] == [(2, "rate → 0.005"), (2, "L2 → 0.01")]
    assert marks[1]["label"] == "L2 penalty set to 0.01 from epoch 2"
    assert live_answer(job, 2)["marks"] == marks  # the whole list whatever the cursor: a chart drawn again has them all
    monkeypatch.setattr(live_answer_module, "MAX_ROWS", 1)  # only epoch 1 told: its change is not drawn yet
    assert live_answer(job, 0)["marks"] == [] and live_answer(job, 1)["marks"] == marks


@pytest.fixture(scope="module")
def second():
    job = TrainingJob(RunConfig(dataset="iris", hidden=(4,), epochs=2), load_dataset, owner="visitor:x", abandon_seconds=600)
    job.run()
    return job


def test_a_group_answer_holds_each_runs_rows_after_its_cursor_and_max_rows_in_all(trained, second, monkeypatch):
    answer = group_answer([trained, second], [1, 0])
    assert [[row["epoch"] for row in run["rows"]] for run in answer["runs"]] == [[2, 3], [1, 2]]
    assert [run["next"] for run in answer["runs"]] == [3, 2] and answer["done"] and answer["metric"] == "accuracy"
    assert [run["rows"] for run in group_answer([trained, second], [3, 2])["runs"]] == [[], []]
    blown = [{**trained.history[0], "epoch": i + 1, "loss": float("nan")} for i in range(MAX_ROWS + 5)]
    monkeypatch.setattr(trained, "history", blown)
    monkeypatch.setattr(second, "history", blown)
    answer = group_answer([trained, second], [0, 0])
    assert [len(run["rows"]) for run in answer["runs"]] == [MAX_ROWS, 0] and not answer["done"]
    assert [len(run["rows"]) for run in group_answer([trained, second], [MAX_ROWS, 0])["runs"]] == [5, MAX_ROWS - 5]
    json.dumps(answer, allow_nan=False)


# --- the route over HTTP --------------------------------------------------------------------------

class Client:
    """HTTP to a real uvicorn serving the live route in a thread, on a free port (as `streamlit run` serves it)."""

    def __init__(self, base: str):
        self.base, self.session = base, requests.Session()

    def get(self, path: str, headers: dict | None = None):
        return self.session.get(self.base + path, headers=headers or {}, timeout=DEADLINE)

    def post(self, path: str):
        return self.session.post(self.base + path, timeout=DEADLINE)


@pytest.fixture(scope="module")
def client():
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=live_route.routes()), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started)
    yield Client(f"http://127.0.0.1:{listening.getsockname()[1]}")
    server.should_exit = True
    thread.join(DEADLINE)
    listening.close()


def _get(client, job_or_token, after=0, cookie=None, v=0):
    token = job_or_token if isinstance(job_or_token, str) else live_route.token_for(job_or_token)
    return client.get(f"/api/live?t={token}&after={after}&v={v}",
                      headers={"cookie": f"{COOKIE}={cookie}"} if cookie else {})


def test_the_route_answers_its_owner_with_rows_and_a_renewed_token(client, trained):
    visitor = new_id()
    trained.owner = owner_of(visitor)
    answer = _get(client, trained, after=1, cookie=visitor)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert [row["epoch"] for row in body["rows"]] == [2, 3] and body["done"]
    assert live_route.TOKENS.read(body["t"]).serial == trained.serial
    assert _get(client, body["t"], after=3, cookie=visitor).status_code == 200  # the renewed token works


def test_every_refusal_is_the_same_403_without_a_trace(client, trained, tmp_path):
    visitor, stranger = new_id(), new_id()
    trained.owner = owner_of(visitor)
    good = live_route.token_for(trained)
    refused = {
        "another visitor's cookie": _get(client, good, cookie=stranger),
        "another owner's token": _get(client, live_route.TOKENS.make(trained.serial, owner_of(stranger), ""), cookie=stranger),
        "another workspace's token": _get(client, live_route.TOKENS.make(trained.serial, trained.owner, "shared"), cookie=visitor),
        "a stale token": _get(client, live_route.TOKENS.make(trained.serial, trained.owner, "", now=0), cookie=visitor),
        "a forged token": _get(client, good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"), cookie=visitor),
        "no such run": _get(client, live_route.TOKENS.make(10**9, trained.owner, ""), cookie=visitor),
        "an oversized request": client.get(f"/api/live?t={good}&after=0&pad={'x' * 5000}"),
        "a bad cursor": _get(client, good, after=-1, cookie=visitor),
        "a huge cursor": _get(client, good, after=10**12, cookie=visitor),
        "no token": client.get("/api/live?after=0"),
    }
    for why, answer in refused.items():
        assert answer.status_code == 403, why
        assert answer.json() == {"error": live_route.REFUSED}, why
        assert "Traceback" not in answer.text and "/" not in answer.json()["error"].replace("/api", "")
    assert _get(client, good, cookie=visitor).status_code == 200  # the same token, from its owner
    assert client.post(f"/api/live?t={good}").status_code == 405  # read only


def test_a_group_is_answered_in_one_request_with_a_renewed_token_for_all_its_runs(client, trained, second):
    visitor = new_id()
    trained.owner = second.owner = owner_of(visitor)
    answer = _get(client, live_route.token_for(trained, second), after="1,0", cookie=visitor)
    assert answer.status_code == 200
    body = answer.json()
    assert [[row["epoch"] for row in run["rows"]] for run in body["runs"]] == [[2, 3], [1, 2]] and body["done"]
    assert live_route.TOKENS.read(body["t"]).serials == (trained.serial, second.serial)
    assert body["v"] == trained.bulletin.version + second.bulletin.version
    assert _get(client, body["t"], after="3,2", v=body["v"], cookie=visitor).json()["done"]


def test_a_group_with_one_run_not_the_visitors_is_refused_whole(client, trained, second):
    visitor, stranger = new_id(), new_id()
    trained.owner, second.owner = owner_of(visitor), owner_of(stranger)
    theirs_too = {"a run of another visitor in the token": _get(
        client, live_route.TOKENS.make([trained.serial, second.serial], trained.owner, ""), after="0,0", cookie=visitor)}
    second.owner = trained.owner
    group = live_route.token_for(trained, second)
    refused = {
        **theirs_too,
        "another visitor's cookie": _get(client, group, after="0,0", cookie=stranger),
        "a run no longer held": _get(client, live_route.TOKENS.make([trained.serial, 10**9], trained.owner, ""),
                                     after="0,0", cookie=visitor),
        "one cursor for two runs": _get(client, group, after="0", cookie=visitor),
        "three cursors for two runs": _get(client, group, after="0,0,0", cookie=visitor),
        "an empty cursor": _get(client, group, after="0,", cookie=visitor),
        "too many cursors": _get(client, group, after=",".join(["0"] * (MAX_RUNS + 1)), cookie=visitor),
    }
    for why, answer in refused.items():
        assert answer.status_code == 403, why
        assert answer.json() == {"error": live_route.REFUSED}, why
    assert _get(client, group, after="0,0", cookie=visitor).status_code == 200


@pytest.mark.slow  # over 4 s in the edit loop: out of it
def test_a_group_is_held_until_any_of_its_runs_has_news(client, started, monkeypatch):
    """A sweep whose first run has ended and whose second is paused: nothing to tell (an ended run is no news),
    until the second run's step ends an epoch (its bulletin wakes the poll)."""
    monkeypatch.setattr(live_route, "HOLD_SECONDS", 10 * DEADLINE)  # only news answers within the waits below
    sweep = started(SweepJob([TrainingJob(TINY, load_dataset, owner="visitor:g"), TrainingJob(LONG, load_dataset, owner="visitor:g"),
                              TrainingJob(TINY, load_dataset, owner="visitor:g")], abandon_seconds=600))
    ended, training, waiting = sweep.jobs
    wait_until(lambda: ended.done and len(training.history) >= 1)
    training.pause()
    wait_until(lambda: training.holding)
    seen = _get(client, live_route.token_for(*sweep.jobs), after="0,0,0").json()
    assert [run["ended"] for run in seen["runs"]] == [True, False, False] and seen["runs"][0]["next"] == 3
    assert seen["runs"][2]["status"] == "Waiting for its turn: the runs before it train first…"  # not "for a free slot"
    answered, result = threading.Event(), {}

    def ask(body):
        after = ",".join(str(run["next"]) for run in body["runs"])
        result["body"] = _get(client, body["t"], after=after, v=body["v"]).json()
        answered.set()

    threading.Thread(target=ask, args=(seen,)).start()
    if answered.wait(1.0):  # told of the pause reached after the first answer: nothing more can come until a step
        answered.clear()
        seen = result["body"]
        threading.Thread(target=ask, args=(seen,)).start()
        assert not answered.wait(1.0), "answered with no news"
    training.step_epoch()
    while True:  # the step's batches may wake it with progress first; its epoch's row follows
        assert answered.wait(DEADLINE), "no answer after the step"
        if result["body"]["runs"][1]["next"] > seen["runs"][1]["next"]:
            break
        answered.clear()
        threading.Thread(target=ask, args=({**seen, "v": result["body"]["v"], "t": result["body"]["t"]},)).start()
    assert result["body"]["runs"][0]["rows"] == []  # the ended run's epochs were told once


def test_a_queued_runs_view_is_answered_as_soon_as_it_moves_up_the_queue(client, started, monkeypatch):
    """Its place in line is news: the run ahead leaves the queue and the held poll answers with the new place
    (before, the line said "2nd in line" until the poll's time ran out)."""
    from nnlab.serving.scheduler import Scheduler

    monkeypatch.setattr(live_route, "HOLD_SECONDS", 10 * DEADLINE)  # only news answers within the waits below
    scheduler = Scheduler(1)
    holder = started(TrainingJob(LONG, load_dataset, owner="visitor:h", scheduler=scheduler, abandon_seconds=600))
    wait_until(lambda: scheduler.holds_slot(holder))
    ahead = started(TrainingJob(LONG, load_dataset, owner="visitor:a", scheduler=scheduler, abandon_seconds=600))
    job = started(TrainingJob(LONG, load_dataset, owner="visitor:x", scheduler=scheduler, abandon_seconds=600))
    wait_until(lambda: job.queue_position() == 2)
    seen = _get(client, job).json()
    assert seen["status"].startswith("Waiting for a free training slot: 2nd in line")
    answered, result = threading.Event(), {}

    def ask(body):
        result["body"] = _get(client, body["t"], after=body["next"], v=body["v"]).json()
        answered.set()

    threading.Thread(target=ask, args=(seen,)).start()
    if answered.wait(1.0):  # published after the first answer (the run queued): ask again, now nothing comes
        answered.clear()
        seen = result["body"]
        threading.Thread(target=ask, args=(seen,)).start()
        assert not answered.wait(1.0), "answered with no news"
    ahead.stop()  # it leaves the queue: the run moves up to next in line
    assert answered.wait(DEADLINE), "the poll was not answered when the run moved up the queue"
    assert result["body"]["status"].startswith("Waiting for a free training slot: 1st in line")


def test_a_request_without_news_is_held_until_the_next_epoch(client, started):
    job = started(TrainingJob(LONG, load_dataset, owner="visitor:x", abandon_seconds=600))
    wait_until(lambda: len(job.history) >= 1)
    first = _get(client, job).json()
    answered = threading.Event()
    result = {}

    def ask():
        result["body"] = _get(client, first["t"], after=first["next"], v=first["v"]).json()
        answered.set()

    epochs_before = len(job.history)
    job.pause()  # holds: no epoch, no news, until it is told to go on
    wait_until(lambda: job.holding)
    asking = threading.Thread(target=ask)
    asking.start()
    assert not answered.wait(1.0) or result["body"]["paused"]  # held while nothing happens (or told of the pause)
    if answered.is_set():  # told of the pause: ask again, now nothing more can come until a step
        answered.clear()
        first = result["body"]
        asking = threading.Thread(target=ask)
        asking.start()
        assert not answered.wait(1.0), "answered with no news"
    job.step_epoch()  # news: an epoch ends (the step's batches may wake the poll first, with progress only)
    deadline = time.monotonic() + DEADLINE
    while True:
        assert answered.wait(max(0.0, deadline - time.monotonic())), "no answer after the step"
        asking.join()
        if result["body"]["next"] > first["next"] or time.monotonic() > deadline:
            break
        answered.clear()
        first = {**first, "v": result["body"]["v"]}
        asking = threading.Thread(target=ask)
        asking.start()
    assert result["body"]["next"] > first["next"] >= epochs_before


def test_the_answer_tells_a_paused_runs_page_each_change_of_its_pause_and_nothing_else(client, started):
    """Paused, the browser draws the curves and the page reruns only when its step buttons and words are out
    of date: `hold` changes with a step done or a resume, and stays the same while nothing happens."""
    job = started(TrainingJob(LONG, load_dataset, owner="visitor:x", abandon_seconds=600))
    wait_until(lambda: len(job.history) >= 1)
    assert _get(client, job).json()["hold"] == ""  # at full speed: no pause for the page to draw
    job.pause()
    wait_until(lambda: job.holding)
    held = _get(client, job).json()["hold"]
    assert held.startswith("1|") and _get(client, job).json()["hold"] == held  # nothing happened: no rerun asked
    job.step_batch(job.steps_taken)
    wait_until(lambda: job.holding and live_answer(job, 0)["hold"] != held)
    stepped = _get(client, job).json()["hold"]
    assert stepped.startswith("1|") and stepped.split("|")[1] == str(int(held.split("|")[1]) + 1)  # one step more
    job.resume()
    assert _get(client, job).json()["hold"] == ""


def test_the_answer_carries_the_live_verdict_and_its_button_changes_only_with_its_epoch(client, started, monkeypatch):
    """Issue 24: the live verdict is fetched with the curves (its words, the epoch its Stop keeps), strict JSON
    even when the loss blew up; `verdict_state`, what asks the page for a rerun, moves only with its button."""
    job = started(TrainingJob(LONG, load_dataset, owner="visitor:x", abandon_seconds=600))
    wait_until(lambda: len(job.history) >= 2)
    job.pause()
    wait_until(lambda: job.holding)
    calm = _get(client, job).json()
    assert calm["verdict"] is None and calm["verdict_state"] == ""
    history = list(job.history)
    blown = history + [{**history[-1], "epoch": len(history) + 1, "loss": float("nan"), "val_loss": float("nan")}]
    monkeypatch.setattr(job, "history", blown)
    told = _get(client, job)
    assert told.status_code == 200
    body = json.loads(told.text)  # strict JSON: a NaN would not parse as the browser's JSON
    verdict = body["verdict"]
    assert verdict["kind"] == "diverged" and f"at epoch {len(blown)}" in verdict["text"]
    losses = [row["val_loss"] for row in history]
    assert verdict["best"] == losses.index(min(losses)) + 1 and verdict["keep"]
    assert f"Stop and keep epoch {verdict['best']}" in verdict["advice"]
    assert body["verdict_state"] == f"diverged|{verdict['best']}|1" and "NaN" not in told.text
    monkeypatch.setattr(job, "history", blown + [{**blown[-1], "epoch": len(blown) + 1}])
    assert _get(client, job).json()["verdict_state"] == body["verdict_state"]  # another epoch: no rerun asked


def _refused_to_all_but_its_owner(client, work, visitor: str, stranger: str) -> None:
    """The same 403 for another visitor's cookie, a stale token, an oversized request, and a token naming this
    work (a finder, a search) beside a run of the same visitor."""
    good = live_route.token_for(work)
    beside = TrainingJob(TINY, load_dataset, owner=work.owner)  # the visitor's own run, not begun
    refused = {
        "another visitor's cookie": _get(client, good, cookie=stranger),
        "a stale token": _get(client, live_route.TOKENS.make(work.serial, work.owner, "", now=0), cookie=visitor),
        "an oversized request": client.get(f"/api/live?t={good}&after=0&pad={'x' * 5000}"),
        "named beside a run": _get(client, live_route.TOKENS.make([work.serial, beside.serial], work.owner, ""),
                                   after="0,0", cookie=visitor),
    }
    for why, answer in refused.items():
        assert answer.status_code == 403 and answer.json() == {"error": live_route.REFUSED}, why


def test_the_finders_progress_is_its_owners_only_and_its_held_poll_wakes_as_it_starts_and_ends(client, started, monkeypatch):
    """Issue 24: the learning-rate finder's progress is fetched (queue place, batches, its end) with a token
    bound to it and its visitor; refused to anyone else, stale, oversized, or named beside a run."""
    from nnlab.serving.lr_finder_job import FinderJob
    from nnlab.serving.scheduler import Scheduler

    monkeypatch.setattr(live_route, "HOLD_SECONDS", 10 * DEADLINE)  # only news answers within the waits below
    visitor, stranger = new_id(), new_id()
    scheduler = Scheduler(1)
    holder = started(TrainingJob(LONG, load_dataset, owner="visitor:h", scheduler=scheduler, abandon_seconds=600))
    wait_until(lambda: scheduler.holds_slot(holder))
    finder = started(FinderJob(TINY, load_dataset, owner=owner_of(visitor), scheduler=scheduler, abandon_seconds=600,
                               steps=40))
    wait_until(lambda: finder.queue_position() == 1)
    good = live_route.token_for(finder)
    seen = _get(client, good, cookie=visitor).json()
    assert seen["status"] == "Waiting for a free training slot (number 1 in line)…" and seen["fraction"] == 0
    assert not seen["done"] and seen["rows"] == [] and live_route.TOKENS.read(seen["t"]).serial == finder.serial
    _refused_to_all_but_its_owner(client, finder, visitor, stranger)
    answered, result = threading.Event(), {}

    def ask(body):
        result["body"] = _get(client, body["t"], v=body["v"], cookie=visitor).json()
        answered.set()

    threading.Thread(target=ask, args=(seen,)).start()
    if answered.wait(1.0):  # published after the first answer (it queued): ask again, now nothing comes
        answered.clear()
        seen = result["body"]
        threading.Thread(target=ask, args=(seen,)).start()
        assert not answered.wait(1.0), "answered with no news"
    holder.stop()  # the slot frees: the finder starts, goes through its batches and ends, each told at once
    told = []
    while True:
        assert answered.wait(DEADLINE), f"no answer after {told}"
        answered.clear()
        seen = result["body"]
        told.append(seen["status"])
        if seen["done"]:
            break
        threading.Thread(target=ask, args=(seen,)).start()
    assert finder.done and seen["status"] == finder.message and not told[0].startswith("Waiting")


@pytest.mark.slow  # over 4 s in the edit loop: out of it
def test_a_search_is_followed_trial_after_trial_by_its_owner_only(client, started, monkeypatch, tmp_path):
    """Issue 24: a search's live view is fetched: its progress, and the current trial's epochs, each told once
    in order and tagged with its trial (a new trial's curves start at its epoch 1); every answer is woken by
    news (a trial's epoch or its end); refused to another visitor, stale, oversized, or named beside a run."""
    import math

    from nnlab.search.study import SearchPlan, parse_space
    from nnlab.serving.scheduler import Scheduler
    from nnlab.serving.search_job import SearchJob

    monkeypatch.setattr(live_route, "HOLD_SECONDS", 10 * DEADLINE)  # only news answers within the waits below
    visitor, stranger = new_id(), new_id()
    plan = SearchPlan(RunConfig(dataset="iris", hidden=(4,), epochs=3), parse_space(["learning_rate=1e-3..1e-1:log"]),
                      trials=3, minutes=5)
    search = SearchJob(plan, url=f"sqlite:///{tmp_path / 'studies.sqlite'}", key="shared/live", load=load_dataset,
                       store=None, owner=owner_of(visitor), page_limits=False, scheduler=Scheduler(1),
                       abandon_seconds=math.inf)
    good = live_route.token_for(search)
    _refused_to_all_but_its_owner(client, search, visitor, stranger)
    started(search)
    body, shown = _get(client, good, cookie=visitor).json(), {}  # shown: each trial's epochs, as the browser drew them
    table, told_best, previous_v = body["told"], body["best"], None  # the trials told so far, as the browser draws them
    while True:
        assert body["status"].startswith("Study live · ") and 0 <= body["trials_done"] <= 3
        if "told" in body:  # sent again only when the search's bulletin moved (a trial told), never dropped meanwhile
            assert len(body["told"]) >= len(table) and [t["trial"] for t in body["told"]][::-1] == sorted(t["trial"] for t in body["told"])
            table, told_best = body["told"], body["best"]
        else:
            assert body["v"] == previous_v
        epochs = [row["epoch"] for row in body["rows"]]
        if body["trial"] is not None:
            drawn = shown.setdefault(body["trial"]["serial"], [])
            assert epochs == list(range(len(drawn) + 1, len(drawn) + 1 + len(epochs))), (drawn, epochs)  # in order, once
            drawn.extend(epochs)
        if body["done"]:
            break
        previous_v = body["v"]
        body = _get(client, body["t"], after=body["next"], v=body["v"], cookie=visitor).json()
    assert search.done and body["trials_done"] == 3 and body["status"] == "Study live · Finished: 3 trials."
    # Every trial in the table, newest first, each with what became of it, its figure and its knobs; the best named.
    assert [t["trial"] for t in table] == sorted(search.trials, reverse=True) and len(table) == 3
    for trial in table:
        assert trial["state"] == "complete" and trial["shown"].endswith("%") and trial["epochs"] == 3
        assert trial["settings"].startswith("Learning rate ")
    best = max(table[::-1], key=lambda t: t["value"])  # of equal figures, the earliest trial (as Optuna's best)
    assert told_best == f"Best so far: {best['shown']} validation accuracy, trial {best['trial']}."
    assert set(shown) <= {trial.serial for trial in search.jobs} and shown[search.jobs[-1].serial] == [1, 2, 3]


@pytest.mark.slow  # over 4 s in the edit loop: out of it
def test_a_runs_inside_panel_is_answered_tab_by_tab_only_when_it_moved_and_to_its_owner_only(client):
    """Issue 24: the inside panel's open tab is fetched (`view=inside-<tab>`): the neuron maps and prediction as
    PNG images, the weights as one, the statistics as numbers, each only when the run's snapshot or statistics
    moved past the browser's cursor; refused to another visitor, stale, for an unknown tab or a group's token."""
    from nnlab.ui import live_inside

    visitor, stranger = new_id(), new_id()
    plane = TrainingJob(RunConfig(dataset="circle", samples=200, hidden=(8, 8), epochs=3), load_dataset,
                        owner=owner_of(visitor), abandon_seconds=600)
    images = TrainingJob(RunConfig(dataset="digits", hidden=(16,), epochs=1), load_dataset, owner=owner_of(visitor),
                         abandon_seconds=600)
    plane.run()
    images.run()
    ask = lambda job, tab, after=0, cookie=visitor: client.get(  # noqa: E731
        f"/api/live?t={live_route.token_for(job)}&after={after}&v=0&view=inside-{tab}", headers={"cookie": f"{COOKIE}={cookie}"})
    maps = ask(plane, "maps")
    assert maps.status_code == 200 and "NaN" not in maps.text
    body = maps.json()
    assert body["view"]["layers"] == ["inputs (x₁, x₂)", "hidden_1", "hidden_2"] and body["view"]["url"].startswith("data:image/png;base64,")
    assert body["view"]["prediction"].startswith("data:image/png;base64,") and body["next"] == live_inside.stamp(plane)
    # "Discretize output": the prediction in its two class colours, P(blue) above 0.5 blue
    classes = np.asarray(Image.open(io.BytesIO(base64.b64decode(body["view"]["classes"].split(",", 1)[1]))))
    expected = inside_charts.colour_index(np.sign(2 * plane.inside.maps.prediction - 1)[::-1])
    np.testing.assert_array_equal(classes, expected)
    assert set(np.unique(classes)) <= {1, 128, 255}
    # the network drawing (issue 28): each column's neurons and every weight, the trained model's own
    network = body["view"]["network"]
    assert network["layers"] == ["inputs", "hidden_1", "hidden_2", "output"]
    assert network["columns"][0] == ["input x₁", "input x₂"] and len(network["columns"][2]) == 8
    for (_, kernel), sent in zip(plane.inside.maps.kernels, network["weights"]):
        np.testing.assert_allclose(np.array(sent), kernel, rtol=1e-3, atol=1e-6)
    assert network["caption"] == inside_charts.NETWORK_CAPTION
    assert len(maps.content) < 200_000
    assert ask(plane, "maps", after=body["next"]).json()["view"] is None  # nothing moved: nothing sent again
    stats = ask(plane, "stats").json()["view"]
    assert stats["layers"][:2] == ["hidden_1", "hidden_2"] and [e for e, _ in stats["norms"]["hidden_1"]] == [1, 2, 3]
    assert [row[0] for row in stats["bands"]["hidden_1"]] == [1, 2, 3] and len(stats["colours"]) == len(stats["layers"])
    weights = ask(images, "weights").json()["view"]
    assert weights["url"].startswith("data:image/png;base64,") and weights["tile"] == 8 and "16 of 16 neurons" in weights["caption"]
    refused = {
        "another visitor's cookie": ask(plane, "maps", cookie=stranger),
        "an unknown tab": ask(plane, "secrets"),
        "a stale token": client.get(f"/api/live?t={live_route.TOKENS.make(plane.serial, plane.owner, '', now=0)}&after=0&v=0"
                                    f"&view=inside-maps", headers={"cookie": f"{COOKIE}={visitor}"}),
        "a group's token": client.get(f"/api/live?t={live_route.token_for(plane, images)}&after=0,0&v=0&view=inside-stats",
                                      headers={"cookie": f"{COOKIE}={visitor}"}),
    }
    for why, answer in refused.items():
        assert answer.status_code == 403 and answer.json() == {"error": live_route.REFUSED}, why


@pytest.mark.slow  # over 4 s in the edit loop: out of it
def test_a_fifth_request_in_flight_on_one_run_is_told_to_wait(client, started, monkeypatch):
    monkeypatch.setattr(live_route, "HOLD_SECONDS", 5.0)
    job = started(TrainingJob(LONG, load_dataset, owner="visitor:x", abandon_seconds=600))
    job.pause()
    wait_until(lambda: job.holding)
    first = _get(client, job).json()
    codes, threads = [], []
    for _ in range(live_route.MAX_IN_FLIGHT + 2):
        thread = threading.Thread(target=lambda: codes.append(
            _get(client, first["t"], after=first["next"], v=first["v"]).status_code))
        threads.append(thread)
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    assert sorted(codes) == [200] * live_route.MAX_IN_FLIGHT + [429] * 2


def test_an_answered_request_touches_its_run(client, trained, monkeypatch):
    touched = []
    monkeypatch.setattr(trained, "touch", lambda: touched.append(True))
    _get(client, trained, after=3)
    assert touched


def test_the_route_is_served_under_the_base_url_path_too():
    from streamlit import config

    before = config.get_option("server.baseUrlPath")
    config.set_option("server.baseUrlPath", "/class/nnlab/")
    try:
        paths = [route.path for route in live_route.routes()]
    finally:
        config.set_option("server.baseUrlPath", before)
    assert paths == ["/api/live", "/class/nnlab/api/live"]


def test_a_run_no_page_holds_is_no_longer_found():
    import gc

    job = TrainingJob(TINY, load_dataset, owner="visitor:x", abandon_seconds=600)
    serial = job.serial
    assert live_work(serial) is job
    del job
    gc.collect()
    assert live_work(serial) is None
