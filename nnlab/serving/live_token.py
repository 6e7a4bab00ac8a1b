"""The live route's tokens: what lets a browser read the live curves of one run or of one group of runs
(a race, a sweep), and nothing else.

token = base64url(payload) "." base64url(HMAC-SHA256(secret, payload)), with the payload
"serials|owner|workspace|expiry": the jobs' serials in this process (comma-separated: one for Train's
run, a race's or a sweep's all), their owner (the hashed visitor key, never the visitor's id), the
store's workspace, and when the token stops working. Unguessable without
the secret (one per process: the job lives in this process anyway), bound to that run and visitor,
short-lived; each answer hands out a renewed one (ui/live_route.py)."""
from __future__ import annotations

from collections.abc import Iterable

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass

LIFETIME_SECONDS = 120.0  # renewed by each answer: a run of hours needs no rerun, a leaked token soon dies
MAX_RUNS = 16  # a token names at most this many runs (a sweep has at most 12: lessons/sweep.MAX_VALUES)
MAX_TOKEN_CHARS = 600  # a real one is ≈150 for one run, ≈300 for a sweep of 12: anything longer is not read at all


@dataclass(frozen=True)
class Claim:
    serials: tuple[int, ...]
    owner: str
    workspace: str
    expiry: int

    @property
    def serial(self) -> int:
        """The first (for Train's token, the only) run named."""
        return self.serials[0]


class LiveTokens:
    def __init__(self, secret: bytes, lifetime: float = LIFETIME_SECONDS):
        if len(secret) < 16:
            raise ValueError("a live token secret needs at least 16 bytes")
        self._secret, self.lifetime = secret, lifetime

    def make(self, serials: int | Iterable[int], owner: str, workspace: str, now: float | None = None) -> str:
        """A token for one run (a serial) or a group of runs (their serials, in the order the browser's cursors follow)."""
        serials = [int(serials)] if isinstance(serials, int) else [int(serial) for serial in serials]
        if not 1 <= len(serials) <= MAX_RUNS or len(set(serials)) != len(serials):
            raise ValueError(f"a live token names 1 to {MAX_RUNS} different runs, not {serials}")
        expiry = int((time.time() if now is None else now) + self.lifetime)
        payload = f"{','.join(map(str, serials))}|{owner}|{workspace}|{expiry}".encode()
        return _b64(payload) + "." + _b64(self._mac(payload))

    def read(self, token: object, now: float | None = None) -> Claim | None:
        """The claim of a token made here and not expired; None for anything else (forged, damaged,
        stale, too long, not a string)."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
            return None
        encoded_payload, encoded_mac = token.split(".")
        try:
            payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
        except (ValueError, binascii.Error):
            return None
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            serials, owner, workspace, expiry = payload.decode().split("|")
            claim = Claim(tuple(int(serial) for serial in serials.split(",")), owner, workspace, int(expiry))
        except ValueError:  # cannot happen for a token made here; a second guard costs nothing
            return None
        if claim.expiry < (time.time() if now is None else now):
            return None
        return claim

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or not all(c.isalnum() or c in "-_" for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
