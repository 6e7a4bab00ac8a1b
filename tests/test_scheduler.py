import threading

import pytest

from nnlab.core.errors import UserError
from nnlab.core.deployment import Deployment
from nnlab.serving.scheduler import Scheduler

DEADLINE = 10  # seconds any wait in these tests may take


class Request:
    """The least a request needs: an owner and the seconds it still needs."""

    def __init__(self, owner: str, remaining: float | None = None):
        self.owner, self.remaining = owner, remaining

    def eta(self):
        return self.remaining

    def __repr__(self):
        return f"Request({self.owner!r})"


def test_requests_get_slots_in_arrival_order_and_know_their_place():
    scheduler = Scheduler(1)
    first, a, b, c = Request("first"), Request("a"), Request("b"), Request("c")
    assert take(scheduler, first)
    granted, threads = [], []
    for request in (a, b, c):
        scheduler.enqueue(request)  # arrival order is fixed here, not by when the threads run
        thread = threading.Thread(target=lambda r=request: scheduler.acquire(r, timeout=DEADLINE) and granted.append(r))
        thread.start()
        threads.append(thread)
    assert [scheduler.position(r) for r in (first, a, b, c)] == [None, 1, 2, 3]
    for count, holder in enumerate((first, a, b), start=1):
        scheduler.release(holder)
        _wait_until(lambda: len(granted) == count)
        assert [scheduler.position(r) for r in (a, b, c)][count:] == list(range(1, 3 - count + 1))
    assert granted == [a, b, c]
    scheduler.release(c)
    for thread in threads:
        thread.join(DEADLINE)
        assert not thread.is_alive()


class Watched(Request):
    """A request whose live view is told when its place in the queue changes."""

    def __init__(self, owner: str):
        super().__init__(owner)
        self.told = 0

    def queue_moved(self):
        self.told += 1


def test_requests_behind_are_told_when_the_queue_moves_and_no_others():
    scheduler = Scheduler(1)
    first, a, b, c = Request("first"), Watched("a"), Watched("b"), Watched("c")
    assert take(scheduler, first)
    for request in (a, b, c):
        scheduler.enqueue(request)
    scheduler.cancel(b)  # a is ahead of it: its place stays; c moves up
    assert (a.told, c.told) == (0, 1)
    scheduler.release(first)  # a gets the slot (it trains: its own status says so); c moves up again
    assert (a.told, c.told) == (0, 2) and scheduler.position(c) == 1
    scheduler.enqueue(Watched("d"))  # a newcomer at the end moves no one
    assert (a.told, c.told) == (0, 2)


def test_two_slots_train_two_at_once():
    scheduler = Scheduler(2)
    a, b, c = Request("a"), Request("b"), Request("c")
    assert take(scheduler, a) and take(scheduler, b)
    assert not take(scheduler, c, timeout=0.05) and scheduler.position(c) == 1
    scheduler.release(b)
    assert scheduler.acquire(c, timeout=DEADLINE) and scheduler.holds_slot(c)


def test_one_request_per_owner_queued_or_training():
    scheduler = Scheduler(1)
    scheduler.enqueue(Request("alice"))
    with pytest.raises(UserError, match="You already have a run training.*stop it or wait for it"):
        scheduler.enqueue(Request("alice"))
    scheduler.enqueue(Request("bob"))  # in line behind alice, not refused
    with pytest.raises(UserError):
        scheduler.enqueue(Request("bob"))
    assert scheduler.position(Request("carol")) is None


def test_anonymous_requests_are_not_limited():
    scheduler = Scheduler(1)
    for _ in range(3):
        scheduler.enqueue(Request(""))


def test_a_released_owner_may_ask_again():
    scheduler = Scheduler(1)
    first = Request("alice")
    assert take(scheduler, first)
    scheduler.release(first)
    assert take(scheduler, Request("alice"))


def test_a_cancelled_request_leaves_the_queue_at_once_and_its_waiter_returns():
    scheduler = Scheduler(1)
    holder, a, b = Request("holder"), Request("a"), Request("b")
    take(scheduler, holder)
    scheduler.enqueue(a)
    scheduler.enqueue(b)
    result = []
    waiter = threading.Thread(target=lambda: result.append(scheduler.acquire(a, timeout=DEADLINE)))
    waiter.start()
    scheduler.cancel(a)
    assert scheduler.position(b) == 1 and scheduler.position(a) is None
    waiter.join(DEADLINE)
    assert result == [False]
    scheduler.release(holder)
    assert scheduler.holds_slot(b) and not scheduler.holds_slot(a)


def test_a_request_cancelled_before_it_waits_does_not_queue_again():
    scheduler = Scheduler(1)
    holder, early = Request("holder"), Request("early")
    take(scheduler, holder)
    scheduler.enqueue(early)
    scheduler.cancel(early)
    assert not scheduler.acquire(early, timeout=DEADLINE) and scheduler.position(early) is None


def test_the_wait_estimate_adds_up_remaining_and_typical_times():
    scheduler = Scheduler(2)
    past = Request("past")
    take(scheduler, past)
    threading.Event().wait(0.2)  # it holds its slot at least 0.2 s: the typical time of a hold
    scheduler.release(past)
    running_short, running_long = Request("short", 10.0), Request("long", 30.0)
    queued = [Request(f"q{i}") for i in range(3)]
    for request in (running_short, running_long, *queued):
        scheduler.enqueue(request)
    # Slots free at 10 and 30 s; q0 takes the one at 10, q1 the one q0 frees, q2 the next.
    first, second, third = (scheduler.wait_estimate(request) for request in queued)
    typical = second - first
    assert first == pytest.approx(10.0) and 0.2 <= typical < 20
    assert third - second == pytest.approx(typical)
    assert scheduler.wait_estimate(running_short) is None


def test_no_estimate_while_a_running_time_is_unknown():
    scheduler = Scheduler(1)
    take(scheduler, Request("compiling", None))
    waiting = Request("waiting")
    scheduler.enqueue(waiting)
    assert scheduler.wait_estimate(waiting) is None


def test_a_scheduler_needs_a_slot():
    with pytest.raises(ValueError):
        Scheduler(0)


def take(scheduler: Scheduler, request, timeout: float = DEADLINE) -> bool:
    scheduler.enqueue(request)
    return scheduler.acquire(request, timeout=timeout)


def _wait_until(condition, deadline: float = DEADLINE) -> None:
    event = threading.Event()
    for _ in range(int(deadline / 0.01)):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("text, slots", [("2", 2), ("1", 1), ("0", None), ("two", None)])
def test_the_deployer_sets_the_slots(text, slots):
    if slots is None:
        with pytest.raises(ValueError, match="NNLAB_MAX_TRAINING must be a whole number of at least 1"):
            Deployment.from_environment({"NNLAB_MAX_TRAINING": text})
    else:
        assert Deployment.from_environment({"NNLAB_MAX_TRAINING": text}).max_training == slots
