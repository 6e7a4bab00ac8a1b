"""The compute budget of one run, so one visitor cannot take the server for hours.

A run's cost is counted in **units of compute: one training example passing once, forward and
back, through one parameter**. Each unit is about three multiply-adds (one in the forward pass,
two in the backward pass: the weight's gradient and the gradient passed on to its input), about
six floating-point operations; a forward pass alone (validation, test) is a third of a unit.
Every pass a run makes counts, as the epoch times the page's ETA is built from measure them:
each epoch's training (examples × parameters, plus steps × STEP_UNITS: each step also has a fixed
cost — the compiled step's launch, the optimizer's bookkeeping — that dwarfs the arithmetic of
small networks at small batches), its validation pass, its layer statistics (the gradient on a
fixed sample, every weight sorted for the percentiles) and the snapshots of the network the page
draws; then, once, the test pass and the predictions shown on the test set.

The deployer sets the limit per training with NNLAB_MAX_COMPUTE (e.g. "2e12"; "0" = no limit); a
race, a sweep or a group of seeds is one training on one slot, so its runs share that limit.
"""
from __future__ import annotations

import math

from nnlab.core import deployment
from nnlab.core.errors import UserError

# Measured on this 2-core machine while others were busy (second epoch, MNIST's 54,000 images):
# 784-512-512-10 at batch 128 ≈ 0.29 ns a unit, 784-128-10 at batch 32 ≈ 0.31 ns, the course
# exercise (784-20-20-20-10, batch 100) ≈ 0.9 ns; its network at batch 1 ≈ 0.46 ms a step, i.e. a
# step's fixed cost is ≈ 1.5 × 10⁶ units of big-layer arithmetic (≈100 µs, 10⁶, on a quiet machine).
STEP_UNITS = 1_000_000
# NNLAB_MAX_COMPUTE's default (nnlab/core/deployment.py), 10¹² units, is ≈ 5 minutes of one core
# here. The lessons need at most 3.6 × 10¹⁰ (784-128-10, 5 epochs at batch 32 on all of MNIST; the
# course exercise 1.4 × 10¹⁰); Keras' mnist_mlp reference
# (784-512-512-10, batch 128, 20 epochs, ≈98.4 %) needs 7.5 × 10¹¹ and is allowed. Refused:
# 784-2048×10 layers at batch 1 for 1000 epochs on all of MNIST (2.2 × 10¹⁵), the course network at
# batch 1 for 1000 epochs (5.5 × 10¹³, ≈7 hours), and 784-2048×10 on 10 examples for 1000 epochs
# with half of MNIST to validate on (3.9 × 10¹⁴, nearly all of it the validation passes).
STATS_EXAMPLES = 512  # nnlab.training.train.STATS_SAMPLE: the layer statistics' gradient is taken on these
EVAL_BATCH = 4096  # nnlab.training.dataset_tensors.EVAL_BATCH: examples per validation or test call
FORWARD = 1 / 3  # a forward pass is one multiply-add of the three a unit counts


def max_compute() -> float:
    """The limit per run from NNLAB_MAX_COMPUTE; infinity when it is 0 (no limit)."""
    return deployment.current().compute_limit


def steps_per_epoch(config, n_train: int) -> int:
    return math.ceil(n_train / min(config.batch_size, n_train))


def _forward(examples: int, params: int) -> float:
    """A forward pass over `examples` in evaluation batches."""
    return examples * params * FORWARD + math.ceil(examples / EVAL_BATCH) * STEP_UNITS


def epoch_parts(config, n_train: int, params: int, n_val: int = 0, snapshot_points: int = 0) -> dict[str, float]:
    """The units of each pass of one epoch, by name."""
    return {
        "training": n_train * params + steps_per_epoch(config, n_train) * STEP_UNITS,
        "validation": _forward(n_val, params) if n_val else 0.0,
        "layer statistics": min(STATS_EXAMPLES, n_train) * params + params * math.log2(max(params, 2)) + STEP_UNITS,
        "snapshots": _forward(snapshot_points, params) + params,  # the neuron maps' grid; the weights read
    }


def end_units(params: int, n_test: int = 0) -> float:
    """Once, at the end: the test figures and the predictions shown on the test set (two passes)."""
    return 2 * _forward(n_test, params) if n_test else 0.0


def cost(config, n_train: int, params: int, n_val: int = 0, n_test: int = 0, snapshot_points: int = 0) -> int:
    """Every pass of the run, in units (see the module's note)."""
    per_epoch = sum(epoch_parts(config, n_train, params, n_val, snapshot_points).values())
    return math.ceil(config.epochs * per_epoch + end_units(params, n_test))


def check(config, n_train: int, params: int, n_val: int = 0, n_test: int = 0, snapshot_points: int = 0, *,
          limit: float | None = None) -> None:
    """A UserError if the run costs more than the limit, saying which passes cost what and how far
    to cut each factor."""
    limit = max_compute() if limit is None else limit
    needed = cost(config, n_train, params, n_val, n_test, snapshot_points)
    if needed <= limit:
        return

    def fits(**changes) -> bool:
        values = dict(config=config, n_train=n_train, params=params, n_val=n_val, n_test=n_test,
                      snapshot_points=snapshot_points) | changes
        return cost(**values) <= limit

    parts = epoch_parts(config, n_train, params, n_val, snapshot_points)
    per_epoch, once = sum(parts.values()), end_units(params, n_test)
    epochs = int((limit - once) // per_epoch) if limit > once else 0
    cuts = [f"fewer epochs (at most {epochs:,} at these settings)" if epochs >= 1
            else "fewer epochs (even one is too many at these settings)"]
    if parts["training"] - n_train * params > n_train * params:  # the steps' fixed cost dominates
        batch = _least(lambda b: fits(config=_with(config, batch_size=b)), config.batch_size, n_train)
        if batch is not None:
            cuts.append(f"bigger batches (at least {batch:,} examples, now {config.batch_size:,})")
    most_params = _most(lambda p: fits(params=p), params)
    if most_params:
        cuts.append(f"fewer or narrower hidden layers (at most {most_params:,} parameters, now {params:,})")
    if parts["validation"] > parts["training"]:
        most_val = _most(lambda v: fits(n_val=v), n_val)
        cuts.append(f"a smaller validation_fraction (each epoch checks {n_val:,} validation examples"
                    + (f"; at most {most_val:,} fit)" if most_val else ")"))
    most_examples = _most(lambda n: fits(n_train=n), n_train)
    if most_examples:
        cuts.append(f"fewer training examples (train_size at most {most_examples:,}, now {n_train:,})")
    passes = " + ".join(f"{name} {scientific(units)}" for name, units in parts.items() if units)
    test = f" + testing {scientific(once)} once" if once else ""
    raise UserError(
        f"This run needs {scientific(needed)} units of compute ({config.epochs:,} epochs × ({passes}){test}; "
        f"training is {n_train:,} examples × {params:,} parameters + {steps_per_epoch(config, n_train):,} batch steps "
        f"× {scientific(STEP_UNITS)} each); this server allows {scientific(limit)} per run. Use {_one_of(cuts)}.")


def _with(config, **changes):
    import dataclasses

    return dataclasses.replace(config, **changes)


def _most(fits, now: int) -> int:
    """The largest value in [0, now) that fits (0 if none does): costs grow with every factor."""
    low, high = 0, now  # fits(low) is assumed, fits(high) is known false
    if not fits(1):
        return 0
    low = 1
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def _least(fits, now: int, most: int) -> int | None:
    """The smallest value in (now, most] that fits, or None."""
    if most <= now or not fits(most):
        return None
    low, high = now, most  # fits(low) false, fits(high) true
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if fits(middle) else (middle, high)
    return high


def check_together(runs: list[tuple], limit: float | None = None) -> None:
    """A race, a sweep or a group of seeds trains on one slot as one request, so its runs share one run's budget.
    `runs` holds (config, n_train, params[, n_val, n_test, snapshot_points]) for each; each is
    checked alone first (its message says what to cut), then their sum."""
    limit = max_compute() if limit is None else limit
    for run in runs:
        check(*run, limit=limit)
    total = sum(cost(*run) for run in runs)
    if total > limit:
        raise UserError(
            f"These {len(runs)} runs need {scientific(total)} units of compute together; this server allows "
            f"{scientific(limit)} for one training, and a race, a sweep or a group of seeds counts as one. Use fewer runs "
            f"(fewer seeds), or cut each "
            f"one's epochs, neurons or examples so that together they need {total / limit:.1f} times less.")


def scientific(value: float) -> str:
    """3.1 × 10¹⁴, 10¹²: two significant figures, as people write them."""
    exponent = math.floor(math.log10(value)) if value > 0 else 0
    mantissa = round(value / 10 ** exponent, 1)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    digits = f"{mantissa:g}"
    if exponent == 0:
        return digits
    power = f"10{str(exponent).translate(_SUPERSCRIPT)}"
    return power if digits == "1" else f"{digits} × {power}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _one_of(options: list[str]) -> str:
    if len(options) == 1:
        return options[0]
    return ", ".join(options[:-1]) + " or " + options[-1]
