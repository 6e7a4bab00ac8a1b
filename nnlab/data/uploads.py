"""A visitor's uploaded CSV files, kept in their workspace and named by an id, never by a path.

    <root>/<id>.csv    the bytes as uploaded; the id is the start of their SHA-256, so the same file
                       uploaded twice is stored once
    <root>/<id>.json   what the visitor called it (for display only) and when it came

Everything that comes back from a browser is an id, checked against a strict pattern before it
touches the disk: no name, path or link a visitor types can reach outside the folder.

Bounded per visitor (NNLAB_UPLOAD_QUOTA_MB, their folder) and per server (NNLAB_SERVER_UPLOAD_QUOTA_MB,
every workspace's uploads under the server's folder, `server_root`); expiry runs over every
workspace's uploads (`expire_everywhere`), not only the uploading visitor's: a workspace nobody
comes back to does not keep its files for ever.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from nnlab.core.atomic_file import write_atomic
from nnlab.core import deployment
from nnlab.core.errors import UserError

log = logging.getLogger(__name__)

FOLDER = ".uploads"  # a workspace's uploads: UploadStore(workspace / FOLDER); hidden, so its RunStore skips it
ID_LENGTH = 16  # hex digits of SHA-256: 64 bits, no accidental collisions among a class's files
_ID = re.compile(rf"[0-9a-f]{{{ID_LENGTH}}}")
_MB = 1_000_000


def content_id(data: bytes) -> str:
    """The id of these bytes: the start of their SHA-256 (the same file uploaded twice is one upload)."""
    return hashlib.sha256(data).hexdigest()[:ID_LENGTH]


def is_id(text) -> bool:
    """Whether `text` has an id's shape (checked before it touches a disk or a database)."""
    return isinstance(text, str) and _ID.fullmatch(text) is not None


@dataclass(frozen=True)
class Upload:
    id: str
    name: str  # the file's name on the visitor's computer, for display only
    size: int  # bytes
    uploaded: str  # ISO time, UTC


def upload_folders(server_root: Path) -> list[Path]:
    """Every workspace's uploads folder under the server's folder (<root>/<name>/.uploads, or one level deeper)."""
    root = Path(server_root)
    try:
        return [path for path in (*root.glob(f"*/{FOLDER}"), *root.glob(f"*/*/{FOLDER}"))
                if path.is_dir() and not path.is_symlink()]
    except OSError:
        return []


def server_used_bytes(server_root: Path) -> int:
    return sum(UploadStore(folder, 0).used_bytes() for folder in upload_folders(server_root))


def expire_everywhere(server_root: Path, older_than_seconds: float) -> int:
    """Expire the uploads of every workspace under the server's folder; how many went."""
    return sum(len(UploadStore(folder, 0).expire(older_than_seconds)) for folder in upload_folders(server_root))


class UploadStore:
    def __init__(self, root: Path, quota_bytes: int | None = None, *, quota_root: Path | None = None,
                 server_root: Path | None = None, server_quota_bytes: int | None = None):
        """`quota_root`: the folder whose whole size the quota limits (e.g. the workspace, so its runs
        count too); by default the uploads alone. `server_root`: the server's folder of workspaces,
        whose uploads together `server_quota_bytes` limits. Unset quotas are the deployment's
        (NNLAB_UPLOAD_QUOTA_MB, NNLAB_SERVER_UPLOAD_QUOTA_MB)."""
        settings = deployment.current()
        self.root = Path(root)
        self.quota_bytes = settings.upload_quota_bytes if quota_bytes is None else int(quota_bytes)
        self.quota_root = Path(quota_root) if quota_root is not None else self.root
        self.server_root = Path(server_root) if server_root is not None else None
        self.server_quota_bytes = (settings.server_upload_quota_bytes
                                   if server_quota_bytes is None and server_root is not None else server_quota_bytes)

    def save(self, data: bytes, name: str) -> Upload:
        """Keep the bytes; the same bytes again give the same id (and the newer name)."""
        if not data:
            raise UserError("The file is empty: choose a CSV file with a header row and data rows.")
        upload_id = content_id(data)
        target = self.root / f"{upload_id}.csv"
        extra = 0 if target.is_file() else len(data)
        used = self.used_bytes()
        if used + extra > self.quota_bytes:
            kept = "This workspace's runs and uploads" if self.quota_root != self.root else "Your uploads"
            raise UserError(
                f"{kept} take {_size(used)} of the {_size(self.quota_bytes)} allowed, and this file needs "
                f"{_size(extra)} more. Delete runs or uploads you no longer need, or use a smaller file.")
        if extra and self.server_root is not None and self.server_quota_bytes is not None:
            everyone = server_used_bytes(self.server_root)
            if everyone + extra > self.server_quota_bytes:
                raise UserError(
                    f"This server's uploads, everyone's together, take {_size(everyone)} of the "
                    f"{_size(self.server_quota_bytes)} it allows, and this file needs {_size(extra)} more. Use a "
                    f"smaller file, or try again later: uploads nobody used for a while are removed.")
        upload = Upload(upload_id, _display_name(name), len(data), _now())
        meta = {"name": upload.name, "size": upload.size, "uploaded": upload.uploaded}
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if extra:
                write_atomic(target, data)
            write_atomic(self.root / f"{upload_id}.json", json.dumps(meta).encode())
            os.utime(target)  # uploading again restarts the expiry clock
        except OSError as error:  # a full or read-only disk: the server's trouble, told as what to do
            if extra:
                target.unlink(missing_ok=True)
            raise UserError(f"The file could not be kept ({error.strerror or error}). Delete runs or uploads you "
                            f"no longer need, or try again later.") from None
        return upload

    def path(self, upload_id: str) -> Path:
        """The file of an upload, for reading; a UserError for anything not a present upload's id."""
        return self._data(self._checked(upload_id))

    def get(self, upload_id: str) -> Upload:
        upload_id = self._checked(upload_id)
        return self._describe(upload_id, self._data(upload_id))

    def list(self) -> list[Upload]:
        """Every upload, newest first. Never raises for what is in the folder."""
        uploads = []
        try:
            entries = list(self.root.iterdir())
        except OSError:
            return uploads
        for path in entries:
            if path.suffix == ".csv" and _ID.fullmatch(path.stem) and path.is_file():
                try:
                    uploads.append(self._describe(path.stem, path))
                except OSError:  # deleted meanwhile
                    continue
        return sorted(uploads, key=lambda upload: upload.uploaded, reverse=True)

    def delete(self, upload_id: str) -> None:
        upload_id = self._checked(upload_id)
        for suffix in (".csv", ".json"):
            (self.root / f"{upload_id}{suffix}").unlink(missing_ok=True)

    def used_bytes(self) -> int:
        """Bytes of every file under the quota's folder (links not followed)."""
        total, folders = 0, [self.quota_root]
        while folders:
            try:
                with os.scandir(folders.pop()) as entries:
                    for entry in entries:
                        try:
                            if entry.is_dir(follow_symlinks=False):
                                folders.append(entry.path)
                            else:
                                total += entry.stat(follow_symlinks=False).st_size
                        except OSError:  # removed while counting
                            continue
            except OSError:
                continue
        return total

    def expire(self, older_than_seconds: float) -> list[str]:
        """Delete uploads (and leftover temporary files) not uploaded again for this long; their ids."""
        cutoff = time.time() - older_than_seconds
        removed = []
        try:
            entries = list(self.root.iterdir())
        except OSError:
            return removed
        for path in entries:
            try:
                if path.stat().st_mtime >= cutoff:
                    continue
                if path.suffix == ".csv" and _ID.fullmatch(path.stem):
                    self.delete(path.stem)
                    removed.append(path.stem)
                elif path.name.startswith(".") and path.name.endswith(".tmp"):
                    path.unlink(missing_ok=True)
                elif path.suffix == ".json" and _ID.fullmatch(path.stem) and not path.with_suffix(".csv").exists():
                    path.unlink(missing_ok=True)  # the description of an upload already gone
            except OSError as error:
                log.warning("could not expire %s: %s", path.name, error)
        return removed

    def _checked(self, upload_id) -> str:
        # Ids come back from the browser: only the exact form reaches the disk.
        if not is_id(upload_id):
            raise UserError(f"{str(upload_id)[:40]!r} is not an upload id; choose the file again from your uploads.")
        return upload_id

    def _data(self, upload_id: str) -> Path:
        path = self.root / f"{upload_id}.csv"
        if not path.is_file():
            raise UserError(f"Upload {upload_id} is no longer here (deleted or expired): upload the file again.")
        return path

    def _describe(self, upload_id: str, path: Path) -> Upload:
        size = path.stat().st_size
        try:
            meta = json.loads((self.root / f"{upload_id}.json").read_bytes())
            name, uploaded = meta["name"], meta["uploaded"]
            if not (isinstance(name, str) and isinstance(uploaded, str)):
                raise TypeError
        except (OSError, ValueError, KeyError, TypeError):  # no description: the file still works
            name = f"{upload_id}.csv"
            uploaded = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="microseconds")
        return Upload(upload_id, name, size, uploaded)


def _display_name(name: str) -> str:
    """The last part of whatever name the browser sent, without control characters, at most 120."""
    text = unicodedata.normalize("NFC", str(name)).replace("\\", "/").split("/")[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    return text[:120] or "upload.csv"


def _size(count: int) -> str:
    return f"{count / _MB:.1f} MB" if count >= _MB else f"{count / 1000:.1f} KB"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
