"""The compute budget of one run, so one visitor cannot take the server for hours.

A run's cost is counted in **units of compute: one training example passing once, forward and
back, through one parameter**. Each unit is about three multiply-adds (one in the forward pass,
two in the backward pass: the weight's gradient and the gradient passed on to its input), about
six floating-point operations. A run costs epochs × (training examples × parameters + mini-batch
steps × STEP_UNITS): each step also has a fixed cost (the compiled step's launch, the optimizer's
bookkeeping) that dwarfs the arithmetic of small networks at small batches.

The deployer sets the limit per training with NNLAB_MAX_COMPUTE (e.g. "2e12"; "0" = no limit); a
race or sweep is one training on one slot, so its runs share that limit.
"""
from __future__ import annotations

import math

from nnlab import environment
from nnlab.errors import UserError

# Measured on this 2-core machine while others were busy (second epoch, MNIST's 54,000 images):
# 784-512-512-10 at batch 128 ≈ 0.29 ns a unit, 784-128-10 at batch 32 ≈ 0.31 ns, the course
# exercise (784-20-20-20-10, batch 100) ≈ 0.9 ns; its network at batch 1 ≈ 0.46 ms a step, i.e. a
# step's fixed cost is ≈ 1.5 × 10⁶ units of big-layer arithmetic (≈100 µs, 10⁶, on a quiet machine).
STEP_UNITS = 1_000_000
# 10¹² units ≈ 5 minutes of one core here. The lessons need at most 3.6 × 10¹⁰ (784-128-10, 5 epochs
# at batch 32 on all of MNIST; the course exercise 1.4 × 10¹⁰); Keras' mnist_mlp reference
# (784-512-512-10, batch 128, 20 epochs, ≈98.4 %) needs 7.3 × 10¹¹ and is allowed. Refused:
# 784-2048×10 layers at batch 1 for 1000 epochs on all of MNIST (2.2 × 10¹⁵), and the course
# network at batch 1 for 1000 epochs (5.5 × 10¹³, ≈7 hours).
DEFAULT_MAX_COMPUTE = 1e12


def max_compute() -> float:
    """The limit per run from NNLAB_MAX_COMPUTE; infinity when it is 0 (no limit)."""
    limit = environment.number("NNLAB_MAX_COMPUTE", DEFAULT_MAX_COMPUTE,
                               what="a number of units of compute like 2e12 (0 = no limit)")
    return limit or math.inf


def steps_per_epoch(config, n_train: int) -> int:
    return math.ceil(n_train / min(config.batch_size, n_train))


def cost(config, n_train: int, params: int) -> int:
    """Epochs × (training examples × parameters + steps × STEP_UNITS); see the module's note."""
    return config.epochs * (n_train * params + steps_per_epoch(config, n_train) * STEP_UNITS)


def check(config, n_train: int, params: int, limit: float | None = None) -> None:
    """A UserError if the run costs more than the limit, saying how far to cut each factor."""
    limit = max_compute() if limit is None else limit
    needed = cost(config, n_train, params)
    if needed <= limit:
        return
    steps = steps_per_epoch(config, n_train)
    per_epoch_allowed = limit / config.epochs
    epochs = int(limit // (n_train * params + steps * STEP_UNITS))
    cuts = [f"fewer epochs (at most {epochs:,} at these settings)" if epochs >= 1
            else "fewer epochs (even one is too many at these settings)"]
    room_for_steps = per_epoch_allowed - n_train * params
    if steps * STEP_UNITS > n_train * params and room_for_steps >= STEP_UNITS:
        cuts.append(f"bigger batches (at least {math.ceil(n_train / (room_for_steps // STEP_UNITS)):,} "
                    f"examples, now {config.batch_size:,})")
    most_params = (per_epoch_allowed - steps * STEP_UNITS) // n_train
    if most_params >= 1:
        cuts.append(f"fewer or narrower hidden layers (at most {int(most_params):,} parameters, now {params:,})")
    # Each example costs its parameters and its share of a step, plus one step for a last, partial batch.
    most_examples = int((per_epoch_allowed - STEP_UNITS) // (params + STEP_UNITS / min(config.batch_size, n_train)))
    if most_examples >= 1:
        cuts.append(f"fewer training examples (train_size at most {most_examples:,}, now {n_train:,})")
    raise UserError(
        f"This run needs {scientific(needed)} units of compute ({config.epochs:,} epochs × ({n_train:,} examples × "
        f"{params:,} parameters + {steps:,} batch steps × {scientific(STEP_UNITS)} each)); this server allows "
        f"{scientific(limit)} per run. Use {_one_of(cuts)}.")


def check_together(runs: list[tuple], limit: float | None = None) -> None:
    """A race or sweep trains on one slot as one request, so its runs share one run's budget.
    `runs` holds (config, n_train, params) for each; each is checked alone first (its message says
    what to cut), then their sum."""
    limit = max_compute() if limit is None else limit
    for run in runs:
        check(*run, limit=limit)
    total = sum(cost(*run) for run in runs)
    if total > limit:
        raise UserError(
            f"These {len(runs)} runs need {scientific(total)} units of compute together; this server allows "
            f"{scientific(limit)} for one training, and a race or sweep counts as one. Use fewer runs, or cut each "
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
