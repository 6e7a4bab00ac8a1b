"""RunStore: every run kept as human-readable files, written atomically, epoch by epoch.

    <root>/<run id>/run.json      settings, status, test figures, verdict, timing (the trainer writes it)
    <root>/<run id>/history.csv   one row per completed epoch
    <root>/<run id>/label.json    the name the user gave it (only the user's actions write it)
    <root>/<run id>/model.keras   the trained model, when kept

Each file is written to a temporary name and renamed into place, so a crash mid-save leaves the
previous version, never half a file. Folders that are not readable runs are listed as damaged and
skipped. The trainer and the user's actions write different files, so a rename during training
cannot be overwritten by the next epoch.
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from nnlab.config import RunConfig
from nnlab.errors import UserError
from nnlab.jsonsafe import json_safe

RUN_FILE, HISTORY_FILE, LABEL_FILE, MODEL_FILE = "run.json", "history.csv", "label.json", "model.keras"
FORMAT = 1  # bumped if the layout of run.json changes
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")


@dataclass
class Run:
    """One saved run, as listed and loaded."""

    id: str
    label: str
    config: RunConfig
    status: str  # running, completed, stopped, early_stopped, diverged, failed, interrupted
    created: str  # ISO time, UTC
    updated: str
    dataset_title: str = ""
    task: str = "classification"
    params: int = 0
    test: dict = field(default_factory=dict)
    verdict: dict = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0  # training time so far
    epochs_run: int = 0
    has_model: bool = False
    history: pd.DataFrame | None = None  # filled by RunStore.load

    @property
    def metric(self) -> str:
        return "accuracy" if self.task == "classification" else "mae"

    @property
    def best(self) -> tuple[int, float] | None:
        """(epoch, validation metric) at the lowest validation loss."""
        if self.history is None or self.history.empty or "val_loss" not in self.history:
            return None
        valid = self.history.dropna(subset=["val_loss"])
        if valid.empty:
            return None
        row = valid.loc[valid["val_loss"].idxmin()]
        return int(row["epoch"]), float(row.get(f"val_{self.metric}", math.nan))


@dataclass
class DamagedRun:
    id: str
    reason: str


class RunStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    # --- writing (the trainer) ---------------------------------------------------------------

    def create(self, config: RunConfig, *, dataset_title: str = "", task: str = "classification",
               params: int = 0, label: str = "") -> str:
        """A new run folder with status 'running'; returns its id."""
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            run_id = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
            try:
                (self.root / run_id).mkdir()  # exclusive: two writers never share a folder
                break
            except FileExistsError:
                continue
        now = _now()
        self._write_json(run_id, RUN_FILE, {
            "format": FORMAT, "id": run_id, "config": config.to_dict(), "status": "running",
            "created": now, "updated": now, "dataset_title": dataset_title, "task": task, "params": params,
            "test": {}, "verdict": {}, "message": "", "seconds": 0.0, "epochs_run": 0,
        })
        self._write_text(run_id, HISTORY_FILE, "")
        if label:
            self.rename(run_id, label)
        return run_id

    def save_history(self, run_id: str, history: list[dict]) -> None:
        """Rewrite the history after an epoch (small: a line per epoch) and touch the run."""
        self._write_text(run_id, HISTORY_FILE, pd.DataFrame(history).to_csv(index=False))
        meta = self._read_meta(run_id)
        meta.update(updated=_now(), epochs_run=len(history), seconds=float(sum(r.get("seconds", 0) for r in history)))
        self._write_json(run_id, RUN_FILE, meta)

    def finish(self, run_id: str, *, status: str, message: str = "", test: dict | None = None,
               verdict: dict | None = None, history: list[dict] | None = None, model=None) -> None:
        if history is not None:
            self.save_history(run_id, history)
        if model is not None:
            # Keras wants a real path ending in .keras; write beside, then rename into place.
            temporary = self.root / run_id / f".{secrets.token_hex(4)}.keras"
            model.save(temporary)
            os.replace(temporary, self.root / run_id / MODEL_FILE)
        meta = self._read_meta(run_id)
        meta.update(status=status, message=message, test=json_safe(test or {}),
                    verdict=json_safe(verdict or {}), updated=_now())
        self._write_json(run_id, RUN_FILE, meta)

    # --- the user's actions -------------------------------------------------------------------

    def rename(self, run_id: str, label: str) -> None:
        self._check_id(run_id)
        self._write_json(run_id, LABEL_FILE, {"label": str(label).strip()[:120]})

    def delete(self, run_id: str) -> None:
        self._check_id(run_id)
        folder = self.root / run_id
        if folder.is_dir():
            # Rename first so a half-deleted folder never shows up as a damaged run.
            trash = self.root / f".deleted-{run_id}-{secrets.token_hex(3)}"
            os.replace(folder, trash)
            shutil.rmtree(trash, ignore_errors=True)

    # --- reading ------------------------------------------------------------------------------

    def list(self, active: set[str] | frozenset = frozenset()) -> tuple[list[Run], list[DamagedRun]]:
        """All runs, newest first, and the folders that could not be read. A run still marked
        'running' that no live job in `active` owns was cut off (the process ended): 'interrupted'."""
        runs, damaged = [], []
        if not self.root.is_dir():
            return runs, damaged
        for folder in sorted(self.root.iterdir()):
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            try:
                run = self._read_run(folder.name)
            except (OSError, ValueError, KeyError, TypeError, UserError) as error:
                damaged.append(DamagedRun(folder.name, _reason(error)))
                continue
            if run.status == "running" and run.id not in active:
                run.status = "interrupted"
            runs.append(run)
        runs.sort(key=lambda run: run.created, reverse=True)
        return runs, damaged

    def load(self, run_id: str) -> Run:
        """One run with its history as a DataFrame; a UserError if it is gone or unreadable."""
        self._check_id(run_id)
        try:
            run = self._read_run(run_id)
            text = (self.root / run_id / HISTORY_FILE).read_text(encoding="utf-8")
            run.history = pd.read_csv(io.StringIO(text)) if text.strip() else pd.DataFrame()
        except FileNotFoundError:
            raise UserError(f"run {run_id} no longer exists (deleted?)") from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UserError(f"run {run_id} cannot be read: {_reason(error)}") from None
        return run

    def model_path(self, run_id: str) -> Path | None:
        path = self.root / run_id / MODEL_FILE
        return path if path.is_file() else None

    # --- files --------------------------------------------------------------------------------

    def _read_run(self, run_id: str) -> Run:
        meta = self._read_meta(run_id)
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown format {meta.get('format')!r}")
        label_path = self.root / run_id / LABEL_FILE
        label = json.loads(label_path.read_text(encoding="utf-8"))["label"] if label_path.is_file() else ""
        return Run(
            id=run_id, label=label, config=RunConfig.from_dict(meta["config"]), status=meta["status"],
            created=meta["created"], updated=meta["updated"], dataset_title=meta.get("dataset_title", ""),
            task=meta.get("task", "classification"), params=int(meta.get("params", 0)), test=meta.get("test") or {},
            verdict=meta.get("verdict") or {}, message=meta.get("message", ""), seconds=float(meta.get("seconds", 0)),
            epochs_run=int(meta.get("epochs_run", 0)), has_model=(self.root / run_id / MODEL_FILE).is_file(),
        )

    def _read_meta(self, run_id: str) -> dict:
        path = self.root / run_id / RUN_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no {RUN_FILE}: not an nnlab run")
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError(f"{RUN_FILE} holds no settings")
        return meta

    def _write_json(self, run_id: str, name: str, data: dict) -> None:
        self._write_text(run_id, name, json.dumps(json_safe(data), indent=2, allow_nan=False))

    def _write_text(self, run_id: str, name: str, text: str) -> None:
        folder = self.root / run_id
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, folder / name)  # atomic on POSIX and Windows
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _check_id(self, run_id: str) -> None:
        # Ids come back from the browser: never let one point outside the store.
        if not _ID.match(str(run_id)):
            raise UserError(f"{run_id!r} is not a run id")


def _now() -> str:
    # Microseconds, so that runs made in the same second still sort in the order they began.
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _reason(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]
