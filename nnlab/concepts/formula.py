"""A function of x typed by a visitor, read safely: its exact derivative and fast float versions.

Typed text is read by a small parser of our own, never by eval: only numbers, x, pi, + − * / ^ ( )
and a few function names get through, so nothing typed can run as code. The parser also keeps every
number small, because Python's big-integer arithmetic holds the interpreter lock and ignores
signals: a typed (((9^100)^100)^100)^100 once froze the whole server. So parts without x are worked
out in floats by the parser itself (SymPy never sees 9^100^100), exact numbers stay below
EXACT_LIMIT (exponents below EXPONENT_LIMIT) and larger ones become decimals, and anything beyond
LARGEST is refused. Each SymPy operation then gets only small numbers, whatever was typed.
"""
from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from typing import Callable

import sympy

from nnlab.core.errors import ConfigError

FUNCTIONS = {"sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "exp": sympy.exp, "log": sympy.log,
             "sqrt": sympy.sqrt, "abs": sympy.Abs}
MAX_LENGTH = 80
LARGEST = 1e300  # no number beyond this: a float overflows soon after
EXACT_LIMIT = 10**6  # integers and fractions kept exact up to this; larger ones become decimals
EXPONENT_LIMIT = 1000  # exact exponents up to this, so SymPy's exact powers stay a few kilobits
_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*|\.\d+)|([A-Za-z]+)|(\*\*|[-+*/^()]))")
_X = sympy.Symbol("x", real=True)
_FLOAT_FUNCTIONS = {sympy.sin: math.sin, sympy.cos: math.cos, sympy.tan: math.tan, sympy.exp: math.exp,
                    sympy.log: math.log, sympy.Abs: abs, sympy.sign: lambda v: math.copysign(1.0, v) if v else 0.0}
_TOO_LARGE = (f"a number in the function is too large to work with (beyond 10^{round(math.log10(LARGEST))}, "
              "as 9^9^9 is): use smaller numbers or exponents")
_DIVIDES_BY_ZERO = "the function divides by zero (as 1/0 does): change the divisor"
_OUTSIDE_DOMAIN = ("the function takes log, sqrt or a power of a number outside where it is defined "
                   "(as log(0), sqrt(-1) or (-8)^(1/3) are): change that number")


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
    expression = _Parser(text).parse()
    derivative = _derivative(expression)
    return Function1D(text, expression, derivative, _numeric(expression), _numeric(derivative))


def _derivative(expression: sympy.Expr) -> sympy.Expr:
    """f′, with |u|′ = sign(u)·u′: SymPy's own rule for |u| allows a complex u and brings in re, im and
    arg, which Python's math module cannot evaluate; here u is real wherever f is defined."""
    signs: dict[sympy.Dummy, sympy.Expr] = {}

    def as_sign_times(argument):
        sign = sympy.Dummy("sign")
        signs[sign] = sympy.sign(argument)
        return sign * argument

    derivative = sympy.diff(expression.replace(sympy.Abs, as_sign_times), _X)
    while signs and derivative.has(*signs):  # an |u| inside another |v|: v's sign holds u's dummy
        derivative = derivative.xreplace(signs)
    derivative = _tame(derivative)
    if derivative.has(sympy.Derivative) or any(f.func not in _FLOAT_FUNCTIONS for f in derivative.atoms(sympy.Function)):
        raise ConfigError("cannot work out the slope of this function here: write it another way")
    return derivative


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ConfigError(f"cannot read {text[position:].strip()[:10]!r} in the function: use numbers, x, "
                              "+ - * / ^ ( ) and sin, cos, tan, exp, log, sqrt, abs")
        token = match.group(match.lastindex)
        if match.group(2) is not None and token not in FUNCTIONS and token not in ("x", "pi"):
            raise ConfigError(f"unknown name {token!r}: the variable is x; functions are {', '.join(FUNCTIONS)}")
        tokens.append("^" if token == "**" else token)
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens, in the usual order: + −, then * / and writing side by side
    (2x, 3 sin x), then signs, then ^ (right to left, so 2^3^2 = 2^9). A function written without
    brackets takes what is written side by side after it: sin 2x = sin(2x), sin x cos x = sin(x)·cos(x)."""

    def __init__(self, text: str):
        self.text, self.tokens, self.at = text, _tokens(text), 0

    def parse(self) -> sympy.Expr:
        expression = self.sum()
        if self.at != len(self.tokens):
            self.fail()
        return expression

    def fail(self):
        raise ConfigError(f"{self.text!r} is not a complete formula (check the brackets and operators)")

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        if self.at >= len(self.tokens):
            self.fail()
        self.at += 1
        return self.tokens[self.at - 1]

    def starts_factor(self, functions: bool = True) -> bool:
        token = self.peek()
        return token is not None and (token == "(" or token[0].isdigit() or token[0] == "."
                                      or (token[0].isalpha() and (functions or token not in FUNCTIONS)))

    def sum(self) -> sympy.Expr:
        value = self.product()
        while self.peek() in ("+", "-"):
            operation = operator.add if self.take() == "+" else operator.sub
            value = _combine(operation, value, self.product())
        return value

    def product(self, functions: bool = True) -> sympy.Expr:
        value = self.signed()
        while True:
            if self.peek() in ("*", "/") and functions:
                operation = operator.mul if self.take() == "*" else operator.truediv
                value = _combine(operation, value, self.signed())
            elif self.starts_factor(functions):
                value = _combine(operator.mul, value, self.power())
            else:
                return value

    def signed(self) -> sympy.Expr:
        if self.peek() in ("+", "-"):
            return _negate(self.signed()) if self.take() == "-" else self.signed()
        return self.power()

    def power(self) -> sympy.Expr:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return _combine(operator.pow, base, self.signed())
        return base

    def atom(self) -> sympy.Expr:
        token = self.take()
        if token == "(":
            value = self.sum()
            if self.take() != ")":
                self.fail()
            return value
        if token == "x":
            return _X
        if token == "pi":
            return sympy.pi
        if token in FUNCTIONS:
            if self.peek() == "(":
                return _apply(token, self.atom())
            if not self.starts_factor():
                self.fail()
            return _apply(token, self.product(functions=False))
        if token[0].isdigit() or token[0] == ".":
            return _number(token)
        self.fail()


def _number(literal: str) -> sympy.Expr:
    if literal.isdigit() and int(literal) <= EXACT_LIMIT:
        return sympy.Integer(int(literal))
    return _settle(float(literal))


def _negate(value: sympy.Expr) -> sympy.Expr:
    return -value if _is_constant(value) else _tame(-value)


def _is_constant(value: sympy.Expr) -> bool:
    return not value.free_symbols


def _combine(operation, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    """a op b; with numbers on both sides worked out here, in floats unless small and exact."""
    if not (_is_constant(a) and _is_constant(b)):
        if operation is operator.pow:  # (1000x)^999999 would work out 1000^999999 exactly
            b = b.xreplace({r: _settle(float(r)) for r in b.atoms(sympy.Rational) if abs(r.p) > EXPONENT_LIMIT or r.q > EXPONENT_LIMIT})
        if operation is operator.truediv and _is_constant(b):
            b = _combine(operator.truediv, sympy.Integer(1), b)  # x/0 refused here, not turned into zoo
            operation = operator.mul
        return _tame(operation(a, b))
    if operation is operator.truediv and b.is_zero:
        raise ConfigError(_DIVIDES_BY_ZERO)
    if a.is_Rational and b.is_Rational and (operation is not operator.pow or _small_exact_power(a, b)):
        return _settle_exact(operation(a, b))
    try:
        return _settle(operation(float(a), float(b)))
    except ZeroDivisionError:
        raise ConfigError(_DIVIDES_BY_ZERO) from None
    except OverflowError:
        raise ConfigError(_TOO_LARGE) from None


def _small_exact_power(base: sympy.Rational, exponent: sympy.Rational) -> bool:
    return exponent.is_Integer and abs(exponent) <= EXPONENT_LIMIT and not (base.is_zero and exponent < 0)


def _apply(name: str, argument: sympy.Expr) -> sympy.Expr:
    if not _is_constant(argument):
        return _tame(FUNCTIONS[name](argument))
    if name == "abs" and argument.is_Rational:
        return abs(argument)
    value = float(argument)
    try:
        result = math.sqrt(value) if name == "sqrt" else _FLOAT_FUNCTIONS[FUNCTIONS[name]](value)
    except OverflowError:
        raise ConfigError(_TOO_LARGE) from None
    except ValueError:
        raise ConfigError(_OUTSIDE_DOMAIN) from None
    return _settle(result)


def _settle_exact(value: sympy.Rational) -> sympy.Expr:
    if value is sympy.zoo or value is sympy.nan:
        raise ConfigError(_DIVIDES_BY_ZERO)
    if abs(value.p) <= EXACT_LIMIT and value.q <= EXACT_LIMIT:
        return value
    return _settle(float(value))


def _settle(value) -> sympy.Float:
    """A computed constant as a SymPy decimal, if it is a real number within LARGEST."""
    if isinstance(value, complex):
        raise ConfigError(_OUTSIDE_DOMAIN)
    if not math.isfinite(value) or abs(value) > LARGEST:
        raise ConfigError(_TOO_LARGE)
    return sympy.Float(value)


def _tame(expression: sympy.Expr) -> sympy.Expr:
    """What SymPy built from x and small numbers, with its numbers kept small: parts that lost their x
    (x − x + 2) become numbers worked out in floats; exact numbers beyond the limits become decimals;
    decimals too small for a float (e^−10^300) become 0, as writing their digits takes seconds."""
    if expression.has(sympy.zoo, sympy.oo, sympy.nan, sympy.I):
        raise ConfigError(_DIVIDES_BY_ZERO if expression.has(sympy.zoo) else _OUTSIDE_DOMAIN)
    if _is_constant(expression):
        return _settle_exact(expression) if expression.is_Rational else _settle(_float_value(expression))
    replace = {r: _settle(float(r)) for r in expression.atoms(sympy.Rational) if abs(r.p) > EXACT_LIMIT or r.q > EXACT_LIMIT}
    for power in expression.atoms(sympy.Pow):
        replace |= {r: _settle(float(r)) for r in power.exp.atoms(sympy.Rational)
                    if abs(r.p) > EXPONENT_LIMIT or r.q > EXPONENT_LIMIT}
    for number in expression.atoms(sympy.Float):
        value = float(number)
        _settle(value)
        if value == 0 and not number.is_zero:
            replace[number] = sympy.Float(0)
    return _tame(expression.xreplace(replace)) if replace else expression


def _float_value(expression: sympy.Expr) -> float:
    """A constant SymPy expression worked out in floats, never in exact big numbers."""
    try:
        if expression.is_Number or expression.is_NumberSymbol:
            return float(expression)
        values = [_float_value(argument) for argument in expression.args]
        if expression.is_Add:
            return math.fsum(values)
        if expression.is_Mul:
            return math.prod(values)
        if expression.is_Pow:
            return math.pow(*values)
        return _FLOAT_FUNCTIONS[expression.func](*values)
    except OverflowError:
        raise ConfigError(_TOO_LARGE) from None
    except (ValueError, KeyError):
        raise ConfigError(_OUTSIDE_DOMAIN) from None
    except ZeroDivisionError:
        raise ConfigError(_DIVIDES_BY_ZERO) from None


def _numeric(expression) -> Callable[[float], float]:
    compiled = sympy.lambdify(_X, expression, modules="math")

    def evaluate(value: float) -> float:
        try:
            result = compiled(value)
            return float(result) if not isinstance(result, complex) else math.nan
        except (OverflowError, ValueError, ZeroDivisionError, TypeError):
            return math.nan

    return evaluate
