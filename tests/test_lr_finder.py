import threading

import numpy as np
import pytest

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.core.errors import UserError
from nnlab.training.lr_finder import STEPS, check_budget, find_learning_rate, rates, suggest

CIRCLE = RunConfig(dataset="circle", samples=600, hidden=(16,), optimizer="adam", batch_size=16, seed=1)


@pytest.fixture(scope="module")
def circle():
    return load_dataset(CIRCLE)


@pytest.fixture(scope="module")
def found(circle):
    return find_learning_rate(CIRCLE, circle)


def test_suggest_picks_the_steepest_fall_of_the_curve():
    lr = rates()
    log = np.log10(lr)
    # a loss that falls fastest at 10^-2.5, bottoms out later and then explodes
    loss = 1 / (1 + np.exp(4 * (log + 2.5))) + np.where(log > -0.5, (log + 0.5) ** 2 * 5, 0)
    steepest, minimum_tenth = suggest(lr, loss)
    assert np.log10(steepest) == pytest.approx(-2.5, abs=0.05)
    assert np.log10(minimum_tenth) == pytest.approx(log[np.argmin(loss)] - 1, abs=0.05)


def test_the_curve_rises_exponentially_and_stops_where_the_loss_explodes(found):
    assert len(found.learning_rates) == len(found.losses) == len(found.smoothed) < STEPS
    ratios = np.diff(np.log(found.learning_rates))
    assert np.allclose(ratios, ratios[0]) and ratios[0] > 0
    assert "exploded" in found.message
    assert found.smoothed[-1] > 4 * min(found.smoothed[:-1])


def test_the_suggestion_lies_where_the_real_loss_falls_fastest(found):
    at = found.learning_rates.index(found.suggested)
    lr, smooth = np.log(found.learning_rates), np.array(found.smoothed)
    window = slice(STEPS // 10, STEPS // 10 + int(np.argmin(smooth[STEPS // 10:len(lr) - 5])) + 1)  # up to the lowest
    slopes = np.diff(smooth[window]) / np.diff(lr[window])
    assert slopes.min() < 0  # the loss does fall somewhere in the range
    assert smooth[at + 1] < smooth[at]  # and falls right at the suggestion, faster than anywhere else
    assert (smooth[at + 1] - smooth[at]) / (lr[at + 1] - lr[at]) == pytest.approx(slopes.min())
    assert found.suggested < found.learning_rates[int(np.argmin(smooth))]  # before the lowest loss


def test_the_suggestion_ignores_bounces_after_the_lowest_loss():
    lr = rates()
    log = np.log10(lr)
    # falls at 10^-3, bottoms out at 10^-1, then a sharp bounce down at 10^0.5 before it climbs
    loss = 1 / (1 + np.exp(3 * (log + 3))) + np.where(log > -1, (log + 1) * 0.3, 0) \
        - np.where(np.abs(log - 0.5) < 0.1, 0.2, 0)
    steepest, _ = suggest(lr, loss)
    assert np.log10(steepest) == pytest.approx(-3, abs=0.1)


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_the_suggested_rate_trains_better_than_one_far_below_it(circle, found):
    from nnlab.training.train import train

    short = RunConfig(**{**CIRCLE.to_dict(), "epochs": 3})
    at_suggestion = train(short.__class__(**{**short.to_dict(), "learning_rate": found.suggested}), circle)
    far_below = train(short.__class__(**{**short.to_dict(), "learning_rate": found.suggested / 1000}), circle)
    assert at_suggestion.history[-1]["loss"] < far_below.history[-1]["loss"]


def test_the_finder_leaves_the_real_model_untouched(circle):
    from nnlab.training.model import build_model

    model = build_model(CIRCLE, circle)
    before = [w.copy() for w in model.get_weights()]
    result = find_learning_rate(CIRCLE, circle, model=model, steps=60)
    assert len(result.losses) > 10
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_stop_ends_the_test_and_progress_is_reported(circle):
    stop, seen = threading.Event(), []

    def on_step(done, total):
        seen.append(done)
        if done == 30:
            stop.set()

    result = find_learning_rate(CIRCLE, circle, stop=stop, on_step=on_step)
    assert len(result.losses) == 30 and seen == list(range(1, 31))
    assert "Stopped after 30" in result.message


def test_the_compute_budget_applies(circle):
    with pytest.raises(UserError, match="finder needs .* Use fewer or narrower hidden layers"):
        check_budget(CIRCLE, circle, limit=1e6)
    check_budget(CIRCLE, circle, limit=1e12)


def test_json_form_names_the_rule_and_holds_the_curve(found):
    data = found.to_dict()
    assert data["rule"] == "steepest descent" and data["suggested"] == found.suggested
    assert len(data["curve"]) == len(found.losses) and set(data["curve"][0]) == {"learning_rate", "loss", "smoothed"}


class _Holder:
    """Another request of the same visitor (a run training)."""
    owner = "visitor"

    def eta(self):
        return None


def test_the_finder_job_takes_a_slot_like_a_run(circle):
    from nnlab.serving.lr_finder_job import FinderJob
    from nnlab.serving.scheduler import Scheduler

    scheduler = Scheduler(1)
    holder = _Holder()
    scheduler.enqueue(holder)  # the visitor's run holds the only slot
    with pytest.raises(UserError, match="already have a run training"):
        FinderJob(CIRCLE, lambda config: circle, owner="visitor", scheduler=scheduler).start()
    scheduler.release(holder)
    job = FinderJob(CIRCLE, lambda config: circle, owner="visitor", scheduler=scheduler, steps=60).start()
    job.join(timeout=300)
    assert job.status == "completed" and len(job.result.losses) > 10 and job.progress == len(job.result.losses)
    assert not scheduler.holds_slot(job) and scheduler.position(job) is None


def test_the_finder_job_obeys_the_compute_budget(circle, deployment):
    from nnlab.serving.lr_finder_job import FinderJob
    from nnlab.serving.scheduler import Scheduler

    deployment(max_compute=1e6)
    scheduler = Scheduler(1)
    with pytest.raises(UserError, match="finder needs"):
        FinderJob(CIRCLE, lambda config: circle, owner="visitor", scheduler=scheduler).start()
    assert scheduler.position(_Holder()) is None and not scheduler._queue


def test_a_finder_job_stopped_in_the_queue_ends_stopped(circle):
    from nnlab.serving.lr_finder_job import FinderJob
    from nnlab.serving.scheduler import Scheduler

    scheduler = Scheduler(1)
    holder = _Holder()
    holder.owner = "someone else"
    scheduler.enqueue(holder)
    job = FinderJob(CIRCLE, lambda config: circle, owner="visitor", scheduler=scheduler).start()
    assert job.queue_position() == 1
    job.stop()
    job.join(timeout=60)
    assert job.status == "stopped" and job.result is None
    scheduler.release(holder)


def test_a_flat_curve_has_no_clear_valley_and_no_suggestion(found):
    # The course network's curve (issue 21): flat noise between 0.089 and 0.091, whose steepest wiggle
    # was suggested as 5.2.
    from nnlab.training.lr_finder import FinderResult, fall

    lr = rates()
    noise = np.random.default_rng(0).uniform(-0.001, 0.001, len(lr))
    flat = 0.09 + noise
    assert fall(flat) < 0.05
    steepest, tenth = suggest(lr, flat)
    result = FinderResult(list(lr), list(flat), list(flat), steepest, tenth, "Tried all 200 learning rates.", fall(flat))
    assert not result.clear and "No clear valley" in result.flat_text()
    assert result.to_dict()["suggested"] is None and result.to_dict()["clear_valley"] is False
    assert found.clear and found.fall > 0.3  # the circle's curve falls: its suggestion stands


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:divide by zero")  # one rate only: no slope to suggest from
def test_the_finder_trains_with_the_trainers_own_step_and_loss():
    """At one fixed rate, the finder's batches are the Trainer's first epoch: same network, order,
    step, loss and L2 penalty, so the same losses (the finder keeps no copy of them)."""
    from nnlab.training.train import Trainer

    config = RunConfig(dataset="circle", samples=600, hidden=(16,), optimizer="adam", learning_rate=0.01,
                       l2=1e-3, epochs=1, seed=4)
    data = load_dataset(config)
    batch = next(b for b in range(40, 0, -1) if data.n_train % b == 0)
    config = RunConfig(**{**config.to_dict(), "batch_size": batch})
    batches = data.n_train // batch
    found = find_learning_rate(config, data, steps=batches, start=config.learning_rate, end=config.learning_rate)
    trainer = Trainer(config, data)
    row = trainer.run_epoch()
    assert len(found.losses) == batches
    assert np.mean(found.losses) == pytest.approx(row["loss"], rel=1e-4)
