"""The learning-rate finder: Leslie Smith's range test, as fastai's `lr_find` runs it.

On a copy of the configured network, train one mini-batch at a time while the learning rate rises
exponentially from START to END over a few hundred batches; record the loss, smoothed as fastai's
Recorder smooths it (an exponential moving average, β = 0.98, bias-corrected), and stop once the
smoothed loss exceeds 4× its lowest value (it has exploded). The suggestion is fastai's `steep`
rule: the rate where the smoothed loss falls fastest against log(rate), looked for between the
first tenth of the planned batches and the last five recorded, and (unlike fastai) only up to the
lowest loss: a bounded loss (cross-entropy on two classes) may never reach 4× its lowest, and the
bounces after the lowest point then looked steepest (5.2 on the circle set, where the loss bottoms
out near 0.5). fastai's `minimum` rule (the rate of the lowest loss, divided by 10) is given beside it.
Both rules always name a rate, even on a flat curve: on the course network (mean squared error, SGD)
the loss wandered between 0.089 and 0.091 and the steepest wiggle said 5.2. So a suggestion counts
only where the curve shows a valley: the smoothed loss must fall by CLEAR_FALL of its starting value
before its lowest point; otherwise the result says the curve is too flat to read (`clear` is False).

The finder trains: on a shared server it waits for a training slot like a run and counts against
the compute budget (nnlab/lr_finder_job.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnlab.training import budget
from nnlab.training.architecture import count_params, layer_specs
from nnlab.core.errors import UserError

START, END = 1e-7, 10.0  # the range of rates tried, fastai's defaults
STEPS = 200  # mini-batches, one per rate (fastai: 100)
SMOOTHING = 0.98  # β of the loss's moving average
EXPLODED = 4.0  # stop once the smoothed loss is this many times its lowest
SKIP_END = 5  # the last recorded points, where the loss takes off, are not looked at
CLEAR_FALL = 0.1  # a valley: the smoothed loss falls at least this share below where the window starts


@dataclass
class FinderResult:
    learning_rates: list[float]  # one per mini-batch trained, rising
    losses: list[float]  # the loss of each mini-batch
    smoothed: list[float]  # their moving average: the curve to read
    suggested: float  # steepest descent of the smoothed loss (fastai's `steep`)
    minimum_tenth: float  # the rate of the lowest smoothed loss / 10 (fastai's `minimum`)
    message: str  # how the test ended
    fall: float = 1.0  # how far the smoothed loss fell before its lowest point, as a share of its start

    @property
    def clear(self) -> bool:
        """The curve shows a valley, so its suggestion means something."""
        return self.fall >= CLEAR_FALL

    def flat_text(self) -> str:
        """Why there is no suggestion, when the curve shows no valley."""
        finite = [v for v in self.smoothed if math.isfinite(v)]
        spread = f" (between {min(finite):.3g} and {max(finite):.3g})" if finite else ""
        return (f"No clear valley: the smoothed loss fell only {max(self.fall, 0.0):.0%} over the whole range{spread}, "
                f"so no rate stands out and the steepest wiggle ({self.suggested:.2g}) would be noise. At none of "
                f"these rates does this network learn much in {len(self.losses)} batches: change what holds it back "
                f"first (cross-entropy rather than mean squared error, Adam rather than SGD, a smaller batch), then "
                f"find a rate again.")

    def curve(self) -> list[dict]:
        return [{"learning_rate": rate, "loss": loss, "smoothed": smooth}
                for rate, loss, smooth in zip(self.learning_rates, self.losses, self.smoothed)]

    def to_dict(self) -> dict:
        from nnlab.core.jsonsafe import json_safe

        return json_safe({"suggested": self.suggested if self.clear else None, "steepest": self.suggested,
                          "minimum_tenth": self.minimum_tenth, "rule": "steepest descent", "clear_valley": self.clear,
                          "fall": self.fall, "message": self.message, "curve": self.curve()})

    @classmethod
    def from_dict(cls, told: dict) -> FinderResult:
        """The result `to_dict` told (a worker's, issue 25): its curve's nulls are the NaN it could not tell."""
        def number(value) -> float:
            return math.nan if value is None else float(value)

        curve = told["curve"]
        return cls([number(p["learning_rate"]) for p in curve], [number(p["loss"]) for p in curve],
                   [number(p["smoothed"]) for p in curve], number(told["steepest"]), number(told["minimum_tenth"]),
                   told["message"], number(told["fall"]))


def cost(config, dataset, steps: int = STEPS) -> int:
    """Units of compute (nnlab/budget.py) the test needs: `steps` mini-batches of the network."""
    params = count_params(layer_specs(config, dataset.n_features, dataset.n_outputs, dataset.task))
    batch = min(config.batch_size, dataset.n_train)
    return steps * (batch * params + budget.STEP_UNITS)


def check_budget(config, dataset, steps: int = STEPS, limit: float | None = None) -> None:
    """A UserError if the test costs more than one run may on this server."""
    limit = budget.max_compute() if limit is None else limit
    needed = cost(config, dataset, steps)
    if needed > limit:
        raise UserError(
            f"The learning-rate finder needs {budget.scientific(needed)} units of compute for this network ({steps} "
            f"batches of {min(config.batch_size, dataset.n_train):,}); this server allows "
            f"{budget.scientific(limit)} per training. Use fewer or narrower hidden layers or a smaller batch size.")


def rates(steps: int = STEPS, start: float = START, end: float = END) -> np.ndarray:
    """The exponentially rising rates, one per mini-batch."""
    return start * (end / start) ** (np.arange(steps) / max(1, steps - 1))


def suggest(learning_rates, smoothed, planned_steps: int = STEPS) -> tuple[float, float]:
    """(steepest descent, lowest loss / 10) of a recorded curve, as fastai's `steep` and `minimum`."""
    lr, loss = np.asarray(learning_rates, float), np.asarray(smoothed, float)
    window = slice(planned_steps // 10, len(lr) - SKIP_END)
    if len(lr[window]) >= 3:
        lr, loss = lr[window], loss[window]
    finite = np.isfinite(loss)
    lr, loss = lr[finite], loss[finite]
    if len(lr) < 2:
        raise UserError("The learning-rate finder recorded too few batches to suggest a rate: the loss exploded at "
                        "once. Check the data and the network (a very deep network, or a CSV file with huge values).")
    lowest = int(np.argmin(loss))
    falling = slice(0, lowest + 1) if lowest >= 1 else slice(None)  # past the lowest loss it only bounces and climbs
    slopes = np.diff(loss[falling]) / np.diff(np.log(lr[falling]))
    return float(lr[falling][int(np.argmin(slopes))]), float(lr[lowest] / 10)


def fall(smoothed, planned_steps: int = STEPS) -> float:
    """How far the smoothed loss falls from the start of the window `suggest` reads to its lowest
    point, as a share of the start (0 when it never falls; 1 when it falls to nothing)."""
    loss = np.asarray(smoothed, float)
    window = loss[planned_steps // 10:len(loss) - SKIP_END]
    if len(window) < 3:
        window = loss
    window = window[np.isfinite(window)]
    if len(window) < 2 or window[0] <= 0:
        return 0.0
    return float((window[0] - window.min()) / window[0])


def find_learning_rate(config, dataset, *, model=None, steps: int = STEPS, start: float = START, end: float = END,
                       stop=None, on_step=None) -> FinderResult:
    """Run the range test on a copy of `model` (or of a fresh network built from `config`), with
    `config`'s optimizer, loss and batch size. `stop` (a threading.Event) ends it after the batch
    in flight; `on_step(done, steps)` reports progress. `model` itself is left as it was."""
    from nnlab.training.dataset_tensors import DATASET_TENSORS
    from nnlab.training.model import build_model
    from nnlab.core.tf_runtime import (custom_gradient_names, forget_gradient_functions, keras, seed_python_and_numpy,
                                       tf)
    from nnlab.training.training_step import TrainingStep

    seed_python_and_numpy(config.seed)
    if model is None:
        network = build_model(config, dataset)
    else:
        network = keras.models.clone_model(model)
        network.set_weights(model.get_weights())
    training = TrainingStep(network, config, dataset.task)  # the Trainer's step: optimizer, loss, penalties
    optimizer = training.optimizer
    x, y = DATASET_TENSORS.training(dataset, training.encoding)

    def train_batch(x, y, index):
        return training.apply(tf.gather(x, index), tf.gather(y, index))[0]

    # The data are arguments, never captured constants (see training/train.py on memory).
    signature = [tf.TensorSpec((None, *x.shape[1:]), tf.float32), tf.TensorSpec((None, *y.shape[1:]), y.dtype),
                 tf.TensorSpec((None,), tf.int32)]
    step = tf.function(train_batch, autograph=False, input_signature=signature)
    gradient_functions = custom_gradient_names(step.get_concrete_function())
    rng = np.random.default_rng(config.seed)
    batch = min(config.batch_size, dataset.n_train)
    order, position = dataset.train_index[rng.permutation(dataset.n_train)], 0
    tried, losses, smoothed = [], [], []
    average, best, message = 0.0, math.inf, f"Tried all {steps} learning rates."
    try:
        for i, rate in enumerate(rates(steps, start, end)):
            if stop is not None and stop.is_set():
                message = f"Stopped after {i} of {steps} learning rates."
                break
            if position + batch > len(order):  # a new pass over the data, freshly shuffled
                order, position = dataset.train_index[rng.permutation(dataset.n_train)], 0
            index = tf.constant(order[position:position + batch].astype(np.int32))
            position += batch
            optimizer.learning_rate = rate
            loss = float(step(x, y, index))
            average = SMOOTHING * average + (1 - SMOOTHING) * loss
            smooth = average / (1 - SMOOTHING ** (i + 1))
            tried.append(float(rate))
            losses.append(loss)
            smoothed.append(smooth)
            if on_step is not None:
                on_step(i + 1, steps)
            if not math.isfinite(smooth) or smooth > EXPLODED * best:
                message = (f"The loss exploded at learning rate {rate:.3g} (batch {i + 1} of {steps}); "
                           f"the test stopped there.")
                break
            best = min(best, smooth)
    finally:
        forget_gradient_functions(gradient_functions)  # they would keep the traced graph alive for good
    suggested, minimum_tenth = suggest(tried, smoothed, steps)
    return FinderResult(tried, losses, smoothed, suggested, minimum_tenth, message, fall(smoothed, steps))
