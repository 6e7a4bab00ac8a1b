"""One-click starting points: each shows one lesson of the lecture."""
from __future__ import annotations

from dataclasses import dataclass

from nnlab.config import COURSE_EXERCISE, RunConfig


@dataclass(frozen=True)
class Preset:
    key: str  # in links: /Train?preset=<key>
    title: str
    description: str
    config: RunConfig
    look_for: str  # what the student should see


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
]}
