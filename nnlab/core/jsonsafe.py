"""Values as strict JSON wants them: NaN and infinity (a diverged loss) become null."""
from __future__ import annotations

import math

import pandas as pd


def json_safe(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def is_missing(value) -> bool:
    """None, pandas' NA or a float NaN: a value a run does not have (a table's blank cell, a chart's "–")."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
