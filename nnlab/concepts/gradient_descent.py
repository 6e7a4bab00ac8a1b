"""Gradient descent in one dimension: x ← x − learning rate · f′(x), on a function you can type.

Functions are parsed and differentiated exactly with SymPy, so the lecture's example lands on its
printed digits (f = x² + x, start 5, learning rate 0.25: x = −0.45703125 after 7 iterations).
Typed text is checked token by token before SymPy sees it: only numbers, x, + − * / ^ ( ) and a
few function names get through, so nothing typed can run as code.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from tokenize import TokenError  # SymPy's parser raises it for unbalanced brackets
from typing import Callable

import sympy

from nnlab.errors import ConfigError

EXAMPLES = {"x²": "x^2", "x² + x": "x^2 + x", "x³": "x^3", "sin x": "sin(x)", "a polynomial": "x^4 - 3x^2 + x"}
FUNCTIONS = {"sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "exp": sympy.exp, "log": sympy.log,
             "sqrt": sympy.sqrt, "abs": sympy.Abs}
MAX_LENGTH = 80
MAX_EXPONENT = 100
DIVERGED = 1e8  # |x| beyond this: the steps have run away
_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*|\.\d+)|([A-Za-z]+)|(\*\*|[-+*/^()]))")


@dataclass(frozen=True)
class Function1D:
    text: str
    expression: sympy.Expr
    derivative_expression: sympy.Expr
    f: Callable[[float], float]
    derivative: Callable[[float], float]


def parse(text: str) -> Function1D:
    """'x^2 + 3x' → the function and its exact derivative; a ConfigError says what is wrong."""
    text = text.strip()
    if not text:
        raise ConfigError("type a function of x, for example x^2 + x")
    if len(text) > MAX_LENGTH:
        raise ConfigError(f"the function is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ConfigError(f"cannot read {text[position:].strip()[:10]!r} in the function: use numbers, x, "
                              "+ - * / ^ ( ) and sin, cos, tan, exp, log, sqrt, abs")
        name = match.group(2)
        if name is not None and name not in FUNCTIONS and name not in ("x", "pi"):
            raise ConfigError(f"unknown name {name!r}: the variable is x; functions are {', '.join(FUNCTIONS)}")
        position = match.end()
    from sympy.parsing.sympy_parser import (convert_xor, implicit_multiplication_application, parse_expr,
                                            standard_transformations)

    x = sympy.Symbol("x", real=True)
    try:
        expression = parse_expr(text, local_dict={"x": x, "pi": sympy.pi, **FUNCTIONS}, evaluate=False,
                                transformations=standard_transformations + (implicit_multiplication_application,
                                                                            convert_xor))
    except (SyntaxError, TypeError, ValueError, sympy.SympifyError, TokenError):
        raise ConfigError(f"{text!r} is not a complete formula (check the brackets and operators)") from None
    if not isinstance(expression, sympy.Expr) or expression.free_symbols - {x}:
        raise ConfigError(f"{text!r} must be a function of x alone")
    for power in expression.atoms(sympy.Pow):
        # A constant exponent must be a plain, modest number: 9^9^9 would take forever to work out.
        exponent = power.exp
        if not exponent.free_symbols and not (exponent.is_Number and abs(float(exponent)) <= MAX_EXPONENT):
            raise ConfigError(f"exponents without x must be numbers up to {MAX_EXPONENT}, as in x^3")
    derivative = sympy.diff(expression, x)
    return Function1D(text, expression, derivative, _numeric(expression, x), _numeric(derivative, x))


def _numeric(expression, x) -> Callable[[float], float]:
    compiled = sympy.lambdify(x, expression, modules="math")

    def evaluate(value: float) -> float:
        try:
            result = compiled(value)
            return float(result) if not isinstance(result, complex) else math.nan
        except (OverflowError, ValueError, ZeroDivisionError, TypeError):
            return math.nan

    return evaluate


@dataclass(frozen=True)
class Iterate:
    iteration: int
    x: float
    fx: float
    slope: float  # f′(x): the tangent's slope


def descend(function: Function1D, start: float, learning_rate: float, iterations: int) -> tuple[list[Iterate], bool]:
    """The points visited, starting point first; and whether the steps are running away (diverging):
    x beyond reach, or each of the last three steps longer than the one before and uphill."""
    x = float(start)
    path = [Iterate(0, x, function.f(x), function.derivative(x))]
    for i in range(1, iterations + 1):
        x = x - learning_rate * path[-1].slope
        path.append(Iterate(i, x, function.f(x), function.derivative(x)))
        if not math.isfinite(x) or abs(x) > DIVERGED or not math.isfinite(path[-1].slope):
            return path, True
    return path, _growing(path)


def _growing(path: list[Iterate]) -> bool:
    if len(path) < 5:
        return False
    last = path[-5:]
    steps = [abs(b.x - a.x) for a, b in zip(last, last[1:])]
    return all(s2 > s1 for s1, s2 in zip(steps, steps[1:])) and all(b.fx > a.fx for a, b in zip(last[1:], last[2:]))


def curve(function: Function1D, low: float, high: float, points: int = 400):
    import numpy as np
    import pandas as pd

    xs = np.linspace(low, high, points)
    return pd.DataFrame({"x": xs, "f": [function.f(v) for v in xs]})
