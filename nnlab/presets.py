"""One-click starting points: each shows one lesson of the lecture (a run on Train, or a race)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nnlab.config import COURSE_EXERCISE, RunConfig


@dataclass(frozen=True)
class Preset:
    key: str  # in links: /Train?preset=<key>
    title: str
    description: str
    config: RunConfig
    look_for: str  # what the student should see


# Eight sigmoid layers: each passes back at most a quarter of the gradient (the Activations page).
_DEEP_SIGMOID = RunConfig(dataset="digits", hidden=(32,) * 8, activation="sigmoid", loss="cross_entropy",
                          optimizer="sgd", learning_rate=0.1, batch_size=32, epochs=20)

PRESETS = {p.key: p for p in [
    Preset("course", "The course exercise",
           "The course notebook's network: 784 pixels → three hidden layers of 20 ReLU → softmax, "
           "mean squared error, SGD with learning rate 0.087, batch 100, 10 epochs.",
           COURSE_EXERCISE,
           "≈88 % test accuracy and curves still falling at epoch 10: your starting point to improve."),
    Preset("stronger", "A stronger start",
           "One hidden layer of 128 ReLU, cross-entropy and Adam: the usual modern recipe.",
           RunConfig(dataset="mnist", hidden=(128,), loss="cross_entropy", optimizer="adam",
                     learning_rate=0.001, batch_size=32, epochs=5),
           "≈97–98 % test accuracy in five epochs: compare it with the course exercise."),
    Preset("overfitting", "See overfitting",
           "A big network (two layers of 256) trained on only 500 MNIST images, no dropout.",
           RunConfig(dataset="mnist", train_size=500, hidden=(256, 256), optimizer="adam",
                     learning_rate=0.001, batch_size=32, epochs=30),
           "Training loss falls towards 0 while validation loss turns upwards after a few epochs."),
    Preset("underfitting", "See underfitting",
           "The spiral with no hidden layer: a straight line cannot separate two spirals.",
           RunConfig(dataset="spiral", hidden=(), optimizer="adam", learning_rate=0.03, batch_size=10, epochs=40),
           "Both curves stay flat and high, accuracy near a coin toss: add hidden layers to fix it."),
    Preset("lr_too_high", "Learning rate too high",
           "The stronger start, but plain SGD with learning rate 10.",
           RunConfig(dataset="mnist", hidden=(128,), loss="cross_entropy", optimizer="sgd",
                     learning_rate=10.0, batch_size=32, epochs=5),
           "The loss jumps up and accuracy stays at chance (≈10 %): the steps overshoot every minimum."),
    Preset("vanishing", "8 layers of sigmoid: the gradient vanishes",
           "The 8×8 digits through eight hidden layers of 32 sigmoid neurons, plain SGD.",
           _DEEP_SIGMOID,
           "Accuracy stays near chance. Open *Inside the network → Weights & gradients*: the first layer's "
           "gradient sits about four orders of magnitude below the output layer's, so the first layers hardly learn."),
    Preset("vanishing_relu", "The same 8 layers with ReLU",
           "The vanishing-gradient lesson's network with ReLU instead of sigmoid.",
           dataclasses.replace(_DEEP_SIGMOID, activation="relu"),
           "It learns (≈94 % validation accuracy after 20 epochs), and every layer's gradient norm stays within a "
           "factor of a few of the others: ReLU passes the gradient back unchanged where it is active."),
]}


@dataclass(frozen=True)
class RaceLesson:
    key: str  # in links: /Race?lesson=<key>
    title: str
    description: str
    configs: tuple[RunConfig, ...]  # 2–4, raced side by side
    look_for: str


_RACE_NETWORK = RunConfig(dataset="mnist", train_size=10_000, hidden=(128,), loss="cross_entropy", batch_size=32,
                          epochs=8)
RACES = {r.key: r for r in [
    RaceLesson("optimizers", "Race the optimizers",
               "One network (784 → 128 ReLU → 10) on 10,000 MNIST images, four optimizers: SGD and SGD with "
               "momentum at learning rate 0.01, Adam at its usual 0.001, Lion at 0.0001.",
               tuple(dataclasses.replace(_RACE_NETWORK, optimizer=name, learning_rate=rate) for name, rate in
                     (("sgd", 0.01), ("sgd_momentum", 0.01), ("adam", 0.001), ("lion", 1e-4))),
               "Plain SGD crawls (≈81 % validation accuracy after one epoch, ≈91 % after eight); momentum, at the "
               "same learning rate, gets in one epoch where SGD gets in eight; Adam and Lion, each at its own "
               "smaller rate, end ahead at ≈95 %."),
]}
