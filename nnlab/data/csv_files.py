"""The user's own data: a CSV file read with pandas and checked before any training.

Every problem a file can have becomes a DataError whose message says what is wrong and what to
change, so the dashboard and the command line can show it as it is.
"""
from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nnlab.core.errors import DataError

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
# Each column costs pandas an array of its own while reading: a header of a million names is a
# memory bomb in a small file. 785 columns hold a flattened 28×28 image and its label.
MAX_COLUMNS = 2000
MAX_HEADER_BYTES = 1024 * 1024
FLOAT32_MAX = float(np.finfo(np.float32).max)  # the network computes in float32: beyond this is infinity
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


def read_csv(source: str | Path | bytes, *, inside: str | Path | None = None) -> pd.DataFrame:
    """A path or the raw bytes of an upload → DataFrame; a DataError for anything unreadable.

    With `inside`, only a file in that folder is read (the web app's uploads: a path from a link must
    not reach the server's other files). Messages name a file by its name alone, never its folder."""
    raw = file_bytes(Path(source), inside) if isinstance(source, (str, Path)) else bytes(source)
    if len(raw) > MAX_BYTES:
        raise DataError(_too_large(len(raw)))
    if not raw or raw.isspace():
        raise DataError("the CSV file is empty; it needs a header row and at least one row of data")
    separator = _separator(raw)
    try:
        # Bytes straight to pandas (no decoded copy of the text), and no more rows than allowed plus one.
        frame = pd.read_csv(io.BytesIO(raw), sep=separator, nrows=MAX_ROWS + 1, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("the file is not UTF-8 text; save it as 'CSV UTF-8' in your spreadsheet program") from None
    except pd.errors.EmptyDataError:
        raise DataError("the CSV file has no columns; it needs a header row naming them") from None
    except (pd.errors.ParserError, ValueError, OverflowError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"the file is not a well-formed CSV table: {first}") from None
    if frame.empty:
        raise DataError("the CSV file has a header but no rows of data")
    if len(frame) > MAX_ROWS:
        raise DataError(f"the CSV file has more than {MAX_ROWS:,} rows; at most {MAX_ROWS:,} are allowed — use a sample")
    frame.columns = [str(c).strip() for c in frame.columns]
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):
        raise DataError(f"the header names the column {_names(repeated[:1])} twice; give each column its own name")
    return frame


def file_bytes(path: Path, inside: str | Path | None = None) -> bytes:
    """The file's bytes, if it is an ordinary file: not a folder, a device (/dev/zero never ends), a
    pipe (opening one waits for a writer) or a system file (/proc reports size 0)."""
    name = path.name or str(path)
    if inside is not None and not path.resolve().is_relative_to(Path(inside).resolve()):
        raise DataError(f"the CSV file {name!r} is not among the uploaded files; upload it again")
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise DataError(f"CSV file not found: {name!r}") from None
    except PermissionError:
        raise DataError(f"the CSV file {name!r} cannot be read (no permission)") from None
    except OSError as error:
        raise DataError(f"the CSV file {name!r} cannot be opened: {error.strerror}") from None
    try:
        info = os.fstat(descriptor)  # of what was opened, so a file swapped after a check is caught too
        if stat.S_ISDIR(info.st_mode):
            raise DataError(f"{name!r} is a folder; give the CSV file inside it")
        if not stat.S_ISREG(info.st_mode):
            raise DataError(f"{name!r} is not an ordinary file (it is a device, a pipe or a socket); save the table to a file")
        if info.st_size == 0:
            raise DataError(f"the CSV file {name!r} is empty (or a system file); it needs a header row and rows of data")
        if info.st_size > MAX_BYTES:
            raise DataError(_too_large(info.st_size))
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            return file.read(MAX_BYTES + 1)
    except OSError as error:
        raise DataError(f"the CSV file {name!r} cannot be read: {error.strerror}") from None
    finally:
        os.close(descriptor)


def _separator(raw: bytes) -> str:
    """Comma, or semicolon or tab when the header line has no comma but those (as spreadsheets in
    many countries save); the header also tells the number of columns."""
    end = raw.find(b"\n", 0, MAX_HEADER_BYTES)
    if end < 0 and len(raw) > MAX_HEADER_BYTES:
        raise DataError(f"the first line is longer than {MAX_HEADER_BYTES // 2**20} MB; "
                        "a CSV table starts with a header row naming its columns")
    header = raw[:end] if end >= 0 else raw
    separator = ","
    if b"," not in header and (b";" in header or b"\t" in header):
        separator = ";" if header.count(b";") >= header.count(b"\t") else "\t"
    columns = header.count(separator.encode()) + 1
    if columns > MAX_COLUMNS:
        raise DataError(f"the CSV file has {columns:,} columns; at most {MAX_COLUMNS:,} are allowed")
    return separator


def table_from_frame(frame: pd.DataFrame, target: str, task: str = "auto") -> CsvTable:
    """Pick the target column, keep the numeric features, infer or check the task."""
    if target not in frame.columns:
        raise DataError(f"no column named {target!r}; the columns are: {_names(frame.columns)}")
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
        notes.append(f"left out {len(dropped)} non-numeric column(s): {_names(dropped)}")
    values = numeric.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        column = numeric.columns[bad.any(axis=0).argmax()]
        rows = np.flatnonzero(bad.any(axis=1))
        raise DataError(
            f"{len(rows)} row(s) have missing or infinite values, e.g. column {column!r} in data row "
            f"{rows[0] + 1}; fill them in or delete those rows"
        )
    _check_float32(values, numeric.columns)

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
        _check_float32(y[:, None], [target])
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


def load_csv(source: str | Path | bytes, target: str, task: str = "auto", *, inside: str | Path | None = None) -> CsvTable:
    return table_from_frame(read_csv(source, inside=inside), target, task)


def _check_float32(values: np.ndarray, columns) -> None:
    beyond = np.abs(values) > FLOAT32_MAX
    if beyond.any():
        row, column = np.argwhere(beyond)[0]
        raise DataError(
            f"column {columns[column]!r} in data row {row + 1} holds {values[row, column]:.3g}, beyond the "
            f"±{FLOAT32_MAX:.2g} a network computes with; scale that column down (divide it by a power of ten)"
        )


def _names(columns, shown: int = 20, length: int = 40) -> str:
    """Column names for a message: a header can hold thousands, each up to a megabyte long."""
    names = [name if len(name) <= length else name[:length - 1] + "…" for name in map(str, columns[:shown])]
    return ", ".join(names) + (f" and {len(columns) - shown:,} more" if len(columns) > shown else "")


def _label_text(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _too_large(size: int) -> str:
    return f"the file is {size / 2**20:.1f} MB; at most {MAX_BYTES / 2**20:g} MB are allowed — use a sample"
