"""Who a visitor of a deployment is, and moving their runs to another device.

A visitor is their browser: a random id (192 bits) the server keeps in an HTTP-only cookie. Their
workspace is named from its hash, so neither links nor the database ever hold the id itself. To use
the same runs on another device, the visitor asks for a transfer code: short, valid for
CODE_MINUTES, good once; entering it in the other browser maps that browser's visitor to the
workspace (table `nnlab_visitors`). A mapping can be undone from either side (a code typed on a
shared lab computer), ends after KEEP_SECONDS unused, and the table is bounded server-wide. Wrong
codes are limited per visitor, per address and per server, so guessing one of the few live codes is
hopeless. README: "Deploying for a class".
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from nnlab.core import deployment
from nnlab.store.database import writing
from nnlab.core.errors import UserError
from nnlab.store.schema import transfer_codes, visitors

CODE_MINUTES = 10
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read off one screen, typed on another
CODE_LENGTH = 8  # 32**8 = 2**40 codes
# Wrong codes per TRY_WINDOW_SECONDS. A visitor can drop their cookie (a script opens sessions
# without one), so the visitor's limit alone holds back only the careless; the address's limit holds
# back one machine, yet lets a class behind one school router (one address, ~50 students) make a
# couple of mistakes each; the server's limit bounds many machines together. The server's limit must
# stay far above what one address may use, or one script locks every visitor out of transfer codes.
# (Behind a proxy on another machine every visitor has the proxy's address unless uvicorn trusts it:
# FORWARDED_ALLOW_IPS, README.)
# Against 2**40 codes, 10 000 guesses per 10 minutes, nonstop (from 100 addresses at least), find
# one of 10 live codes about once in 200 years; a code lives 10 minutes.
TRIES_PER_VISITOR = 5
TRIES_PER_ADDRESS = 100
TRIES_PER_SERVER = 10_000
TRY_WINDOW_SECONDS = 600
MAX_DEVICES = 20  # other browsers mapped to one workspace; the longest unused one forgets first (a bound, not a use)
KEEP_SECONDS = 400 * 86_400  # the visitor cookie's age (the longest browsers keep one): a mapping unused this long goes
TOUCH_SECONDS = 86_400  # a mapping's `since` is when it was last used, to the day (not a write per page)


def key(visitor_id: str) -> str:
    """What the database knows a visitor by: the hash of their id, never the id."""
    return hashlib.sha256(f"nnlab-visitor:{visitor_id}".encode()).hexdigest()


def own_workspace(visitor_id: str) -> str:
    """The workspace a visitor starts with (a valid workspace name: 32 hex digits)."""
    return key(visitor_id)[:32]


def max_rows() -> int:
    """The most browsers mapped by codes (and live codes), server-wide: NNLAB_MAX_VISITOR_ROWS."""
    return deployment.current().max_visitor_rows


def workspace_of(engine: Engine, visitor_id: str) -> str:
    """The workspace this visitor's browser shows: another device's after a transfer code, else their own.
    A mapping unused for KEEP_SECONDS is gone; a used one is marked used (at most once a day)."""
    with engine.connect() as connection:
        found = connection.execute(select(visitors.c.workspace, visitors.c.since)
                                   .where(visitors.c.visitor == key(visitor_id))).first()
    if found is None:
        return own_workspace(visitor_id)
    if found.since < _moment(-KEEP_SECONDS):
        with writing(engine) as connection:
            connection.execute(delete(visitors).where(visitors.c.visitor == key(visitor_id)))
        return own_workspace(visitor_id)
    if found.since < _moment(-TOUCH_SECONDS):
        with writing(engine) as connection:
            connection.execute(update(visitors).where(visitors.c.visitor == key(visitor_id)).values(since=_moment()))
    return found.workspace


def forget_this_browser(engine: Engine, visitor_id: str) -> str:
    """This browser stops showing another device's runs (a code typed on a shared computer): it shows its
    own workspace again (returned)."""
    with writing(engine) as connection:
        connection.execute(delete(visitors).where(visitors.c.visitor == key(visitor_id)))
    return own_workspace(visitor_id)


def forget_other_devices(engine: Engine, visitor_id: str) -> int:
    """Every other browser that entered a code for the workspace this browser shows stops showing it, and
    a code not used yet stops working; how many browsers were forgotten. (The browser whose own
    workspace it is keeps it: it holds no mapping.)"""
    workspace = workspace_of(engine, visitor_id)
    with writing(engine) as connection:
        connection.execute(delete(transfer_codes).where(transfer_codes.c.workspace == workspace))
        return connection.execute(delete(visitors).where(
            (visitors.c.workspace == workspace) & (visitors.c.visitor != key(visitor_id)))).rowcount


def new_code(engine: Engine, workspace: str) -> tuple[str, float]:
    """A fresh one-time code for `workspace` (it replaces any earlier one) and when it expires (Unix
    time). Expired codes of every workspace go at the same time, so the table stays small; beyond
    max_rows() live codes, none is made until some expire."""
    for attempt in range(2):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        expires = time.time() + CODE_MINUTES * 60
        try:
            with writing(engine) as connection:
                connection.execute(delete(transfer_codes).where(
                    (transfer_codes.c.expires < time.time()) | (transfer_codes.c.workspace == workspace)))
                if connection.execute(select(func.count()).select_from(transfer_codes)).scalar() >= max_rows():
                    raise UserError(f"too many codes are waiting to be used on this server: try again in "
                                    f"{CODE_MINUTES} minutes")
                connection.execute(insert(transfer_codes).values(code=_code_hash(code), workspace=workspace,
                                                                 expires=expires))
        except IntegrityError:
            # Two tabs asked at the same moment: the other's code went in first (the workspace has one
            # live code). Once more, replacing it: the later code is the one that works.
            if attempt:
                raise
        else:
            return f"{code[:4]}-{code[4:]}", expires
    raise AssertionError("unreachable")


def redeem(engine: Engine, visitor_id: str, typed: str, address: str | None = None) -> str:
    """Use a code: this visitor's browser shows the code's workspace from now on (returned). A UserError
    for a wrong, used or expired code, or after too many wrong ones from this visitor, from their
    network `address` (None: unknown, e.g. this computer) or from everyone."""
    _TRIES.check(key(visitor_id), address)
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
                                                           since=_moment()))
                _bound(connection, select(visitors.c.visitor).where(visitors.c.workspace == row.workspace),
                       MAX_DEVICES)
                connection.execute(delete(visitors).where(visitors.c.since < _moment(-KEEP_SECONDS)))
                _bound(connection, select(visitors.c.visitor), max_rows())
            return row.workspace
    if row is not None:  # the right code, too late: no guess
        raise UserError(f"that code has expired (a code works for {CODE_MINUTES} minutes): make a new one on the "
                        f"other device")
    _TRIES.failed(key(visitor_id), address)
    raise UserError("that code is wrong or used already (a code works once): check it, or make a new one on the "
                    "other device")


def _bound(connection, mappings, most: int) -> None:
    """Of `mappings` (a select of visitors), all but the `most` last used go."""
    oldest = connection.execute(mappings.order_by(visitors.c.since.desc(), visitors.c.visitor)
                                .offset(most)).scalars().all()
    for start in range(0, len(oldest), 500):  # a bounded IN list per statement
        connection.execute(delete(visitors).where(visitors.c.visitor.in_(oldest[start:start + 500])))


def _moment(offset_seconds: float = 0) -> str:
    """A UTC time as `since` holds it: one fixed-width text, so that texts compare as times do."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=offset_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _code_hash(code: str) -> str:
    return hashlib.sha256(f"nnlab-transfer:{code}".encode()).hexdigest()


class _Tries:
    """Wrong codes in the last TRY_WINDOW_SECONDS, per visitor, per network address and for the whole server."""

    def __init__(self):
        self._lock = threading.Lock()
        self._server: deque[float] = deque()
        self._senders: dict[str, deque[float]] = {}  # "visitor:…" or "address:…" → when their wrong codes came

    def _forget_old(self, now: float) -> None:
        while self._server and self._server[0] < now - TRY_WINDOW_SECONDS:
            self._server.popleft()
        for sender in [s for s, times in self._senders.items() if not times or times[-1] < now - TRY_WINDOW_SECONDS]:
            del self._senders[sender]  # bounded by the server's limit: at most 2 × TRIES_PER_SERVER entries

    @staticmethod
    def _limits(visitor: str, address: str | None) -> list[tuple[str, int, str]]:
        limits = [(f"visitor:{visitor}", TRIES_PER_VISITOR, "")]
        if address:
            limits.append((f"address:{address}", TRIES_PER_ADDRESS, " from your network"))
        return limits

    def check(self, visitor: str, address: str | None = None) -> None:
        now = time.time()
        with self._lock:
            self._forget_old(now)
            blocked = []  # (the wrong code whose expiry lifts a limit, where)
            if len(self._server) >= TRIES_PER_SERVER:
                blocked.append((self._server[-TRIES_PER_SERVER], " on this server"))
            for sender, most, where in self._limits(visitor, address):
                times = [t for t in self._senders.get(sender, ()) if t >= now - TRY_WINDOW_SECONDS]
                if len(times) >= most:
                    blocked.append((times[-most], where))
            if blocked:
                oldest, where = max(blocked)  # the limit that lasts longest
                minutes = max(1, round((oldest + TRY_WINDOW_SECONDS - now) / 60))
                raise UserError(f"too many wrong codes{where}: wait {minutes} minute{'s' if minutes > 1 else ''} "
                                f"before trying again, and copy the code carefully from the other device")

    def failed(self, visitor: str, address: str | None = None) -> None:
        with self._lock:
            now = time.time()
            self._server.append(now)
            for sender, _, _ in self._limits(visitor, address):
                self._senders.setdefault(sender, deque()).append(now)


_TRIES = _Tries()
