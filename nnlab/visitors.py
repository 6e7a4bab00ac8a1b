"""Who a visitor of a deployment is, and moving their runs to another device.

A visitor is their browser: a random id (192 bits) the server keeps in an HTTP-only cookie. Their
workspace is named from its hash, so neither links nor the database ever hold the id itself. To use
the same runs on another device, the visitor asks for a transfer code: short, valid for
CODE_MINUTES, good once; entering it in the other browser maps that browser's visitor to the
workspace (table `nnlab_visitors`). Wrong codes are limited per visitor and per server, so guessing
one of the few live codes is hopeless. README: "Deploying for a class".
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from datetime import datetime, timezone

from sqlalchemy import Engine, delete, insert, select

from nnlab.database import writing
from nnlab.errors import UserError
from nnlab.run_schema import transfer_codes, visitors

CODE_MINUTES = 10
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read off one screen, typed on another
CODE_LENGTH = 8  # 40 bits: against at most TRIES_PER_SERVER guesses per window, hopeless
TRIES_PER_VISITOR = 5  # wrong codes one visitor may enter per window
TRIES_PER_SERVER = 100  # wrong codes all visitors together may enter per window (a visitor can drop their cookie)
TRY_WINDOW_SECONDS = 600
MAX_DEVICES = 20  # other browsers mapped to one workspace; the longest-mapped one forgets first (a bound, not a use)


def key(visitor_id: str) -> str:
    """What the database knows a visitor by: the hash of their id, never the id."""
    return hashlib.sha256(f"nnlab-visitor:{visitor_id}".encode()).hexdigest()


def own_workspace(visitor_id: str) -> str:
    """The workspace a visitor starts with (a valid workspace name: 32 hex digits)."""
    return key(visitor_id)[:32]


def workspace_of(engine: Engine, visitor_id: str) -> str:
    """The workspace this visitor's browser shows: another device's after a transfer code, else their own."""
    with engine.connect() as connection:
        found = connection.execute(select(visitors.c.workspace).where(visitors.c.visitor == key(visitor_id))).scalar()
    return found or own_workspace(visitor_id)


def new_code(engine: Engine, workspace: str) -> tuple[str, float]:
    """A fresh one-time code for `workspace` (it replaces any earlier one) and when it expires (Unix
    time). Expired codes of every workspace go at the same time, so the table stays small."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires = time.time() + CODE_MINUTES * 60
    with writing(engine) as connection:
        connection.execute(delete(transfer_codes).where(
            (transfer_codes.c.expires < time.time()) | (transfer_codes.c.workspace == workspace)))
        connection.execute(insert(transfer_codes).values(code=_code_hash(code), workspace=workspace, expires=expires))
    return f"{code[:4]}-{code[4:]}", expires


def redeem(engine: Engine, visitor_id: str, typed: str) -> str:
    """Use a code: this visitor's browser shows the code's workspace from now on (returned). A UserError
    for a wrong, used or expired code, or after too many wrong ones."""
    _TRIES.check(key(visitor_id))
    code = "".join(ch for ch in str(typed).upper() if ch.isalnum())[:40]
    with writing(engine) as connection:
        row = connection.execute(select(transfer_codes.c.workspace, transfer_codes.c.expires)
                                 .where(transfer_codes.c.code == _code_hash(code))).first()
        if row is not None:  # used once: of two browsers entering it at the same moment, one deletes it, one gets 0 rows
            taken = connection.execute(delete(transfer_codes).where(transfer_codes.c.code == _code_hash(code))).rowcount
            row = row if taken == 1 else None
        if row is not None and row.expires >= time.time():
            connection.execute(delete(visitors).where(visitors.c.visitor == key(visitor_id)))
            if row.workspace != own_workspace(visitor_id):
                connection.execute(insert(visitors).values(visitor=key(visitor_id), workspace=row.workspace,
                                                           since=datetime.now(timezone.utc).isoformat()))
                devices = select(visitors.c.visitor).where(visitors.c.workspace == row.workspace)
                oldest = connection.execute(devices.order_by(visitors.c.since.desc()).offset(MAX_DEVICES)).scalars().all()
                if oldest:
                    connection.execute(delete(visitors).where(visitors.c.visitor.in_(oldest)))
            return row.workspace
    if row is not None:  # the right code, too late: no guess
        raise UserError(f"that code has expired (a code works for {CODE_MINUTES} minutes): make a new one on the "
                        f"other device")
    _TRIES.failed(key(visitor_id))
    raise UserError("that code is wrong or used already (a code works once): check it, or make a new one on the "
                    "other device")


def _code_hash(code: str) -> str:
    return hashlib.sha256(f"nnlab-transfer:{code}".encode()).hexdigest()


class _Tries:
    """Wrong codes in the last TRY_WINDOW_SECONDS, per visitor and for the whole server."""

    def __init__(self):
        self._lock = threading.Lock()
        self._server: deque[float] = deque()
        self._visitors: dict[str, deque[float]] = {}

    def _forget_old(self, now: float) -> None:
        while self._server and self._server[0] < now - TRY_WINDOW_SECONDS:
            self._server.popleft()
        for visitor in [v for v, times in self._visitors.items() if not times or times[-1] < now - TRY_WINDOW_SECONDS]:
            del self._visitors[visitor]  # bounded by the server's limit: at most TRIES_PER_SERVER entries

    def check(self, visitor: str) -> None:
        now = time.time()
        with self._lock:
            self._forget_old(now)
            mine = [t for t in self._visitors.get(visitor, ()) if t >= now - TRY_WINDOW_SECONDS]
            if len(mine) >= TRIES_PER_VISITOR or len(self._server) >= TRIES_PER_SERVER:
                oldest = mine[0] if len(mine) >= TRIES_PER_VISITOR else self._server[0]
                minutes = max(1, round((oldest + TRY_WINDOW_SECONDS - now) / 60))
                raise UserError(f"too many wrong codes: wait {minutes} minute{'s' if minutes > 1 else ''} before "
                                f"trying again, and copy the code carefully from the other device")

    def failed(self, visitor: str) -> None:
        with self._lock:
            now = time.time()
            self._server.append(now)
            self._visitors.setdefault(visitor, deque()).append(now)


_TRIES = _Tries()
