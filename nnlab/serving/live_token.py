"""The live route's tokens: what lets a browser read one run's live curves, and nothing else.

token = base64url(payload) "." base64url(HMAC-SHA256(secret, payload)), with the payload
"serial|owner|workspace|expiry": the job's serial in this process, its owner (the hashed visitor key,
never the visitor's id), the store's workspace, and when the token stops working. Unguessable without
the secret (one per process: the job lives in this process anyway), bound to that run and visitor,
short-lived; each answer hands out a renewed one (ui/live_route.py)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass

LIFETIME_SECONDS = 120.0  # renewed by each answer: a run of hours needs no rerun, a leaked token soon dies
MAX_TOKEN_CHARS = 400  # a real one is ≈150: anything longer is not read at all


@dataclass(frozen=True)
class Claim:
    serial: int
    owner: str
    workspace: str
    expiry: int


class LiveTokens:
    def __init__(self, secret: bytes, lifetime: float = LIFETIME_SECONDS):
        if len(secret) < 16:
            raise ValueError("a live token secret needs at least 16 bytes")
        self._secret, self.lifetime = secret, lifetime

    def make(self, serial: int, owner: str, workspace: str, now: float | None = None) -> str:
        expiry = int((time.time() if now is None else now) + self.lifetime)
        payload = f"{int(serial)}|{owner}|{workspace}|{expiry}".encode()
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
            serial, owner, workspace, expiry = payload.decode().split("|")
            claim = Claim(int(serial), owner, workspace, int(expiry))
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
