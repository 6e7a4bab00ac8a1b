"""One-click starting points: each shows one lesson of the lecture (a run on Train, or a race)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nnlab.config.run_config import COURSE_EXERCISE, RunConfig


@dataclass(frozen=True)
class Range:
    """A figure's range as a card states it, e.g. "86–91 %"; the seeds' test checks the same bounds."""
    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        if self.low <= 0:
            return f"under {self.high * 100:g} %"
        if self.high >= 1:
            return f"over {self.low * 100:g} %"
        return f"{self.low * 100:g}–{self.high * 100:g} %"


@dataclass(frozen=True)
class Promise:
    """What a lesson's card promises a run will show, on any seed and any x86-64 CPU: tests/test_lessons.py
    (and test_race_lessons.py) trains each lesson with several seeds and checks every bound given here (None: not promised).
    The same seed trains differently on Intel and AMD (oneDNN picks other kernels), so a card states
    the range several seeds give, never one run's figure."""
    verdicts: frozenset[str] = frozenset()  # the verdict is one of these (empty: any)
    test_accuracy: Range | None = None
    first_val_accuracy: Range | None = None  # validation accuracy after the first epoch
    last_val_accuracy: Range | None = None  # … and after the last
    vanishing_ratio: Range | None = None  # the first hidden layer's gradient norm over the output layer's


@dataclass(frozen=True)
class Preset:
    key: str  # in links: /Train?preset=<key>
    title: str
    description: str
    config: RunConfig
    look_for: str  # what the student should see; "{promise.test_accuracy}" and the like are filled in
    promise: Promise = Promise()
    seeds: int = 1  # trained with this many seeds at once (Train's "Repeat with N seeds"), its promise holding on each

    def __post_init__(self):
        object.__setattr__(self, "look_for", self.look_for.format(promise=self.promise))


# Eight sigmoid layers: each passes back at most a quarter of the gradient (the Activations page).
# 40 epochs, not 20: at 20 the ReLU twin ended below 85 % test accuracy on 4 seeds of 15 (71–86 %: some
# seeds start slowly) and on one Intel CPU with seed 0; at 40 all of 12 seeds passed 91 %.
_DEEP_SIGMOID = RunConfig(dataset="digits", hidden=(32,) * 8, activation="sigmoid", loss="cross_entropy",
                          optimizer="sgd", learning_rate=0.1, batch_size=32, epochs=40)

# TensorFlow Playground's defaults: the circle, x₁ and x₂, 4-2 tanh, plain gradient descent at 0.03, batch 10,
# no noise, half the points for training (here half for the test, and a tenth of the rest for validation).
PLAYGROUND = RunConfig(dataset="circle", samples=500, noise=0.0, test_fraction=0.5, features=("x1", "x2"),
                       hidden=(4, 2), activation="tanh", optimizer="sgd", learning_rate=0.03, batch_size=10,
                       epochs=100)  # 89–100 % on seeds 0–2; the circle takes Playground's net ≈100 epochs too

PRESETS = {p.key: p for p in [
    Preset("course", "The course exercise",
           "The course notebook's network: 784 pixels → three hidden layers of 20 ReLU → softmax, "
           "mean squared error, SGD with learning rate 0.087, batch 100, 10 epochs.",
           COURSE_EXERCISE,
           "{promise.test_accuracy} test accuracy and curves still falling at epoch 10: your starting point to improve.",
           Promise(verdicts=frozenset({"still_improving", "underfitting"}), test_accuracy=Range(0.86, 0.91))),
    Preset("stronger", "A stronger start",
           "One hidden layer of 128 ReLU, cross-entropy and Adam: the usual modern recipe.",
           RunConfig(dataset="mnist", hidden=(128,), loss="cross_entropy", optimizer="adam",
                     learning_rate=0.001, batch_size=32, epochs=5),
           "{promise.test_accuracy} test accuracy in five epochs: compare it with the course exercise.",
           Promise(verdicts=frozenset({"good_fit", "still_improving", "overfitting"}), test_accuracy=Range(0.96, 1))),
    Preset("overfitting", "See overfitting",
           "A big network (two layers of 256) trained on only 500 MNIST images, no dropout.",
           RunConfig(dataset="mnist", train_size=500, hidden=(256, 256), optimizer="adam",
                     learning_rate=0.001, batch_size=32, epochs=20),  # lowest validation loss at epoch 5–9 (seeds 1–6)
           "Training loss falls towards 0 while validation loss turns upwards after a few epochs.",
           Promise(verdicts=frozenset({"overfitting"}))),
    Preset("underfitting", "See underfitting",
           "The spiral with no hidden layer: a straight line cannot separate two spirals.",
           RunConfig(dataset="spiral", hidden=(), optimizer="adam", learning_rate=0.03, batch_size=10, epochs=40),
           "Both curves stay flat and high, accuracy near a coin toss ({promise.test_accuracy}): add hidden layers "
           "to fix it.",
           Promise(verdicts=frozenset({"underfitting"}), test_accuracy=Range(0.4, 0.75))),
    Preset("lr_too_high", "Learning rate too high",
           "The stronger start, but plain SGD with learning rate 10.",
           RunConfig(dataset="mnist", hidden=(128,), loss="cross_entropy", optimizer="sgd",
                     learning_rate=10.0, batch_size=32, epochs=3),  # it has diverged by epoch 2
           "The loss jumps up and accuracy stays at chance ({promise.test_accuracy}, where guessing one of ten digits "
           "gives 10 %): the steps overshoot every minimum.",
           Promise(verdicts=frozenset({"diverged"}), test_accuracy=Range(0, 0.2))),
    Preset("vanishing", "8 layers of sigmoid: the gradient vanishes",
           "The 8×8 digits through eight hidden layers of 32 sigmoid neurons, plain SGD.",
           _DEEP_SIGMOID,
           "Accuracy stays near chance ({promise.test_accuracy}). Open *Inside the network → Weights & gradients*: "
           "the first layer's gradient is thousands of times smaller than the output layer's, so the first layers "
           "hardly learn.",
           Promise(test_accuracy=Range(0, 0.2), vanishing_ratio=Range(0, 1e-3))),
    Preset("vanishing_relu", "The same 8 layers with ReLU",
           "The vanishing-gradient lesson's network with ReLU instead of sigmoid.",
           dataclasses.replace(_DEEP_SIGMOID, activation="relu"),
           "It learns ({promise.test_accuracy} test accuracy after 40 epochs), and every layer's gradient norm stays "
           "within a factor of ten of the others: ReLU passes the gradient back unchanged where it is active.",
           Promise(test_accuracy=Range(0.9, 1), vanishing_ratio=Range(0.1, 10))),
    Preset("playground", "TensorFlow Playground's start",
           "Playground's defaults: the circle, inputs x₁ and x₂, hidden layers of 4 and 2 tanh neurons, gradient "
           "descent at learning rate 0.03, batch 10, no noise, half the points for training.",
           PLAYGROUND,
           "{promise.test_accuracy} test accuracy. Open *Inside the network → Neuron maps*: the first layer's four "
           "neurons each cut the plane with a straight edge, the next layers bend them into the disc. Then try the "
           "lessons on input features and on the spiral.",
           Promise(test_accuracy=Range(0.8, 1))),
    # 200 digits, a small network, plain SGD: five seeds spread over ≈8 points (78–86 % on one machine) and
    # their verdicts differ (still improving, underfitting, overfitting) — what one run alone cannot show.
    Preset("five_seeds", "Same settings, five seeds",
           "One setting trained five times, seeds 0–4: 200 of the 8×8 digits, 16 ReLU neurons, SGD at 0.1, "
           "15 epochs. How big is chance, before you trust a difference?",
           RunConfig(dataset="digits", train_size=200, hidden=(16,), loss="cross_entropy", optimizer="sgd",
                     learning_rate=0.1, batch_size=16, epochs=15),
           "Each seed lands somewhere in {promise.test_accuracy} test accuracy, points apart, and their verdicts may "
           "differ. The tiles give the mean ± spread: a difference between two settings smaller than about twice "
           "that spread is chance, not a finding.",
           Promise(test_accuracy=Range(0.65, 0.95)), seeds=5),
]}


@dataclass(frozen=True)
class RaceLesson:
    key: str  # in links: /Race?lesson=<key>
    title: str
    description: str
    configs: tuple[RunConfig, ...]  # 2–4, raced side by side
    look_for: str  # "{promises[0].first_val_accuracy}" and the like are filled in
    promises: tuple[Promise, ...] = ()  # one per configuration, in the same order

    def __post_init__(self):
        object.__setattr__(self, "look_for", self.look_for.format(promises=self.promises))


_RACE_NETWORK = RunConfig(dataset="mnist", train_size=10_000, hidden=(128,), loss="cross_entropy", batch_size=32,
                          epochs=8)
RACES = {r.key: r for r in [
    RaceLesson("optimizers", "Race the optimizers",
               "One network (784 → 128 ReLU → 10) on 10,000 MNIST images, four optimizers: SGD and SGD with "
               "momentum at learning rate 0.01, Adam at its usual 0.001, Lion at 0.0001.",
               tuple(dataclasses.replace(_RACE_NETWORK, optimizer=name, learning_rate=rate) for name, rate in
                     (("sgd", 0.01), ("sgd_momentum", 0.01), ("adam", 0.001), ("lion", 1e-4))),
               "Plain SGD crawls ({promises[0].first_val_accuracy} validation accuracy after one epoch, "
               "{promises[0].last_val_accuracy} after eight); momentum, at the same learning rate, already scores "
               "{promises[1].first_val_accuracy} after its first epoch; Adam and Lion, each at its own smaller rate, "
               "end ahead, {promises[2].last_val_accuracy}.",
               (Promise(first_val_accuracy=Range(0.77, 0.85), last_val_accuracy=Range(0.88, 0.93)),
                Promise(first_val_accuracy=Range(0.86, 1)),
                Promise(last_val_accuracy=Range(0.935, 1)),
                Promise(last_val_accuracy=Range(0.935, 1)))),
    # No hidden layer on the circle: 47–60 % from x₁, x₂; 100 % from x₁², x₂² (seeds 0–2, 20 epochs).
    RaceLesson("features", "Features instead of layers",
               "Playground's circle with no hidden layer at all, twice: once given x₁ and x₂, once x₁² and x₂² "
               "(tanh, gradient descent at 0.03, batch 10, 20 epochs).",
               tuple(dataclasses.replace(PLAYGROUND, hidden=(), epochs=20, features=inputs)
                     for inputs in (("x1", "x2"), ("x1_squared", "x2_squared"))),
               "From x₁ and x₂ a network without hidden layers draws one straight line: {promises[0].test_accuracy} "
               "test accuracy. Given x₁² and x₂² the very same network scores {promises[1].test_accuracy}: the circle "
               "is x₁² + x₂² < r², a straight cut in those inputs. The right features can replace layers.",
               (Promise(test_accuracy=Range(0, 0.75)), Promise(test_accuracy=Range(0.95, 1)))),
    # ReLU, Adam at 0.01, 200 epochs: one layer of 8 58–64 % (seeds 0–2); three layers of 8 90–99.6 % (seeds 0–3).
    RaceLesson("spiral_depth", "The spiral needs depth",
               "Playground's spiral from x₁ and x₂ alone: one hidden layer of 8 ReLU neurons against three layers of "
               "8 (Adam at 0.01, batch 10, 200 epochs).",
               tuple(dataclasses.replace(PLAYGROUND, dataset="spiral", hidden=hidden, activation="relu",
                                         optimizer="adam", learning_rate=0.01, epochs=200)
                     for hidden in ((8,), (8, 8, 8))),
               "One layer of 8 stays at {promises[0].test_accuracy} test accuracy: eight straight cuts cannot wind "
               "around the arms. Three layers of 8 reach {promises[1].test_accuracy}: each layer folds what the one "
               "before drew. Open Train with x₁², x₂², sin x₁, sin x₂ as inputs to see features do part of it.",
               (Promise(test_accuracy=Range(0, 0.75)), Promise(test_accuracy=Range(0.85, 1)))),
]}
