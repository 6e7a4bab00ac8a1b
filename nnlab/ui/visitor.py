"""The visitor's browser, told apart by a cookie: `VisitorCookie` (installed by app.py's st.App)
gives every browser a random id on the first page the server sends; pages read it back through
st.context.cookies. HTTP-only (the page's scripts cannot read it), SameSite=Lax (other sites' pages
do not send it), Secure over HTTPS; a response that sets it is `Cache-Control: private`, so a shared
cache never hands one visitor's cookie to others. The id never goes into a link. README: "Deploying
for a class".
"""
from __future__ import annotations

import re
import secrets

from starlette.requests import cookie_parser

from nnlab.store.visitors import KEEP_SECONDS

COOKIE = "nnlab_visitor"
MAX_AGE_SECONDS = KEEP_SECONDS  # the longest browsers keep a cookie (Chrome caps it there)
_ID = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24): 192 random bits


def new_id() -> str:
    return secrets.token_urlsafe(24)


def valid(value) -> bool:
    return isinstance(value, str) and bool(_ID.fullmatch(value))  # AppTest's cookies are mocks: no cookie


class VisitorCookie:
    """ASGI middleware: a response to a request without a valid visitor cookie sets a new one."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or valid(_cookie(scope)):
            await self.app(scope, receive, send)
            return
        header = _set_cookie(new_id(), secure=_https(scope)).encode("latin-1")

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*_private(message.get("headers", [])), (b"set-cookie", header)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(scope) -> str | None:
    """The visitor cookie's value, read as browsers write cookies (Starlette's parser): a neighbour it
    cannot read as RFC 2109 — `pref={"x":1}`, a value with a space — must not hide it, or every page
    would hand out a new id and the visitor's runs would change at every load."""
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            found = cookie_parser(value.decode("latin-1")).get(COOKIE)
            if found is not None:
                return found
    return None


def _private(headers: list) -> list:
    """`headers` with Cache-Control saying private: a response carrying one visitor's cookie is for that
    visitor only. A response that already forbids storing (no-store) or sharing (private) is left as it is."""
    given = [value for name, value in headers if name.lower() == b"cache-control"]
    if any(b"no-store" in value.lower() or b"private" in value.lower() for value in given):
        return list(headers)
    directives = [part.strip() for value in given for part in value.split(b",")
                  if part.strip() and part.strip().lower() not in (b"public", b"s-maxage")
                  and not part.strip().lower().startswith(b"s-maxage=")]
    return [*[(name, value) for name, value in headers if name.lower() != b"cache-control"],
            (b"cache-control", b", ".join([b"private", *directives]))]


def _https(scope) -> bool:
    """Over HTTPS, directly or behind a proxy that says so: the cookie then travels only over HTTPS."""
    if scope.get("scheme") == "https":
        return True
    return any(name == b"x-forwarded-proto" and value.split(b",")[0].strip().lower() == b"https"
               for name, value in scope.get("headers", []))


def _set_cookie(value: str, *, secure: bool) -> str:
    return (f"{COOKIE}={value}; Max-Age={MAX_AGE_SECONDS}; Path=/; HttpOnly; SameSite=Lax"
            + ("; Secure" if secure else ""))


def visitor_id() -> str:
    """This browser's id (from its cookie). Without one — AppTest has no cookies, or a browser that
    refuses them — an id for this session only: its runs stay with this tab."""
    import streamlit as st

    found = st.context.cookies.get(COOKIE)
    if valid(found):
        return found
    return st.session_state.setdefault("_visitor_without_cookie", new_id())


def has_cookie() -> bool:
    import streamlit as st

    return valid(st.context.cookies.get(COOKIE))
