"""A deployment's visitors: the cookie's middleware, and transfer codes in the runs' database
(SQLite and PostgreSQL)."""
import asyncio
import threading
import time

import pytest
from sqlalchemy import func, insert, select, text, update

from nnlab.core.deployment import Deployment
from nnlab.store import database, visitors
from nnlab.core.errors import UserError
from nnlab.store.schema import transfer_codes, visitors as mappings
from nnlab.store.runs import RunStore
from nnlab.ui.visitor import COOKIE, VisitorCookie, new_id, valid


def served(headers: list[tuple[bytes, bytes]], scheme: str = "http", kind: str = "http") -> list[bytes]:
    """The Set-Cookie headers VisitorCookie adds to a page answered for a request with `headers`."""
    return [value for name, value in answered(headers, scheme=scheme, kind=kind) if name == b"set-cookie"]


def answered(headers: list[tuple[bytes, bytes]], page_headers: tuple = (), scheme: str = "http",
             kind: str = "http") -> list[tuple[bytes, bytes]]:
    """The response headers of a page (which sends `page_headers`) behind VisitorCookie, for a request
    with `headers`."""
    sent = []

    async def page(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html"), *page_headers]})
        await send({"type": "http.response.body", "body": b"<html></html>"})

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    asyncio.run(VisitorCookie(page)({"type": kind, "scheme": scheme, "headers": headers, "path": "/"}, receive, send))
    return [header for message in sent if message["type"] == "http.response.start" for header in message["headers"]]


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


@pytest.mark.parametrize("neighbour", ['pref={"x":1}', "greeting=hello world", 'quoted="a;b"x', "=", "a\\b=c"])
def test_a_cookie_python_cannot_read_beside_the_visitor_cookie_hides_nothing(neighbour):
    """Browsers send cookies other scripts wrote, as they wrote them: the visitor keeps their id anyway
    (else every page would hand out a new one, and the visitor's runs would change at every load)."""
    mine = new_id()
    for header in (f"{neighbour}; {COOKIE}={mine}", f"{COOKIE}={mine}; {neighbour}"):
        assert served([(b"cookie", header.encode())]) == [], header


def test_a_response_setting_the_cookie_is_never_kept_by_a_shared_cache():
    def cache_control(headers):
        return [value for name, value in headers if name == b"cache-control"]

    assert cache_control(answered([])) == [b"private"]
    assert cache_control(answered([], page_headers=[(b"cache-control", b"public, max-age=3600")])) == \
        [b"private, max-age=3600"]
    assert cache_control(answered([], page_headers=[(b"Cache-Control", b"no-cache, s-maxage=60")])) == \
        [b"private, no-cache"]
    for kept in (b"no-store", b"private, max-age=60", b"no-cache, no-store, must-revalidate"):  # left as they are
        assert cache_control(answered([], page_headers=[(b"cache-control", kept)])) == [kept]
    known = [(b"cookie", f"{COOKIE}={new_id()}".encode())]  # no cookie set: the page's own caching stands
    assert cache_control(answered(known)) == []
    assert cache_control(answered(known, page_headers=[(b"cache-control", b"public, max-age=60")])) == \
        [b"public, max-age=60"]


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


def mapped(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(mappings)).scalar()


def test_a_mapping_can_be_undone_from_this_browser_and_from_the_others(database_url):
    """A code typed on a shared lab computer: that computer stops showing the runs, or the student's own
    device makes every other browser forget them; the code's browser gets its own runs back."""
    engine = RunStore(database_url).engine()
    alice, lab, carol, dave = new_id(), new_id(), new_id(), new_id()
    home = visitors.own_workspace(alice)
    for browser in (lab, carol, dave):
        code, _ = visitors.new_code(engine, home)
        assert visitors.redeem(engine, browser, code) == home == visitors.workspace_of(engine, browser)
    assert visitors.forget_this_browser(engine, lab) == visitors.own_workspace(lab)
    assert visitors.workspace_of(engine, lab) == visitors.own_workspace(lab)  # its own runs again
    assert visitors.workspace_of(engine, carol) == home  # the others are not touched
    pending, _ = visitors.new_code(engine, home)  # a code made, not used yet ...
    assert visitors.forget_other_devices(engine, carol) == 1  # from a mapped browser: dave goes, carol stays
    assert [visitors.workspace_of(engine, b) for b in (alice, carol, dave)] == [home, home, visitors.own_workspace(dave)]
    with pytest.raises(UserError, match="wrong or used already"):
        visitors.redeem(engine, new_id(), pending)  # ... works no more
    assert visitors.forget_other_devices(engine, alice) == 1  # from the owner: every other browser goes
    assert visitors.workspace_of(engine, carol) == visitors.own_workspace(carol)
    assert visitors.forget_other_devices(engine, alice) == 0 and mapped(engine) == 0
    assert visitors.forget_this_browser(engine, alice) == home  # nothing to undo: still their own


def test_mappings_unused_for_the_cookies_age_go_and_the_table_is_bounded(database_url, deployment):
    engine = RunStore(database_url).engine()
    old, recent, fresh = new_id(), new_id(), new_id()
    for browser in (old, recent, fresh):
        code, _ = visitors.new_code(engine, "a-workspace")
        visitors.redeem(engine, browser, code)

    def age(browser, days):
        with database.writing(engine) as connection:
            connection.execute(update(mappings).where(mappings.c.visitor == visitors.key(browser))
                               .values(since=visitors._moment(-days * 86_400)))

    def since(browser):
        with engine.connect() as connection:
            found = select(mappings.c.since).where(mappings.c.visitor == visitors.key(browser))
            return connection.execute(found).scalar()

    age(old, 401)
    age(recent, 2)
    assert visitors.workspace_of(engine, old) == visitors.own_workspace(old) and since(old) is None  # gone
    assert visitors.workspace_of(engine, recent) == "a-workspace"
    assert since(recent) > visitors._moment(-60)  # its use is remembered (the day it was used)
    age(fresh, 401)  # unused ever since: the next code used anywhere clears it out, server-wide
    code, _ = visitors.new_code(engine, "another-workspace")
    visitors.redeem(engine, new_id(), code)
    assert since(fresh) is None and mapped(engine) == 2

    deployment(max_visitor_rows=3)  # NNLAB_MAX_VISITOR_ROWS, the server's bound: the longest unused go first
    age(recent, 3)
    newest = []
    for _ in range(3):
        newest.append(new_id())
        code, _ = visitors.new_code(engine, visitors.own_workspace(new_id()))
        visitors.redeem(engine, newest[-1], code)
    assert mapped(engine) == 3 and since(recent) is None
    assert all(since(browser) is not None for browser in newest)
    for _ in range(3):  # live codes are bounded too
        visitors.new_code(engine, visitors.own_workspace(new_id()))
    with pytest.raises(UserError, match="too many codes"):
        visitors.new_code(engine, visitors.own_workspace(new_id()))
    with pytest.raises(ValueError, match="NNLAB_MAX_VISITOR_ROWS must be a whole number"):
        Deployment.from_environment({"NNLAB_MAX_VISITOR_ROWS": "many"})


def test_one_address_guessing_without_cookies_locks_out_only_itself(monkeypatch, tmp_path):
    """A script opening session after session without a cookie (a new visitor each time) from one
    address: it is stopped, and the class keeps using codes."""
    monkeypatch.setattr(visitors, "_TRIES", visitors._Tries())
    engine = RunStore(f"sqlite:///{tmp_path / 'nnlab.sqlite'}").engine()
    code, _ = visitors.new_code(engine, "a-workspace")
    refused = 0
    for guess in range(visitors.TRIES_PER_SERVER // 10):  # far more than one address may try
        with pytest.raises(UserError) as error:
            visitors.redeem(engine, new_id(), f"AAAA-{guess:04d}", address="203.0.113.9")
        refused += "too many wrong codes from your network: wait 10 minutes" in str(error.value)
    assert refused == visitors.TRIES_PER_SERVER // 10 - visitors.TRIES_PER_ADDRESS
    with pytest.raises(UserError, match="from your network"):
        visitors.redeem(engine, new_id(), code, address="203.0.113.9")  # even the right code, from there
    assert visitors.redeem(engine, new_id(), code, address="198.51.100.7") == "a-workspace"  # another student
    # A class behind one school router shares one address: a couple of mistakes each is allowed.
    assert visitors.TRIES_PER_ADDRESS >= 100 and visitors.TRIES_PER_SERVER >= 100 * visitors.TRIES_PER_ADDRESS


def test_two_tabs_making_a_code_at_the_same_moment_both_get_one(postgres_url):
    """On PostgreSQL, the second of two simultaneous inserts for one workspace waits for the first and then
    meets its unique code: it tries once more, replacing it (the later code is the one that works)."""
    engine = RunStore(postgres_url).engine()
    made, failed = [], []

    def other_tab():
        try:
            made.append(visitors.new_code(engine, "a-workspace")[0])
        except Exception as error:  # noqa: BLE001 - the test's verdict
            failed.append(error)

    with database.writing(engine) as first_tab:  # the first tab's code, not committed yet
        first_tab.execute(transfer_codes.delete().where(transfer_codes.c.workspace == "a-workspace"))
        first_tab.execute(insert(transfer_codes).values(code="f" * 64, workspace="a-workspace",
                                                        expires=time.time() + 600))
        tab = threading.Thread(target=other_tab)
        tab.start()
        deadline = time.monotonic() + 60
        with engine.connect() as watcher:  # until the other tab's insert waits on the first tab's row
            while not watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                           "AND wait_event_type = 'Lock'")).scalar():
                assert time.monotonic() < deadline and tab.is_alive(), failed
                watcher.rollback()
                time.sleep(0.05)
    tab.join(60)
    assert failed == [] and len(made) == 1
    assert visitors.redeem(engine, new_id(), made[0]) == "a-workspace"
