import dataclasses
import os
import secrets
import tempfile

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Runs the tests make (the CLI saves every run) go to a folder of the session, never the project's runs/.
os.environ["NNLAB_RUNS_DIR"] = tempfile.mkdtemp(prefix="nnlab-test-runs-")
os.environ.pop("NNLAB_DATABASE_URL", None)


@pytest.fixture
def tiny_csv(tmp_path):
    """Write a CSV file from text and return its path."""

    def write(text: str, name: str = "data.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def deployment():
    """The deployer's settings for one test: `deployment(max_compute=1e9, …)` installs the Deployment
    in use with those fields changed (runs_dir's included); the session's is put back after the test."""
    from nnlab.core.deployment import Deployment, current, install

    before = install(Deployment.from_environment())

    def use(**changes) -> Deployment:
        changed = dataclasses.replace(current(), **changes)
        install(changed)
        return changed

    yield use
    install(before)


@pytest.fixture
def runs_dir(tmp_path, deployment, monkeypatch):
    """Page tests keep their runs in a temporary, shared store: this process's Deployment says so, and
    the environment too, for the programs a test starts (`python -m nnlab` reads it at its start)."""
    folder = tmp_path / "runs"
    deployment(runs_dir=folder, runs="shared", database_url=None)
    monkeypatch.setenv("NNLAB_RUNS_DIR", str(folder))
    monkeypatch.setenv("NNLAB_RUNS", "shared")
    monkeypatch.delenv("NNLAB_DATABASE_URL", raising=False)
    return folder / "shared"


@pytest.fixture
def run_store(tmp_path):
    """An empty run store of its own (an embedded SQLite file), for backend tests."""
    from nnlab.store.runs import RunStore

    return RunStore(f"sqlite:///{tmp_path / 'store.sqlite'}")


@pytest.fixture
def page_store(runs_dir):
    """The store the pages of a page test see (shared mode, see runs_dir)."""
    from nnlab.store.runs import open_store

    return open_store()


@pytest.fixture(scope="session")
def postgres_admin_url():
    """A PostgreSQL server for the session: NNLAB_TEST_DATABASE_URL's, or a throwaway one (tests/postgres.py).
    Without PostgreSQL the tests that need it skip, or fail where NNLAB_REQUIRE_POSTGRES=1 (CI)."""
    given = os.environ.get("NNLAB_TEST_DATABASE_URL")
    if given:
        yield given
        return
    from tests.postgres import NoPostgres, Server

    try:
        server = Server()
    except NoPostgres as missing:
        if os.environ.get("NNLAB_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"NNLAB_REQUIRE_POSTGRES=1 but {missing}")
        pytest.skip(f"{missing}: the PostgreSQL tests are skipped")
    with server:
        _make_template(server.url())
        yield server.url()


TEMPLATE = "nnlab_template"  # a store migrated once per session; each test's database is a copy of it


def _make_template(admin_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from nnlab.store import database
    from nnlab.store.schema import migrate

    admin = create_engine(database.driver_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{TEMPLATE}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=TEMPLATE).render_as_string(hide_password=False)
    migrate(database.engine(url))
    database.forget(url)  # a template must have no connections when it is copied


@pytest.fixture
def postgres_url(postgres_admin_url):
    """A fresh, empty database on the session's PostgreSQL, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from nnlab.store import database

    name = f"nnlab_test_{secrets.token_hex(4)}"
    admin = create_engine(database.driver_url(postgres_admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        template = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": TEMPLATE}).first()
        connection.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{TEMPLATE}"' if template else "")))
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    yield url
    database.forget(url)  # close this process's pool, so the database can be dropped
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each store test runs on the embedded SQLite file and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nnlab.sqlite'}"
    return request.getfixturevalue("postgres_url")


def pytest_collection_modifyitems(config, items):
    """The tiers (pytest.ini): browser journeys and PostgreSQL tests are marked by where they live and
    what they use, so nobody has to remember; both are slow, which `-m "not slow"` (the edit loop) leaves out.

    Then the order the workers take the modules in (`--dist loadfile --no-loadscope-reorder`, pytest.ini: a
    module's tests go to one worker together, as they share its server or trained runs): the longest first —
    browser journeys, then the other slow tests, then the quick ones — so that at the end the workers share
    out short tests instead of one worker finishing a long journey alone (xdist's own order, by test count,
    put the journeys last). (`--dist loadgroup` would spread single tests, but with pytest 9.2 and xdist 3.8
    it silently ignores every group: pytest-xdist issue #1386.)"""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.browser)
        fixtures = getattr(item, "fixturenames", ())
        params = item.callspec.params if hasattr(item, "callspec") else {}
        if {"postgres_url", "postgres_admin_url"} & set(fixtures) or params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)
        if item.get_closest_marker("browser") or item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: 0 if item.get_closest_marker("browser") else 1 if item.get_closest_marker("slow") else 2)
