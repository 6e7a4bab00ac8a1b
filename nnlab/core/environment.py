"""The deployer's settings that come from environment variables, read with one clear message each."""
from __future__ import annotations

import math
import os


def number(name: str, default: float, *, whole: bool = False, minimum: float = 0.0, inclusive: bool = True,
           what: str) -> float:
    """`name`'s value (or `default` when unset or empty); a ValueError saying `name must be {what}`
    for anything else: not a number, not finite, below `minimum` (or at it, unless `inclusive`)."""
    text = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and (value >= minimum if inclusive else value > minimum)):
        raise ValueError(f"{name} must be {what}, got {text!r}")
    return value
