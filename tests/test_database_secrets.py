"""[connections.nnlab] written as Streamlit's SQL tutorial writes it — dialect, host, port, database,
username, password — works as well as `url`; a missing field is named, never a quiet fall back to SQLite."""
from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from nnlab.store import database

FIELDS = {"dialect": "postgresql", "host": "db.example.org", "port": 5432, "database": "nnlab",
          "username": "teacher", "password": "p@ss:w/rd"}


@pytest.fixture
def secrets_file(tmp_path, monkeypatch, request, deployment):
    """Writes a project secrets file with a [connections.nnlab] section; nothing else is configured."""
    database._secrets_file_url.cache_clear()  # read once per process: each test writes its own
    request.addfinalizer(database._secrets_file_url.cache_clear)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    deployment(database_url=None, runs_dir=tmp_path / "runs")
    (tmp_path / ".streamlit").mkdir()

    def write(section: str) -> None:
        (tmp_path / ".streamlit" / "secrets.toml").write_text(f"[connections.nnlab]\n{section}\n")
        database._secrets_file_url.cache_clear()
    return write


def test_the_fields_make_a_url_whose_password_needs_no_escaping(secrets_file):
    secrets_file('dialect = "postgresql"\nhost = "db.example.org"\nport = 5432\ndatabase = "nnlab"\n'
                 'username = "teacher"\npassword = "p@ss:w/rd"')
    url = database.database_url()
    parsed = make_url(url)
    assert (parsed.drivername, parsed.host, parsed.port, parsed.database, parsed.username, parsed.password) == \
        ("postgresql", "db.example.org", 5432, "nnlab", "teacher", "p@ss:w/rd")
    assert database.shown(url) == "postgresql://teacher@db.example.org:5432/nnlab"
    assert make_url(database.driver_url(url)).password == "p@ss:w/rd"  # what the engine gets


def test_st_secrets_fields_and_url_as_the_pages_pass_them(deployment, tmp_path):
    deployment(database_url=None, runs_dir=tmp_path)
    assert make_url(database.database_url(secret=FIELDS)).password == "p@ss:w/rd"
    assert database.database_url(secret={**FIELDS, "url": "postgresql://a@elsewhere/x"}) == \
        "postgresql://a@elsewhere/x"  # url wins when both are given
    assert database.database_url(secret={}) == f"sqlite:///{tmp_path / 'nnlab.sqlite'}"  # nothing given
    driven = make_url(database.database_url(secret={**FIELDS, "driver": "psycopg", "query": {"sslmode": "require"}}))
    assert driven.drivername == "postgresql+psycopg" and driven.query == {"sslmode": "require"}


@pytest.mark.parametrize("missing", ["host", "username", "dialect"])
def test_a_missing_field_is_named_instead_of_falling_back_to_sqlite(secrets_file, missing):
    secrets_file("\n".join(f"{name} = {value!r}" if isinstance(value, str) else f"{name} = {value}"
                           for name, value in FIELDS.items() if name != missing).replace("'", '"'))
    with pytest.raises(database.StoreUnavailable, match=missing) as error:
        database.database_url()
    assert "p@ss" not in str(error.value)


@pytest.mark.parametrize("section, named", [({"dialect": "mysql", "host": "h", "username": "u"}, "mysql"),
                                            ({**FIELDS, "port": "five"}, "port"),
                                            ({**FIELDS, "driver": "psycopg2"}, "psycopg2")])
def test_a_wrong_field_is_named(deployment, tmp_path, section, named):
    deployment(database_url=None, runs_dir=tmp_path)
    with pytest.raises(database.StoreUnavailable, match=named):
        database.database_url(secret=section)


def test_the_environment_wins_over_broken_secrets(deployment, tmp_path):
    deployment(database_url="postgresql://b@db/y", runs_dir=tmp_path)
    assert database.database_url(secret={"dialect": "postgresql"}) == "postgresql://b@db/y"
