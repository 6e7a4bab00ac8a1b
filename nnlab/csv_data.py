"""The user's own data: a CSV file read with pandas and checked before any training.

Every problem a file can have becomes a DataError whose message says what is wrong and what to
change, so the dashboard and the command line can show it as it is.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nnlab.errors import DataError

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MIN_ROWS = 20
MAX_CLASSES = 50
# A numeric target with at most this many distinct whole numbers is taken as class labels.
MAX_AUTO_CLASSES = 20


@dataclass(frozen=True)
class CsvTable:
    """Features and target taken from a checked CSV file."""

    x: np.ndarray  # (rows, features) float32
    y: np.ndarray  # class indices (int64) or values (float32)
    task: str  # "classification" or "regression"
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]  # () for regression
    notes: tuple[str, ...]  # what was left out and why


def read_csv(source: str | Path | bytes) -> pd.DataFrame:
    """A path or the raw bytes of an upload → DataFrame; a DataError for anything unreadable."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"CSV file not found: {path}")
        if path.stat().st_size > MAX_BYTES:
            raise DataError(_too_large(path.stat().st_size))
        raw = path.read_bytes()
    else:
        raw = bytes(source)
        if len(raw) > MAX_BYTES:
            raise DataError(_too_large(len(raw)))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(
            f"the file is not UTF-8 text (byte {error.start} cannot be read); "
            "save it as 'CSV UTF-8' in your spreadsheet program"
        ) from None
    if not text.strip():
        raise DataError("the CSV file is empty; it needs a header row and at least one row of data")
    try:
        frame = pd.read_csv(io.StringIO(text))
        if frame.shape[1] == 1 and (";" in text.splitlines()[0] or "\t" in text.splitlines()[0]):
            frame = pd.read_csv(io.StringIO(text), sep=None, engine="python")  # sniff ; or tab
    except pd.errors.EmptyDataError:
        raise DataError("the CSV file has no columns; it needs a header row naming them") from None
    except (pd.errors.ParserError, ValueError) as error:
        first = str(error).strip().splitlines()[0]
        raise DataError(f"the file is not a well-formed CSV table: {first}") from None
    if frame.empty:
        raise DataError("the CSV file has a header but no rows of data")
    if len(frame) > MAX_ROWS:
        raise DataError(f"the CSV file has {len(frame):,} rows; at most {MAX_ROWS:,} are allowed — use a sample")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def table_from_frame(frame: pd.DataFrame, target: str, task: str = "auto") -> CsvTable:
    """Pick the target column, keep the numeric features, infer or check the task."""
    if target not in frame.columns:
        raise DataError(f"no column named {target!r}; the columns are: {', '.join(map(str, frame.columns))}")
    if len(frame) < MIN_ROWS:
        raise DataError(f"the file has {len(frame)} rows; at least {MIN_ROWS} are needed to train and test")
    notes = []
    features = frame.drop(columns=[target])
    numeric = features.select_dtypes(include=["number", "bool"])
    dropped = [c for c in features.columns if c not in numeric.columns]
    if numeric.shape[1] == 0:
        raise DataError(
            f"no numeric feature columns besides the target {target!r}; "
            "the network needs numbers as inputs (text columns are left out)"
        )
    if dropped:
        notes.append(f"left out {len(dropped)} non-numeric column(s): {', '.join(dropped)}")
    values = numeric.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        column = numeric.columns[bad.any(axis=0).argmax()]
        rows = np.flatnonzero(bad.any(axis=1))
        raise DataError(
            f"{len(rows)} row(s) have missing or infinite values, e.g. column {column!r} in data row "
            f"{rows[0] + 1}; fill them in or delete those rows"
        )

    column = frame[target]
    if column.isna().any():
        raise DataError(
            f"the target {target!r} is empty in {int(column.isna().sum())} row(s) "
            f"(first: data row {int(np.flatnonzero(column.isna())[0]) + 1}); fill them in or delete those rows"
        )
    is_number = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if task == "auto":
        few_whole = is_number and np.all(np.mod(column, 1) == 0) and column.nunique() <= MAX_AUTO_CLASSES
        task = "classification" if (not is_number or few_whole) else "regression"
        notes.append(f"task guessed from the target: {task}")
    if task == "regression":
        if not is_number:
            raise DataError(f"the target {target!r} holds text, so it cannot be regressed; choose task 'classification'")
        y = column.to_numpy(dtype=np.float64)
        if not np.isfinite(y).all():
            raise DataError(f"the target {target!r} has infinite values; fix or delete those rows")
        if np.ptp(y) == 0:
            raise DataError(f"the target {target!r} has the same value in every row; there is nothing to predict")
        return CsvTable(values.astype(np.float32), y.astype(np.float32), task, tuple(numeric.columns), (), tuple(notes))

    labels, y = np.unique(column.astype(str) if not is_number else column, return_inverse=True)
    if len(labels) < 2:
        raise DataError(f"the target {target!r} has only one class ({labels[0]}); a classifier needs at least two")
    if len(labels) > MAX_CLASSES:
        raise DataError(
            f"the target {target!r} has {len(labels)} different values, too many classes (at most "
            f"{MAX_CLASSES}); if it is a quantity, choose task 'regression'"
        )
    names = tuple(_label_text(v) for v in labels)
    return CsvTable(values.astype(np.float32), y.astype(np.int64), task, tuple(numeric.columns), names, tuple(notes))


def load_csv(source: str | Path | bytes, target: str, task: str = "auto") -> CsvTable:
    return table_from_frame(read_csv(source), target, task)


def _label_text(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _too_large(size: int) -> str:
    return f"the file is {size / 2**20:.1f} MB; at most {MAX_BYTES / 2**20:g} MB are allowed — use a sample"
