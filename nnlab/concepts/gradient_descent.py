"""Gradient descent in one dimension: x ← x − learning rate · f′(x), on a function you can type.

The function is read by nnlab.concepts.formula (safely, exactly differentiated with SymPy), so the
lecture's example lands on its printed digits (f = x² + x, start 5, learning rate 0.25:
x = −0.45703125 after 7 iterations).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nnlab.concepts.formula import Function1D, parse  # noqa: F401 - the page reads functions through here
from nnlab.core.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

EXAMPLES = {"x²": "x^2", "x² + x": "x^2 + x", "x³": "x^3", "sin x": "sin(x)", "a polynomial": "x^4 - 3x^2 + x"}
MAX_ITERATIONS = 10_000  # the page redraws every point visited on each click
DIVERGED = 1e8  # |x| beyond this: the steps have run away


@dataclass(frozen=True)
class Iterate:
    iteration: int
    x: float
    fx: float
    slope: float  # f′(x): the tangent's slope


def descend(function: Function1D, start: float, learning_rate: float, iterations: int) -> tuple[list[Iterate], bool]:
    """The points visited, starting point first; and whether the steps are running away (diverging):
    x beyond reach, or each of the last three steps longer than the one before and uphill."""
    if iterations > MAX_ITERATIONS:
        raise ConfigError(f"{iterations:,} iterations asked; at most {MAX_ITERATIONS:,} are shown — press Reset")
    x = float(start)
    path = [Iterate(0, x, function.f(x), function.derivative(x))]
    for i in range(1, iterations + 1):
        x = x - learning_rate * path[-1].slope
        path.append(Iterate(i, x, function.f(x), function.derivative(x)))
        if not math.isfinite(x) or abs(x) > DIVERGED or not math.isfinite(path[-1].slope):
            return path, True
    return path, _growing(path)


def unworkable(path: list[Iterate]) -> str | None:
    """Why the descent cannot even start, in words (None when it can): f or its slope at the
    starting point is no number a float holds, as (x+1)^999 at x = 5 (6^999 ≈ 10^777) or log(x) at 0."""
    start = path[0]
    if math.isfinite(start.fx) and math.isfinite(start.slope):
        return None
    return (f"f(x) or its slope cannot be worked out at the starting point x = {start.x:g}: the numbers there are "
            f"too large to work with (beyond about 10^308), or f is not defined there (as log(0) or 1/0 are). "
            f"Choose another starting point, or use a smaller power or number.")


def _growing(path: list[Iterate]) -> bool:
    if len(path) < 5:
        return False
    last = path[-5:]
    steps = [abs(b.x - a.x) for a, b in zip(last, last[1:])]
    return all(s2 > s1 for s1, s2 in zip(steps, steps[1:])) and all(b.fx > a.fx for a, b in zip(last[1:], last[2:]))


def curve(function: Function1D, low: float, high: float, points: int = 400):
    """The function drawn from low to high; points where it is not a finite number are left empty."""
    import numpy as np
    import pandas as pd

    xs = np.linspace(low, high, points)
    values = [function.f(v) for v in xs]
    return pd.DataFrame({"x": xs, "f": [v if math.isfinite(v) else math.nan for v in values]})


@dataclass(frozen=True)
class View:
    """What the page draws: the window of x, the points visited that fit in it, the tangent."""

    table: "pd.DataFrame"  # every iterate: iteration, x, f, slope
    points: "pd.DataFrame"  # the iterates with a finite x of modest size, to draw
    tangent: "pd.DataFrame"  # x, f: the tangent line at the current point (empty when undefined)
    low: float  # the window to draw the function over, with a margin around the points
    high: float


DRAWN = 1e6  # points beyond this |x| are left off the chart: they would squash the rest


def view(path: list[Iterate]) -> View:
    """The chart's window and the tangent at the last point of a descent."""
    import pandas as pd

    table = pd.DataFrame([{"iteration": p.iteration, "x": p.x, "f": p.fx, "slope": p.slope} for p in path],
                         columns=["iteration", "x", "f", "slope"])
    points = table[table["x"].map(math.isfinite) & (table["x"].abs() < DRAWN)]
    low, high = (float(points["x"].min()), float(points["x"].max())) if len(points) else (0.0, 0.0)
    margin = max(1.0, 0.25 * (high - low))
    current = path[-1]
    if math.isfinite(current.x) and abs(current.x) < DRAWN and math.isfinite(current.fx) and math.isfinite(current.slope):
        width = 1.0 + 0.1 * (high - low)
        xs = [current.x - width, current.x + width]
        tangent = pd.DataFrame({"x": xs, "f": [current.fx + current.slope * (v - current.x) for v in xs]})
        tangent = tangent[tangent["f"].map(math.isfinite)]  # a steep slope can overflow at the line's ends
    else:
        tangent = pd.DataFrame({"x": [], "f": []})
    return View(table, points, tangent, low - margin, high + margin)
