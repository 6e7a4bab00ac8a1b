"""A deployment's visitors: the cookie's middleware, and transfer codes in the runs' database
(SQLite and PostgreSQL)."""
import asyncio
import time

import pytest
from sqlalchemy import update

from nnlab import database, visitors
from nnlab.errors import UserError
from nnlab.run_schema import transfer_codes
from nnlab.runs import RunStore
from nnlab.ui.visitor import COOKIE, VisitorCookie, new_id, valid


def served(headers: list[tuple[bytes, bytes]], scheme: str = "http", kind: str = "http") -> list[bytes]:
    """The Set-Cookie headers VisitorCookie adds to a page answered for a request with `headers`."""
    sent = []

    async def page(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"<html></html>"})

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    asyncio.run(VisitorCookie(page)({"type": kind, "scheme": scheme, "headers": headers, "path": "/"}, receive, send))
    return [value for message in sent if message["type"] == "http.response.start"
            for name, value in message["headers"] if name == b"set-cookie"]


def test_a_browser_without_a_visitor_cookie_gets_one_http_only_and_same_site():
    [cookie] = served([])
    text = cookie.decode()
    value = text.split(";")[0].split("=", 1)[1]
    assert text.startswith(f"{COOKIE}=") and valid(value) and len(value) * 6 >= 128
    assert "HttpOnly" in text and "SameSite=Lax" in text and "Secure" not in text and "Max-Age=" in text
    assert served([(b"cookie", f"other=1; {COOKIE}={value}".encode())]) == []  # kept: not set again
    assert len(served([(b"cookie", f"{COOKIE}=short".encode())])) == 1  # a made-up value is replaced
    assert len(served([(b"cookie", b"\xff=;;\"")])) == 1  # a malformed header is no cookie
    assert b"Secure" in served([], scheme="https")[0]
    assert b"Secure" in served([(b"x-forwarded-proto", b"https")])[0]  # behind the school's HTTPS proxy
    assert served([], kind="lifespan") == []
    assert len({served([])[0] for _ in range(20)}) == 20 and new_id() != new_id()


def test_a_transfer_code_maps_another_browser_to_the_workspace_once(database_url, monkeypatch):
    monkeypatch.setattr(visitors, "_TRIES", visitors._Tries())
    engine = RunStore(database_url).engine()
    alice, bob, carol = new_id(), new_id(), new_id()
    home = visitors.own_workspace(alice)
    assert visitors.workspace_of(engine, alice) == home != visitors.workspace_of(engine, bob)
    first, _ = visitors.new_code(engine, home)
    code, expires = visitors.new_code(engine, home)  # a new code replaces the earlier one
    assert expires > time.time() + 60 and code != first
    with pytest.raises(UserError, match="wrong or used already"):
        visitors.redeem(engine, bob, first)
    assert visitors.redeem(engine, bob, f" {code.lower().replace('-', ' ')} ") == home
    assert visitors.workspace_of(engine, bob) == home
    with pytest.raises(UserError, match="wrong or used already"):
        visitors.redeem(engine, carol, code)  # once
    late, _ = visitors.new_code(engine, home)
    with database.writing(engine) as connection:
        connection.execute(update(transfer_codes).values(expires=time.time() - 1))
    with pytest.raises(UserError, match="expired"):
        visitors.redeem(engine, carol, late)
    assert visitors.workspace_of(engine, carol) == visitors.own_workspace(carol)
    back, _ = visitors.new_code(engine, visitors.own_workspace(bob))  # bob takes his own back
    assert visitors.redeem(engine, bob, back) == visitors.own_workspace(bob) == visitors.workspace_of(engine, bob)
    with engine.connect() as connection:  # the database holds hashes, never an id or a code
        stored = " ".join(str(v) for table in ("nnlab_visitors", "nnlab_transfer_codes")
                          for row in connection.exec_driver_sql(f"SELECT * FROM {table}") for v in row)
    assert all(secret not in stored for secret in (alice, bob, carol, code, code.replace("-", "")))


def test_guessing_is_limited_per_visitor_and_per_server(monkeypatch, tmp_path):
    monkeypatch.setattr(visitors, "_TRIES", visitors._Tries())
    engine = RunStore(f"sqlite:///{tmp_path / 'nnlab.sqlite'}").engine()
    code, _ = visitors.new_code(engine, "a-workspace")
    guesser = new_id()
    for _ in range(visitors.TRIES_PER_VISITOR):
        with pytest.raises(UserError, match="wrong"):
            visitors.redeem(engine, guesser, "AAAA-AAAA")
    with pytest.raises(UserError, match="too many wrong codes: wait 10 minutes"):
        visitors.redeem(engine, guesser, code)
    monkeypatch.setattr(visitors, "TRIES_PER_SERVER", visitors.TRIES_PER_VISITOR + 2)
    for _ in range(2):  # others guessing too: the server's limit
        with pytest.raises(UserError, match="wrong"):
            visitors.redeem(engine, new_id(), "AAAA-AAAA")
    with pytest.raises(UserError, match="too many wrong codes"):
        visitors.redeem(engine, new_id(), code)
    monkeypatch.setattr(visitors, "TRY_WINDOW_SECONDS", 0)  # the window passed
    assert visitors.redeem(engine, guesser, code) == "a-workspace"


def test_one_workspace_maps_at_most_a_bounded_number_of_browsers(monkeypatch, tmp_path):
    monkeypatch.setattr(visitors, "MAX_DEVICES", 3)
    engine = RunStore(f"sqlite:///{tmp_path / 'nnlab.sqlite'}").engine()
    browsers = [new_id() for _ in range(5)]
    for browser in browsers:
        code, _ = visitors.new_code(engine, "a-workspace")
        assert visitors.redeem(engine, browser, code) == "a-workspace"
    assert [visitors.workspace_of(engine, b) == "a-workspace" for b in browsers] == [False, False, True, True, True]
