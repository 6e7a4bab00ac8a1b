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

Modules: nnlab.run_files reads and writes the files, nnlab.run_record turns run.json into a Run,
nnlab.run_cache keeps parsed runs while their files stay the same; this one is the store.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from nnlab.config import RunConfig
from nnlab.errors import UserError
from nnlab.jsonsafe import json_safe
from nnlab.run_cache import RecentlyRead
from nnlab.run_files import (HEARTBEAT_FILE, HISTORY_FILE, LABEL_FILE, MAX_HISTORY_BYTES, MAX_RUN_FILE_BYTES,
                             MODEL_FILE, REQUIRED_HISTORY, RUN_FILE, Damage, label_json, overwrite_in_place,
                             read_history, to_json, write_text)
from nnlab.run_record import FORMAT, DamagedRun, Run, best_epoch, best_json, new_meta, now, read_run
from nnlab.status import Status
from nnlab.tasks import CLASSIFICATION

__all__ = ["RunStore", "Run", "DamagedRun", "best_epoch", "FORMAT", "RUN_FILE", "HISTORY_FILE", "LABEL_FILE",
           "MODEL_FILE", "HEARTBEAT_FILE", "MAX_RUN_FILE_BYTES", "MAX_HISTORY_BYTES", "REQUIRED_HISTORY",
           "HEARTBEAT_SECONDS", "STALE_SECONDS", "LIVE", "LEFTOVER_SECONDS"]

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0  # a training job calls RunStore.beat this often
STALE_SECONDS = 30.0  # a run marked running without a beat for this long was cut off: interrupted
LIVE = frozenset({Status.QUEUED, Status.RUNNING})  # states that need a heartbeat to be believed
LEFTOVER_SECONDS = 3600  # a hidden draft or trash folder this old was left by a killed process
_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{6}")
_DRAFT, _TRASH = ".new-", ".deleted-"
_PARTS = frozenset({RUN_FILE, LABEL_FILE, HISTORY_FILE, MODEL_FILE, HEARTBEAT_FILE})
_PARSED = RecentlyRead(10_000)  # a class's runs (50 × 50) several times over


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
            meta = new_meta(config, dataset_title=dataset_title, task=task, params=params,
                            train_examples=train_examples)
            write_text(draft / HISTORY_FILE, "")
            if label:
                write_text(draft / LABEL_FILE, label_json(label))
            (draft / HEARTBEAT_FILE).touch()
            while True:
                run_id = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
                write_text(draft / RUN_FILE, to_json({**meta, "id": run_id}))
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
        meta.update(updated=now(), epochs_run=len(history), best=best_json(frame, meta.get("task")),
                    seconds=float(sum(row.get("seconds", 0) for row in history)))
        self._write(run_id, RUN_FILE, to_json(meta))
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
                    verdict=json_safe(verdict or {}), updated=now())
        self._write(run_id, RUN_FILE, to_json(meta))

    def mark_failed(self, run_id: str, message: str) -> bool:
        """Record that the run failed, trying hard on a full disk; True if it was recorded. Never
        raises: it is what a job calls when saving has already gone wrong."""
        try:
            self._check_id(run_id)
            path = self.root / run_id / RUN_FILE
            old = path.read_bytes()
            meta = json.loads(old)
            meta.update(status=Status.FAILED.value, message=str(message), updated=now())
        except (OSError, ValueError, AttributeError, RecursionError) as error:
            log.warning("run %s: could not mark it failed: %s", run_id, error)
            return False
        try:
            self._write(run_id, RUN_FILE, to_json(meta))
            return True
        except OSError:
            pass
        try:  # a full disk has no room for a new copy, but the old file's own space can be overwritten
            return overwrite_in_place(path, old, meta)
        except OSError as error:
            log.warning("run %s: could not mark it failed: %s", run_id, error)
            return False

    # --- the user's actions -------------------------------------------------------------------

    def rename(self, run_id: str, label: str) -> None:
        self._check_id(run_id)
        if not (self.root / run_id).is_dir():
            raise UserError(f"run {run_id} no longer exists (deleted?)")
        self._write(run_id, LABEL_FILE, label_json(label))

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
                    raise Damage("not an nnlab run: its name is not a run id (like 20260101-120000-a1b2c3)")
                runs.append(self._read_run(name))
            except (Damage, OSError) as error:
                if (self.root / name).is_dir():  # else deleted while listing: gone, not damaged
                    reason = str(error) if isinstance(error, Damage) else f"cannot be read ({error.strerror or error})"
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
        except (Damage, OSError) as error:
            if not (self.root / run_id).is_dir():  # deleted while being read
                raise gone from None
            if isinstance(error, Damage):
                raise UserError(f"run {run_id} cannot be read: {error}. Delete it on the Runs page.") from None
            raise UserError(f"run {run_id} cannot be read ({error.strerror or error}); try again, "
                            f"or delete it on the Runs page.") from None
        history, problems = read_history(self.root / run_id / HISTORY_FILE)
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
        """The run as its files say now (parsed again only when they change), and whether it is alive."""
        folder = os.path.join(self.root, run_id)
        with os.scandir(folder) as entries:
            files = {entry.name: entry for entry in entries if entry.name in _PARTS}
        if RUN_FILE not in files:
            raise Damage(f"no {RUN_FILE}: not an nnlab run")
        run = _PARSED.run(folder, files, lambda: read_run(self.root / run_id, has_history=HISTORY_FILE in files,
                                                          has_model=MODEL_FILE in files))
        if run.status in LIVE:
            beat = files.get(HEARTBEAT_FILE, files[RUN_FILE])  # before heartbeats: the trainer's last write
            if time.time() - beat.stat(follow_symlinks=False).st_mtime >= self.stale_seconds:
                run.status = Status.INTERRUPTED
                run.message = run.message or ("Its training stopped without finishing (the server restarted?); "
                                              "the completed epochs are kept.")
        return run

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
        write_text(self.root / run_id / name, text)

    def _check_id(self, run_id: str) -> None:
        # Ids come back from the browser: never let one point outside the store.
        if not _ID.fullmatch(str(run_id)):
            raise UserError(f"{str(run_id)[:60]!r} is not a run id (they look like 20260101-120000-a1b2c3)")


