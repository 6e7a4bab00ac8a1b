"""Each optimizer of the settings table as its Keras class and options: one table, read both by the
Trainer (`training_step.make_optimizer` builds it) and by the export (`code` writes the same call
into the plain Keras script). No TensorFlow here: the export runs without it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KerasOptimizer:
    name: str  # the class in keras.optimizers
    options: tuple[tuple[str, float], ...] = ()  # keyword arguments beside the learning rate

    def kwargs(self, learning_rate) -> dict:
        return {"learning_rate": learning_rate, **dict(self.options)}

    def code(self, learning_rate: str) -> str:
        """The constructor call as Python source, e.g. keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)."""
        arguments = ", ".join(f"{key}={value}" for key, value in self.kwargs(learning_rate).items())
        return f"keras.optimizers.{self.name}({arguments})"


KERAS_OPTIMIZERS: dict[str, KerasOptimizer] = {
    "sgd": KerasOptimizer("SGD"),
    "sgd_momentum": KerasOptimizer("SGD", (("momentum", 0.9),)),
    "adam": KerasOptimizer("Adam"),
    "adamw": KerasOptimizer("AdamW"),
    "rmsprop": KerasOptimizer("RMSprop"),
    "adagrad": KerasOptimizer("Adagrad"),
    "nadam": KerasOptimizer("Nadam"),
    "lion": KerasOptimizer("Lion"),
}
