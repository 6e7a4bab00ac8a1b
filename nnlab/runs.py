"""RunStore: every run kept as human-readable files, written atomically, epoch by epoch.

    <root>/<run id>/run.json      settings, status, test figures, verdict, timing (the trainer writes it)
    <root>/<run id>/history.csv   one row per completed epoch
    <root>/<run id>/label.json    the name the user gave it (only the user's actions write it)
    <root>/<run id>/heartbeat     an empty file whose modification time says the training is alive
    <root>/<run id>/model.keras   the trained model, when kept

Each file is written to a temporary name and renamed into place, so a crash mid-save leaves the
previous version, never half a file; a new run is filled in a hidden folder and renamed into place
whole. The trainer and the user's actions write different files, so a rename during training cannot
be overwritten by the next epoch.

Damage policy: run.json is the run. If it cannot be read, or holds a value of the wrong kind,
list() names the folder as a DamagedRun with the reason and load() raises a UserError saying it.
label.json and history.csv are parts: when they are damaged the run is still listed and loaded
with the readable part, and `Run.problems` says what was left out (a bad row, a missing file).
"""
from __future__ import annotations

import copy
import csv
import errno
import io
import json
import logging
import math
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from nnlab.config import RunConfig
from nnlab.diagnose import KINDS
from nnlab.errors import UserError
from nnlab.jsonsafe import json_safe
from nnlab.status import Status
from nnlab.tasks import CLASSIFICATION, REGRESSION, metric_name

log = logging.getLogger(__name__)

RUN_FILE, HISTORY_FILE, LABEL_FILE, MODEL_FILE = "run.json", "history.csv", "label.json", "model.keras"
HEARTBEAT_FILE = "heartbeat"
FORMAT = 1  # bumped if the layout of run.json changes
HEARTBEAT_SECONDS = 5.0  # a training job calls RunStore.beat this often
STALE_SECONDS = 30.0  # a run marked running without a beat for this long was cut off: interrupted
MAX_RUN_FILE_BYTES = 1_000_000  # run.json and label.json are a few KB; more is not ours
MAX_HISTORY_BYTES = 5_000_000  # 1000 epochs are ≈150 KB
LIVE = frozenset({Status.QUEUED, Status.RUNNING})  # states that need a heartbeat to be believed
REQUIRED_HISTORY = ("epoch", "loss", "val_loss")
LEFTOVER_SECONDS = 3600  # a hidden draft or trash folder this old was left by a killed process
_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{6}")
_DRAFT, _TRASH = ".new-", ".deleted-"


@dataclass
class Run:
    """One saved run, as listed and loaded."""

    id: str
    label: str
    config: RunConfig
    status: Status
    created: str  # ISO time, UTC
    updated: str
    dataset_title: str = ""
    task: str = CLASSIFICATION
    params: int = 0
    train_examples: int = 0  # examples trained on (train_size 0 means "all": this says how many); 0 = unknown
    test: dict = field(default_factory=dict)
    verdict: dict = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0  # training time so far
    epochs_run: int = 0
    has_model: bool = False
    recorded_best: tuple[int, float] | None = None  # from run.json, so lists need no history
    problems: tuple[str, ...] = ()  # parts that could not be read and were left out
    history: pd.DataFrame | None = None  # filled by RunStore.load

    @property
    def metric(self) -> str:
        return metric_name(self.task)

    @property
    def best(self) -> tuple[int, float] | None:
        """(epoch, validation metric) at the lowest validation loss."""
        if self.history is None:
            return self.recorded_best
        return best_epoch(self.history, self.metric)


@dataclass
class DamagedRun:
    id: str
    reason: str


class RunStore:
    def __init__(self, root: str | Path, *, stale_seconds: float = STALE_SECONDS):
        self.root = Path(root)
        self.stale_seconds = stale_seconds

    # --- writing (the trainer) ---------------------------------------------------------------

    def create(self, config: RunConfig, *, dataset_title: str = "", task: str = CLASSIFICATION,
               params: int = 0, label: str = "", train_examples: int = 0) -> str:
        """A new run with status 'running'; returns its id. On a full or read-only disk it raises
        OSError and leaves nothing behind."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._sweep_leftovers()
        # Filled in a hidden folder, then renamed: readers never see a run without its run.json.
        draft = Path(tempfile.mkdtemp(dir=self.root, prefix=_DRAFT))
        try:
            os.chmod(draft, 0o755)  # as a plain mkdir would make it (mkdtemp's is private)
            now = _now()
            meta = {"format": FORMAT, "config": config.to_dict(), "status": Status.RUNNING.value, "created": now,
                    "updated": now, "dataset_title": dataset_title, "task": task, "params": params,
                    "train_examples": train_examples, "test": {},
                    "verdict": {}, "message": "", "seconds": 0.0, "epochs_run": 0, "best": None}
            _write_text(draft / HISTORY_FILE, "")
            if label:
                _write_text(draft / LABEL_FILE, _label_json(label))
            (draft / HEARTBEAT_FILE).touch()
            while True:
                run_id = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
                _write_text(draft / RUN_FILE, _json({**meta, "id": run_id}))
                try:
                    # A rename onto an existing run fails (its folder is not empty): never shared.
                    os.rename(draft, self.root / run_id)
                    return run_id
                except OSError as error:
                    if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                        raise
        except BaseException:
            shutil.rmtree(draft, ignore_errors=True)
            raise

    def beat(self, run_id: str) -> bool:
        """Say the run's training is alive (call every HEARTBEAT_SECONDS). Cheap: it sets one empty
        file's time. False if the run is gone (deleted) or the disk refuses; never raises."""
        folder = self.root / str(run_id)
        if not _ID.fullmatch(str(run_id)):
            return False
        try:
            os.utime(folder / HEARTBEAT_FILE)
        except FileNotFoundError:
            try:  # a run made before heartbeats, or the file was removed: make it, if the run is there
                if not folder.is_dir():
                    return False
                (folder / HEARTBEAT_FILE).touch()
            except OSError:
                return False
        except OSError:
            return False
        return True

    def save_history(self, run_id: str, history: list[dict]) -> None:
        """Rewrite the history after an epoch (small: a line per epoch) and touch the run."""
        frame = pd.DataFrame(history)
        self._write(run_id, HISTORY_FILE, frame.to_csv(index=False))
        meta = self._read_meta(run_id)
        meta.update(updated=_now(), epochs_run=len(history), best=_best_json(frame, meta.get("task")),
                    seconds=float(sum(row.get("seconds", 0) for row in history)))
        self._write(run_id, RUN_FILE, _json(meta))
        self.beat(run_id)

    def finish(self, run_id: str, *, status: str, message: str = "", test: dict | None = None,
               verdict: dict | None = None, history: list[dict] | None = None, model=None) -> None:
        """The run's final state. On a full or read-only disk it raises OSError, leaving no temporary
        file; call mark_failed then."""
        status = Status(status)
        if history is not None:
            self.save_history(run_id, history)
        if model is not None:
            # Keras wants a real path ending in .keras; write beside, then rename into place.
            temporary = self.root / run_id / f".{secrets.token_hex(4)}.keras"
            try:
                model.save(temporary)
                os.replace(temporary, self.root / run_id / MODEL_FILE)
            except BaseException:
                temporary.unlink(missing_ok=True)  # a half model would keep a full disk full
                raise
        meta = self._read_meta(run_id)
        meta.update(status=status.value, message=message, test=json_safe(test or {}),
                    verdict=json_safe(verdict or {}), updated=_now())
        self._write(run_id, RUN_FILE, _json(meta))

    def mark_failed(self, run_id: str, message: str) -> bool:
        """Record that the run failed, trying hard on a full disk; True if it was recorded. Never
        raises: it is what a job calls when saving has already gone wrong."""
        try:
            self._check_id(run_id)
            path = self.root / run_id / RUN_FILE
            old = path.read_bytes()
            meta = json.loads(old)
            meta.update(status=Status.FAILED.value, message=str(message), updated=_now())
        except (OSError, ValueError, AttributeError, RecursionError) as error:
            log.warning("run %s: could not mark it failed: %s", run_id, error)
            return False
        try:
            self._write(run_id, RUN_FILE, _json(meta))
            return True
        except OSError:
            pass
        # A full disk has no room for a new copy, but the old file's own space can be overwritten:
        # the same length or less, padded with spaces (valid JSON), as few bytes as the message allows.
        try:
            text = json.dumps(json_safe(meta), allow_nan=False).encode()
            while len(text) > len(old) and meta["message"]:
                meta["message"] = meta["message"][: len(meta["message"]) // 2]
                text = json.dumps(json_safe(meta), allow_nan=False).encode()
            if len(text) > len(old):
                return False
            with open(path, "r+b") as out:
                out.write(text.ljust(len(old)))
                out.flush()
                os.fsync(out.fileno())
            return True
        except OSError as error:
            log.warning("run %s: could not mark it failed: %s", run_id, error)
            return False

    # --- the user's actions -------------------------------------------------------------------

    def rename(self, run_id: str, label: str) -> None:
        self._check_id(run_id)
        if not (self.root / run_id).is_dir():
            raise UserError(f"run {run_id} no longer exists (deleted?)")
        self._write(run_id, LABEL_FILE, _label_json(label))

    def delete(self, run_id: str) -> None:
        self._check_id(run_id)
        folder = self.root / run_id
        if folder.is_dir():
            # Rename first so a half-deleted folder never shows up as a damaged run.
            trash = self.root / f"{_TRASH}{run_id}-{secrets.token_hex(3)}"
            os.replace(folder, trash)
            shutil.rmtree(trash, ignore_errors=True)

    # --- reading ------------------------------------------------------------------------------

    def list(self) -> tuple[list[Run], list[DamagedRun]]:
        """All runs, newest first (without their histories), and the folders that could not be
        read, each with the reason. A run marked running whose heartbeat has stopped is shown as
        interrupted. Never raises for what is in the folder."""
        runs, damaged = [], []
        try:
            with os.scandir(self.root) as entries:
                folders = sorted(entry.name for entry in entries if entry.is_dir())
        except OSError:  # no store yet (or unreadable): nothing to show
            return runs, damaged
        for name in folders:
            if name.startswith("."):  # drafts, trash, a workspace's uploads
                continue
            try:
                if not _ID.fullmatch(name):
                    raise _Damage("not an nnlab run: its name is not a run id (like 20260101-120000-a1b2c3)")
                runs.append(self._read_run(name))
            except (_Damage, OSError) as error:
                if (self.root / name).is_dir():  # else deleted while listing: gone, not damaged
                    reason = str(error) if isinstance(error, _Damage) else f"cannot be read ({error.strerror or error})"
                    damaged.append(DamagedRun(name, reason))
        runs.sort(key=lambda run: run.created, reverse=True)
        return runs, damaged

    def load(self, run_id: str) -> Run:
        """One run with its history as a DataFrame; a UserError if it is gone or unreadable."""
        self._check_id(run_id)
        gone = UserError(f"run {run_id} no longer exists (deleted?)")
        if not (self.root / run_id).is_dir():
            raise gone
        try:
            run = self._read_run(run_id)
        except (_Damage, OSError) as error:
            if not (self.root / run_id).is_dir():  # deleted while being read
                raise gone from None
            if isinstance(error, _Damage):
                raise UserError(f"run {run_id} cannot be read: {error}. Delete it on the Runs page.") from None
            raise UserError(f"run {run_id} cannot be read ({error.strerror or error}); try again, "
                            f"or delete it on the Runs page.") from None
        history, problems = _read_history(self.root / run_id / HISTORY_FILE)
        if problems and not (self.root / run_id).is_dir():
            raise gone
        run.history, run.problems = history, tuple(dict.fromkeys(run.problems + problems))
        return run

    def model_path(self, run_id: str) -> Path | None:
        if not _ID.fullmatch(str(run_id)):
            return None
        path = self.root / run_id / MODEL_FILE
        return path if path.is_file() else None

    # --- files --------------------------------------------------------------------------------

    def _read_run(self, run_id: str) -> Run:
        """The run as its files say now, and whether it is alive. Parsed runs are kept in memory
        while their files stay the same, so many viewers listing many runs cost a few stats each."""
        folder = os.path.join(self.root, run_id)
        with os.scandir(folder) as entries:
            files = {entry.name: entry for entry in entries if entry.name in _PARTS}
        if RUN_FILE not in files:
            raise _Damage(f"no {RUN_FILE}: not an nnlab run")
        run_file, label_file = _identity(files[RUN_FILE]), _identity(files.get(LABEL_FILE))
        key = (folder, run_file, label_file, HISTORY_FILE in files, MODEL_FILE in files)
        run = _PARSED.get(key)
        if run is None:
            run = self._parse_run(run_id, has_history=HISTORY_FILE in files, has_model=MODEL_FILE in files)
            if all(part is None or part[1] < time.time_ns() - _SETTLED_NS for part in (run_file, label_file)):
                _PARSED.put(key, run)
        run = copy.copy(run)  # the remembered one stays as read, whatever a page does with this one
        run.test, run.verdict = dict(run.test), dict(run.verdict)
        if run.status in LIVE:
            beat = files.get(HEARTBEAT_FILE, files[RUN_FILE])  # before heartbeats: the trainer's last write
            if time.time() - beat.stat(follow_symlinks=False).st_mtime >= self.stale_seconds:
                run.status = Status.INTERRUPTED
                run.message = run.message or ("Its training stopped without finishing (the server restarted?); "
                                              "the completed epochs are kept.")
        return run

    def _parse_run(self, run_id: str, *, has_history: bool, has_model: bool) -> Run:
        folder = self.root / run_id
        meta = _parse_json(folder / RUN_FILE)
        if not isinstance(meta, dict):
            raise _Damage(f"{RUN_FILE} holds {_kind(meta)}, not a run's settings")
        if meta.get("format") != FORMAT:
            raise _Damage(f"{RUN_FILE} has format {_preview(meta.get('format'))}; this nnlab reads format {FORMAT}")
        try:
            config = RunConfig.from_dict(_field(meta, "config", dict, "settings (a mapping)"))
        except (ValueError, TypeError) as error:  # ConfigError mostly; TypeError for e.g. a list as a name
            raise _Damage(f"{RUN_FILE} holds a setting this nnlab cannot use: {error}") from None
        status = Status(_field(meta, "status", lambda v: v in set(Status), f"one of {', '.join(Status)}"))
        task = _field(meta, "task", lambda v: v in (CLASSIFICATION, REGRESSION), "classification or regression",
                      CLASSIFICATION)
        label, problems = _read_label(folder / LABEL_FILE)
        if not has_history:
            problems += (f"{HISTORY_FILE} is missing: the epochs are lost",)
        if problems and not folder.is_dir():  # deleted while being read: gone, not damaged
            raise FileNotFoundError(errno.ENOENT, "deleted while being read", str(folder))
        return Run(
            id=run_id, label=label, config=config, status=status,
            created=_field(meta, "created", _is_time, "a date and time like 2026-01-01T12:00:00+00:00"),
            updated=_field(meta, "updated", _is_time, "a date and time like 2026-01-01T12:00:00+00:00", ""),
            dataset_title=_field(meta, "dataset_title", str, "text", ""), task=task,
            params=_field(meta, "params", _is_count, "a whole number of at least 0", 0),
            train_examples=_field(meta, "train_examples", _is_count, "a whole number of at least 0", 0),
            test=_field(meta, "test", _is_figures, "a mapping of names to numbers", {}),
            verdict=_field(meta, "verdict", _is_verdict, f"empty or a verdict of a kind in {', '.join(KINDS)}", {}),
            message=_field(meta, "message", str, "text", ""),
            seconds=float(_field(meta, "seconds", _is_number, "a number of seconds", 0.0)),
            epochs_run=_field(meta, "epochs_run", _is_count, "a whole number of at least 0", 0),
            has_model=has_model,
            recorded_best=_recorded_best(_field(meta, "best", _is_best, "null or [epoch, value]", None)),
            problems=problems,
        )

    def _sweep_leftovers(self) -> None:
        """Drafts and trash that a killed process left: hidden, but they take space. An hour old
        means no create or delete is still working on them."""
        cutoff = time.time() - LEFTOVER_SECONDS
        try:
            with os.scandir(self.root) as entries:
                old = [entry.path for entry in entries if entry.name.startswith((_DRAFT, _TRASH))
                       and entry.stat(follow_symlinks=False).st_mtime < cutoff]
        except OSError:
            return
        for path in old:
            shutil.rmtree(path, ignore_errors=True)

    def _read_meta(self, run_id: str) -> dict:
        """run.json for an update. A deleted run raises FileNotFoundError, a damaged one UserError."""
        data = (self.root / run_id / RUN_FILE).read_bytes()
        try:
            meta = json.loads(data)
        except (ValueError, RecursionError):
            meta = None
        if not isinstance(meta, dict):
            raise UserError(f"run {run_id} cannot be updated: its {RUN_FILE} is damaged")
        return meta

    def _write(self, run_id: str, name: str, text: str) -> None:
        _write_text(self.root / run_id / name, text)

    def _check_id(self, run_id: str) -> None:
        # Ids come back from the browser: never let one point outside the store.
        if not _ID.fullmatch(str(run_id)):
            raise UserError(f"{str(run_id)[:60]!r} is not a run id (they look like 20260101-120000-a1b2c3)")


class _Damage(Exception):
    """What is wrong with a run's files, in words a user can act on."""


class _RecentlyRead:
    """Parsed runs by the identity of their files (inode, modification time, size), the least
    recently used dropped first. Only files unchanged for _SETTLED_NS are kept: a file rewritten
    within one clock tick could reuse an inode and a size, never one that has settled."""

    def __init__(self, size: int):
        self._size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key) -> Run | None:
        with self._lock:
            run = self._items.get(key)
            if run is not None:
                self._items.move_to_end(key)
            return run

    def put(self, key, run: Run) -> None:
        with self._lock:
            self._items[key] = run
            if len(self._items) > self._size:
                self._items.popitem(last=False)


_PARTS = frozenset({RUN_FILE, LABEL_FILE, HISTORY_FILE, MODEL_FILE, HEARTBEAT_FILE})
_SETTLED_NS = 2_000_000_000
_PARSED = _RecentlyRead(10_000)  # a class's runs (50 × 50) several times over


def _identity(entry: os.DirEntry | None) -> tuple[int, int, int] | None:
    if entry is None:
        return None
    stat = entry.stat(follow_symlinks=False)
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def best_epoch(history: pd.DataFrame, metric: str) -> tuple[int, float] | None:
    """(epoch, validation metric) at the lowest validation loss of a history, if it has one."""
    if history.empty or "val_loss" not in history or "epoch" not in history:
        return None
    losses = pd.to_numeric(history["val_loss"], errors="coerce")
    losses = losses[np.isfinite(losses)]
    if losses.empty:
        return None
    row = history.loc[losses.idxmin()]
    value = pd.to_numeric(row.get(f"val_{metric}", math.nan), errors="coerce")
    return int(row["epoch"]), float(value)


def _best_json(frame: pd.DataFrame, task) -> list | None:
    best = best_epoch(frame, metric_name(task if task in (CLASSIFICATION, REGRESSION) else CLASSIFICATION))
    return json_safe(list(best)) if best else None


def _recorded_best(value) -> tuple[int, float] | None:
    return (value[0], math.nan if value[1] is None else float(value[1])) if value else None


# --- reading the parts ------------------------------------------------------------------------

def _read_limited(path: Path, limit: int) -> bytes:
    with open(path, "rb") as source:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise _Damage(f"{path.name} is larger than {limit // 1000} KB: not a file nnlab wrote")
    return data


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Damage(f"{name} is not text (binary garbage?)") from None


def _parse_json(path: Path) -> Any:
    try:
        data = _read_limited(path, MAX_RUN_FILE_BYTES)
    except FileNotFoundError:
        raise _Damage(f"no {path.name}: not an nnlab run") from None
    except IsADirectoryError:
        raise _Damage(f"{path.name} is a folder, not a file") from None
    try:
        return json.loads(_decode(data, path.name))
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise _Damage(f"{path.name} is not valid JSON ({error.msg} at {where})") from None
    except RecursionError:
        raise _Damage(f"{path.name} is nested too deeply to be a file nnlab wrote") from None


def _read_label(path: Path) -> tuple[str, tuple[str, ...]]:
    """The user's name for the run, or '' and what was wrong with label.json."""
    try:
        data = _parse_json(path)
    except _Damage as damage:
        if not path.exists():
            return "", ()
        return "", (f"{damage}: the run's name was dropped",)
    except OSError as error:
        return "", (f"{path.name} cannot be read ({error.strerror or error}): the run's name was dropped",)
    if not isinstance(data, dict) or not isinstance(data.get("label"), str):
        return "", (f"{path.name} holds {_preview(data)}, not a name: the run's name was dropped",)
    return data["label"], ()


def _read_history(path: Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The epochs that can be read, and what was left out: rows with a wrong number of cells or a
    cell that is not a number are dropped; without an epoch, loss or val_loss column, all are."""
    empty = pd.DataFrame()
    try:
        text = _decode(_read_limited(path, MAX_HISTORY_BYTES), path.name)
    except FileNotFoundError:
        return empty, (f"{path.name} is missing: the epochs are lost",)
    except _Damage as damage:
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


def _history_row(header: list[str], cells: list[str]) -> dict:
    if len(cells) != len(header):
        raise ValueError(f"{len(cells)} cells where the header names {len(header)}")
    row = {}
    for name, cell in zip(header, cells):
        text = cell.strip()
        try:
            row[name] = float(text) if text else math.nan
        except ValueError:
            raise ValueError(f"{name} {_preview(text)} is not a number") from None
    epoch = row["epoch"]
    if not (math.isfinite(epoch) and epoch.is_integer() and epoch >= 1):
        raise ValueError(f"epoch {_preview(epoch)} is not a whole number of at least 1")
    return row


# --- checking run.json ------------------------------------------------------------------------

_REQUIRED = object()


def _field(meta: dict, name: str, check: type | Callable[[Any], bool], wanted: str, default=_REQUIRED):
    if name not in meta:
        if default is _REQUIRED:
            raise _Damage(f"{RUN_FILE} has no {name!r}")
        return default
    value = meta[name]
    ok = isinstance(value, check) if isinstance(check, type) else _safely(check, value)
    if not ok:
        raise _Damage(f"{RUN_FILE}: {name} should be {wanted}, found {_preview(value)}")
    return value


def _safely(check: Callable[[Any], bool], value) -> bool:
    try:
        return bool(check(value))
    except TypeError:  # e.g. an unhashable list where a name was expected
        return False


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_time(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_figures(value) -> bool:
    return isinstance(value, dict) and all(v is None or _is_number(v) for v in value.values())


def _is_verdict(value) -> bool:
    return isinstance(value, dict) and (not value or value.get("kind") in KINDS)


def _is_best(value) -> bool:
    return value is None or (isinstance(value, list) and len(value) == 2 and _is_count(value[0])
                             and (value[1] is None or _is_number(value[1])))


def _kind(value) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _preview(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


# --- writing ----------------------------------------------------------------------------------

def _write_text(path: Path, text: str) -> None:
    """Write beside, then rename into place (atomic on POSIX and Windows); the temporary file
    never outlives a failure (a full disk must not stay full of them)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _json(data: dict) -> str:
    return json.dumps(json_safe(data), indent=2, allow_nan=False)


def _label_json(label: str) -> str:
    return _json({"label": str(label).strip()[:120]})


def _now() -> str:
    # Microseconds, so that runs made in the same second still sort in the order they began.
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
