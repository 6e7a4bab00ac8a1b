"""Backpropagation by hand for one weight and one bias: ŷ = w·x + b, loss = (ŷ − y)²."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BackpropStep:
    w: float
    b: float
    prediction: float  # ŷ = w·x + b
    loss: float  # (ŷ − y)²
    dloss_dprediction: float  # 2(ŷ − y)
    dloss_dw: float  # ∂loss/∂ŷ · ∂ŷ/∂w = 2(ŷ − y) · x
    dloss_db: float  # ∂loss/∂ŷ · ∂ŷ/∂b = 2(ŷ − y) · 1
    new_w: float  # w − learning rate · ∂loss/∂w
    new_b: float
    new_loss: float  # the loss with the new weights

    @property
    def decrease(self) -> float:
        return self.loss - self.new_loss


def step(x: float, y: float, w: float, b: float, learning_rate: float) -> BackpropStep:
    prediction = w * x + b
    loss = (prediction - y) ** 2
    dloss_dprediction = 2 * (prediction - y)
    dloss_dw, dloss_db = dloss_dprediction * x, dloss_dprediction
    new_w, new_b = w - learning_rate * dloss_dw, b - learning_rate * dloss_db
    new_loss = (new_w * x + new_b - y) ** 2
    return BackpropStep(w, b, prediction, loss, dloss_dprediction, dloss_dw, dloss_db, new_w, new_b, new_loss)


def steps(x: float, y: float, w: float, b: float, learning_rate: float, count: int) -> list[BackpropStep]:
    """`count` steps of gradient descent on the one training pair, each from the last one's weights."""
    out = []
    for _ in range(count):
        out.append(step(x, y, w, b, learning_rate))
        w, b = out[-1].new_w, out[-1].new_b
    return out
