"""The files of a run folder an older nnlab wrote (`<id>/run.json`, history.csv, label.json,
model.keras), read safely for the import into the database (nnlab.store.folder_import).

Reads are size-limited and say what is wrong with a file in words a user can act on: run.json's
damage is a `Damage`; label.json and history.csv give what can be read plus a list of problems.
"""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd


RUN_FILE, HISTORY_FILE, LABEL_FILE, MODEL_FILE = "run.json", "history.csv", "label.json", "model.keras"
MAX_RUN_FILE_BYTES = 1_000_000  # run.json and label.json are a few KB; more is not ours
MAX_HISTORY_BYTES = 5_000_000  # 1000 epochs are ≈150 KB
REQUIRED_HISTORY = ("epoch", "loss", "val_loss")


class Damage(Exception):
    """What is wrong with a run's files, in words a user can act on."""


class Missing(Damage):
    """The file is not there (label.json of a run never renamed; run.json of a folder that is no run)."""


# --- reading ----------------------------------------------------------------------------------

def parse_json(path: Path) -> Any:
    """A JSON file nnlab wrote (run.json or label.json); Damage if it is missing, too big or not JSON."""
    try:
        data = _read_limited(path, MAX_RUN_FILE_BYTES)
    except FileNotFoundError:
        raise Missing(f"no {path.name}: not an nnlab run") from None
    except IsADirectoryError:
        raise Damage(f"{path.name} is a folder, not a file") from None
    try:
        return json.loads(_decode(data, path.name))
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise Damage(f"{path.name} is not valid JSON ({error.msg} at {where})") from None
    except RecursionError:
        raise Damage(f"{path.name} is nested too deeply to be a file nnlab wrote") from None


def read_label(path: Path) -> tuple[str, tuple[str, ...]]:
    """The user's name for the run, or '' and what was wrong with label.json."""
    try:
        data = parse_json(path)
    except Missing:  # never renamed (or being named this very moment): no name, nothing wrong
        return "", ()
    except Damage as damage:
        return "", (f"{damage}: the run's name was dropped",)
    except OSError as error:
        return "", (f"{path.name} cannot be read ({error.strerror or error}): the run's name was dropped",)
    if not isinstance(data, dict) or not isinstance(data.get("label"), str):
        return "", (f"{path.name} holds {preview(data)}, not a name: the run's name was dropped",)
    return data["label"], ()


def read_history(path: Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The epochs that can be read, and what was left out: rows with a wrong number of cells or a
    cell that is not a number are dropped; without an epoch, loss or val_loss column, all are."""
    empty = pd.DataFrame()
    try:
        text = _decode(_read_limited(path, MAX_HISTORY_BYTES), path.name)
    except FileNotFoundError:
        return empty, (f"{path.name} is missing: the epochs are lost",)
    except Damage as damage:
        return empty, (f"{damage}: the epochs are not shown",)
    except OSError as error:
        return empty, (f"{path.name} cannot be read ({error.strerror or error}): the epochs are not shown",)
    if not text.strip():
        return empty, ()
    try:
        rows = list(csv.reader(io.StringIO(text.replace("\0", ""))))
    except csv.Error as error:
        return empty, (f"{path.name} is not a readable table ({error}): the epochs are not shown",)
    header = [name.strip() for name in rows[0]]
    missing = [name for name in REQUIRED_HISTORY if name not in header]
    if missing or len(set(header)) != len(header):
        what = f"has no {missing[0]!r} column" if missing else "names a column twice"
        return empty, (f"{path.name} {what}: the epochs are not shown",)
    records, dropped = [], []
    for number, cells in enumerate(rows[1:], start=2):  # line numbers as an editor shows them
        if not cells:
            continue
        try:
            records.append(_history_row(header, cells))
        except ValueError as error:
            dropped.append(f"line {number}: {error}")
    problems = ()
    if dropped:
        problems = (f"{len(dropped)} row(s) of {path.name} dropped ({'; '.join(dropped[:3])}"
                    f"{'; …' if len(dropped) > 3 else ''})",)
    frame = pd.DataFrame(records, columns=header)
    if len(frame):
        frame["epoch"] = frame["epoch"].astype(int)
    return frame, problems


def preview(value) -> str:
    """A value as a message can quote it: short, whatever a hostile file holds."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _read_limited(path: Path, limit: int) -> bytes:
    with open(path, "rb") as source:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise Damage(f"{path.name} is larger than {limit // 1000} KB: not a file nnlab wrote")
    return data


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Damage(f"{name} is not text (binary garbage?)") from None


def _history_row(header: list[str], cells: list[str]) -> dict:
    if len(cells) != len(header):
        raise ValueError(f"{len(cells)} cells where the header names {len(header)}")
    row = {}
    for name, cell in zip(header, cells):
        text = cell.strip()
        try:
            row[name] = float(text) if text else math.nan
        except ValueError:
            raise ValueError(f"{name} {preview(text)} is not a number") from None
    epoch = row["epoch"]
    if not (math.isfinite(epoch) and epoch.is_integer() and epoch >= 1):
        raise ValueError(f"epoch {preview(epoch)} is not a whole number of at least 1")
    return row
