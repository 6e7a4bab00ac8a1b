import dataclasses
import math
import re

import pytest

from nnlab.core.deployment import Deployment
from nnlab.training import budget
from nnlab.training.architecture import count_params, layer_specs
from nnlab.config.run_config import COURSE_EXERCISE, RunConfig
from nnlab.core.errors import UserError
from nnlab.lessons.presets import PRESETS

MNIST_TRAIN = 54_000  # MNIST's 60,000 training images less the 10 % validation split


def mnist_params(config: RunConfig) -> int:
    return count_params(layer_specs(config, 784, 10, "classification"))


def refusal(config: RunConfig, n_train: int, params: int, limit: float | None = None, **sizes) -> str:
    with pytest.raises(UserError) as error:
        budget.check(config, n_train, params, limit=limit, **sizes)
    return str(error.value)


def test_cost_counts_examples_through_parameters_and_steps():
    assert mnist_params(COURSE_EXERCISE) == 16_750
    training = budget.epoch_parts(COURSE_EXERCISE, MNIST_TRAIN, 16_750)["training"]
    assert training == 54_000 * 16_750 + 540 * budget.STEP_UNITS
    one_at_a_time = dataclasses.replace(COURSE_EXERCISE, batch_size=1)
    assert budget.epoch_parts(one_at_a_time, MNIST_TRAIN, 16_750)["training"] == 54_000 * (16_750 + budget.STEP_UNITS)
    assert 10 * training < budget.cost(COURSE_EXERCISE, MNIST_TRAIN, 16_750) < 10.1 * training  # + the statistics
    assert budget.steps_per_epoch(RunConfig(dataset="iris", batch_size=500), 120) == 1  # a batch bigger than the data


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_every_lesson_fits_the_default_budget(key, deployment):
    deployment(max_compute=Deployment().max_compute)  # the default budget
    config = PRESETS[key].config
    if config.dataset == "mnist":
        budget.check(config, config.train_size or MNIST_TRAIN, mnist_params(config))
    else:  # the spiral: 500 points, 2 inputs, 2 classes
        budget.check(config, 500, count_params(layer_specs(config, 2, 2, "classification")))


def test_keras_reference_mnist_network_fits_the_default_budget(deployment):
    deployment(max_compute=Deployment().max_compute)  # the default budget
    mnist_mlp = RunConfig(hidden=(512, 512), dropout=0.2, optimizer="rmsprop", batch_size=128, epochs=20)
    budget.check(mnist_mlp, MNIST_TRAIN, mnist_params(mnist_mlp))


def test_a_huge_run_is_refused_saying_what_to_reduce(deployment):
    deployment(max_compute=Deployment().max_compute)  # the default budget
    huge = RunConfig(hidden=(2048,) * 10, batch_size=1, epochs=1000)
    params = mnist_params(huge)
    message = refusal(huge, MNIST_TRAIN, params)
    assert message.startswith(f"This run needs 2.2 × 10¹⁵ units of compute (1,000 epochs × (training 2.2 × 10¹² + "
                              f"layer statistics 2.1 × 10¹⁰ + snapshots 3.9 × 10⁷); training is 54,000 examples × "
                              f"{params:,} parameters + 54,000 batch steps × 10⁶ each); "
                              f"this server allows 10¹² per run. Use ")
    # Even a network of no parameters would be over, at batch 1 for 1000 epochs; and each epoch's layer
    # statistics alone (every weight sorted) are over for 1000 epochs of this network: only fewer epochs help.
    assert message.endswith("Use fewer epochs (even one is too many at these settings).")


def test_validation_and_test_passes_count(deployment):
    """Issue 20: 2048×10 layers on 10 examples for 1000 epochs with half of MNIST to validate on passed
    (3.9 × 10¹¹ counted) while it needed days: the validation passes were not counted."""
    deployment(max_compute=Deployment().max_compute)  # the default budget
    hog = RunConfig(hidden=(2048,) * 10, train_size=10, epochs=1000, validation_fraction=0.5)
    params = mnist_params(hog)
    message = refusal(hog, 10, params, n_val=30_000, n_test=10_000)
    assert "validation 3.9 × 10¹¹" in message and "testing 2.6 × 10¹¹ once" in message
    assert "a smaller validation_fraction (each epoch checks 30,000 validation examples" in message
    parts = budget.epoch_parts(hog, 10, params, n_val=30_000)
    assert parts["validation"] > 100 * parts["training"]
    assert budget.cost(hog, 10, params, 30_000, 10_000) > budget.cost(hog, 10, params, 3_000, 10_000) \
        > budget.cost(hog, 10, params, 3_000)


def test_small_batches_for_many_epochs_are_refused_even_on_a_small_network(deployment):
    deployment(max_compute=Deployment().max_compute)  # the default budget
    endless = dataclasses.replace(COURSE_EXERCISE, batch_size=1, epochs=1000)
    assert "bigger batches (at least" in refusal(endless, MNIST_TRAIN, mnist_params(endless))
    budget.check(dataclasses.replace(endless, epochs=10), MNIST_TRAIN, mnist_params(endless))


# Over-budget runs: each cut the message suggests must fit, and going one further than it must not.
OVER = [
    (RunConfig(hidden=(128,), epochs=300), MNIST_TRAIN, 1e12),
    (RunConfig(hidden=(20, 20, 20), batch_size=1, epochs=1000), MNIST_TRAIN, 1e12),
    (RunConfig(hidden=(512, 512), batch_size=8, epochs=60), MNIST_TRAIN, 2e12),
    (RunConfig(dataset="digits", hidden=(64,), batch_size=2, epochs=500), 1293, 1e10),
]


@pytest.mark.parametrize("config, n_train, limit", OVER)
def test_each_suggested_cut_is_just_enough(config, n_train, limit):
    params = mnist_params(config) if config.dataset == "mnist" else count_params(layer_specs(config, 64, 10, "classification"))
    message = refusal(config, n_train, params, limit)
    suggested = {name: int(value.replace(",", "")) for name, value in re.findall(
        r"(epochs|batches|parameters|train_size) \(?at (?:most|least) ([\d,]+)", message)}
    suggested |= {"parameters": int(n.replace(",", "")) for n in re.findall(r"at most ([\d,]+) parameters", message)}
    assert suggested, message

    def fits(config=config, n_train=n_train, params=params) -> bool:
        return budget.cost(config, n_train, params) <= limit

    if "epochs" in suggested:
        assert fits(dataclasses.replace(config, epochs=suggested["epochs"]))
        assert not fits(dataclasses.replace(config, epochs=suggested["epochs"] + 1))
    if "batches" in suggested:
        assert fits(dataclasses.replace(config, batch_size=suggested["batches"]))
        assert not fits(dataclasses.replace(config, batch_size=suggested["batches"] - 1))
    if "parameters" in suggested:
        assert fits(params=suggested["parameters"]) and not fits(params=suggested["parameters"] + 1)
    if "train_size" in suggested:
        assert fits(n_train=suggested["train_size"])


def test_a_race_or_sweep_shares_one_budget():
    runs = [(RunConfig(hidden=(128,), epochs=e), MNIST_TRAIN, 101_770) for e in (60, 60, 60)]
    one = budget.cost(*runs[0])
    budget.check_together(runs[:2], limit=2 * one)
    with pytest.raises(UserError, match=r"^These 3 runs need 1.3 × 10¹² units of compute together; this server "
                                         r"allows 8.7 × 10¹¹ for one training, .* need 1.5 times less\.$"):
        budget.check_together(runs, limit=2 * one)
    with pytest.raises(UserError, match=r"^This run needs"):  # a run too big alone says what to cut in it
        budget.check_together([*runs[:1], (RunConfig(hidden=(128,), epochs=1000), MNIST_TRAIN, 101_770)], limit=2 * one)


@pytest.mark.parametrize("text, limit", [("2e13", 2e13), (" 5000 ", 5000.0), ("0", math.inf), ("", 1e12)])
def test_the_deployer_sets_the_limit(text, limit, deployment):
    deployment(max_compute=Deployment.from_environment({"NNLAB_MAX_COMPUTE": text}).max_compute)
    assert budget.max_compute() == limit


def test_no_limit_lets_anything_run(deployment):
    deployment(max_compute=0)
    budget.check(RunConfig(hidden=(2048,) * 10, batch_size=1, epochs=1000), MNIST_TRAIN, 10**8)


@pytest.mark.parametrize("text", ["lots", "-1", "nan"])
def test_a_bad_limit_is_named(text):
    with pytest.raises(ValueError, match="NNLAB_MAX_COMPUTE must be a number"):
        Deployment.from_environment({"NNLAB_MAX_COMPUTE": text})


@pytest.mark.parametrize("value, text", [(3.14e14, "3.1 × 10¹⁴"), (2e13, "2 × 10¹³"), (9.96e11, "10¹²"),
                                         (5.0, "5"), (1.5e-3, "1.5 × 10⁻³")])
def test_scientific_notation(value, text):
    assert budget.scientific(value) == text
