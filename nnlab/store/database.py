"""Where runs and search studies live: one SQLAlchemy URL for the whole lab.

With nothing set, an embedded SQLite file in the runs folder (zero set-up, one machine). With a
PostgreSQL URL, a store shared by every server and search worker that points at it. The URL comes,
first found first, from the CLI's `--database URL`, the `NNLAB_DATABASE_URL` environment variable,
or `[connections.nnlab]` in `.streamlit/secrets.toml` (Streamlit's convention for connections; on
Community Cloud the app's Secrets), as `url = "…"` or as the fields of Streamlit's SQL tutorial
(`dialect`, `host`, `port`, `database`, `username`, `password`: `url_from_connection`). A URL is
shown only as rebuilt from its parts without its password (`shown`), and a driver's message is
cleared of it (`unavailable`), always.
"""
from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
import tomllib
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from nnlab.core import deployment
from nnlab.core.errors import UserError

SQLITE_FILE = "nnlab.sqlite"  # inside NNLAB_RUNS_DIR
BUSY_MILLISECONDS = 30_000  # SQLite: how long a writer waits for another process's write to end
_ENGINES: dict[str, Engine] = {}  # one connection pool per URL per process
_LOCK = threading.Lock()


class StoreUnavailable(UserError):
    """The database cannot be reached or used: the message names it (without its password) and
    says what to check."""


def runs_dir() -> Path:
    """The folder of the embedded database and of uploads (NNLAB_RUNS_DIR, default runs/)."""
    return deployment.current().runs_dir


def database_url(explicit: str | None = None, *, secret: str | Mapping | None = None) -> str:
    """The URL to use: `explicit` (the CLI's --database), NNLAB_DATABASE_URL, `secret` (the UI passes
    st.secrets' connections.nnlab: its url, or the section itself), the secrets file, else the embedded
    SQLite file. Each source is read only when the ones before it are empty."""
    sources = (lambda: explicit, lambda: deployment.current().database_url,
               lambda: url_from_connection(secret) if isinstance(secret, Mapping) else secret, _secrets_file_url)
    for source in sources:
        candidate = source()
        if candidate and str(candidate).strip():
            return _checked(str(candidate).strip())
    return f"sqlite:///{runs_dir() / SQLITE_FILE}"


CONNECTION_FIELDS = ("dialect", "driver", "host", "port", "database", "username", "password", "query")
_REQUIRED_FIELDS = {"postgresql": ("host", "username"), "sqlite": ("database",)}  # as Streamlit's SQLConnection


def url_from_connection(section: Mapping) -> str | None:
    """A `[connections.nnlab]` section as a URL: its `url` when given, else one built from the fields of
    Streamlit's SQL connection (`dialect`, `driver`, `host`, `port`, `database`, `username`, `password`,
    `query`) with SQLAlchemy's `URL.create`, so a password needs no escaping; None when the section holds
    neither. A missing or wrong field is a StoreUnavailable naming it, never a quiet fall back to SQLite."""
    url = section.get("url")
    if url and str(url).strip():
        return str(url)
    given = {name: section[name] for name in CONNECTION_FIELDS if section.get(name) not in (None, "")}
    if not given:
        return None
    dialect = str(given.get("dialect", "")).strip().lower()
    if dialect == "postgres":
        dialect = "postgresql"
    if dialect not in _REQUIRED_FIELDS:
        problem = f"its dialect is {dialect!r}" if dialect else "it has no dialect"
        raise StoreUnavailable(f"[connections.nnlab] in the secrets names no database nnlab can use ({problem}): "
                               f'write dialect = "postgresql" (or "sqlite"), or url = "postgresql://…"')
    missing = [name for name in _REQUIRED_FIELDS[dialect] if name not in given]
    if missing:
        raise StoreUnavailable(f"[connections.nnlab] in the secrets has no {' and no '.join(missing)}: add "
                               f"{', '.join(f'{name} = …' for name in missing)} (or give url = \"{dialect}://…\")")
    port = given.get("port")
    if port is not None and not str(port).strip().isdigit():
        raise StoreUnavailable(f"[connections.nnlab] port must be a number, like port = 5432, got {str(port)[:20]!r}")
    query = given.get("query") or {}
    if not isinstance(query, Mapping):
        raise StoreUnavailable("[connections.nnlab] query must be a table of options, like query = { sslmode = \"require\" }")
    driver = str(given.get("driver", "")).strip()
    built = URL.create(f"{dialect}+{driver}" if driver else dialect, username=given.get("username"),
                       password=None if given.get("password") is None else str(given["password"]),
                       host=given.get("host"), port=int(port) if port is not None else None,
                       database=given.get("database"), query={str(k): str(v) for k, v in query.items()})
    return built.render_as_string(hide_password=False)


def shown(url: str) -> str:
    """The URL as it may be printed or shown: rebuilt from its driver, user, host, port and database
    only, so no password gets through wherever it was written (after the user, as a `?password=`
    parameter libpq accepts, with an unescaped @ in it). Query parameters are left out. An SQLite
    file is named without its folder: messages reach visitors, and a server's paths are not theirs
    to see (the folder is NNLAB_RUNS_DIR's, README "Where runs are kept")."""
    try:
        parsed = make_url(url)
        if parsed.drivername.startswith("sqlite"):
            return f"sqlite:///…/{Path(parsed.database).name}" if parsed.database else "sqlite://"
        host = (parsed.host or "").rsplit("@", 1)[-1] or None  # user:p@ss@host is read as host "ss@host"
        return URL.create(parsed.drivername, username=parsed.username or None, host=host, port=parsed.port,
                          database=parsed.database).render_as_string()
    except (ArgumentError, ValueError, TypeError):
        return "(not a database URL)"


def without_secrets(text: str, url: str) -> str:
    """`text` (a driver's message) with the URL's password and any URL's user info or `password=…`
    replaced by ***: drivers may echo the connection string they were given."""
    for secret in sorted(_secrets(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    text = re.sub(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/?#]*@", r"\1***@", text)  # scheme://user:pw@ → scheme://***@
    return re.sub(r"(password\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^\s&;,)]+)", r"\1***", text, flags=re.IGNORECASE)


def _secrets(url: str) -> set[str]:
    """Every form in which `url`'s password might be echoed: as given, unquoted and quoted."""
    from urllib.parse import quote, quote_plus, unquote

    found = set()
    head = url.split("://", 1)[-1].split("/", 1)[0]  # the user info and host, as written
    if "@" in head and ":" in head.rsplit("@", 1)[0]:
        found.add(head.rsplit("@", 1)[0].split(":", 1)[1])  # all between the user's colon and the last @
    try:
        parsed = make_url(url)
        found.add(parsed.password or "")
        query = parsed.query.get("password")
        found.update([query] if isinstance(query, str) else list(query or ()))
    except (ArgumentError, ValueError, TypeError):
        pass
    found |= {form(secret) for secret in list(found) for form in (quote, quote_plus, unquote)}
    return {secret for secret in found if len(secret) >= 3}  # shorter ones would blank out ordinary words


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def driver_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (SQLAlchemy's default driver for it is psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def engine(url: str) -> Engine:
    """The process's engine for `url` (made once: engines hold the connection pool)."""
    with _LOCK:
        found = _ENGINES.get(url)
        if found is None:
            found = _ENGINES[url] = _make_engine(url)
        return found


@contextmanager
def writing(engine_: Engine) -> Iterator[Connection]:
    """A connection in a write transaction: committed at the end, rolled back on an error."""
    with engine_.connect() as connection:
        connection.execution_options(nnlab_write=True)
        with connection.begin():
            yield connection


def forget(url: str) -> None:
    """Close and drop the process's engine for `url` (a database about to be dropped, a test's end)."""
    with _LOCK:
        found = _ENGINES.pop(url, None)
    if found is not None:
        found.dispose()


def listening(url: str, channel: str):
    """A psycopg connection of its own to the PostgreSQL at `url`, LISTENing on `channel` (autocommit, so each
    notification arrives as it is sent); psycopg's error if the database cannot be reached."""
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    connection.execute(f"LISTEN {channel}")
    return connection


def close_quietly(connection) -> None:
    """Close a listening connection, which may be broken already (the database went away)."""
    if connection is not None:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - gone anyway
            pass


def unavailable(url: str, error: Exception) -> StoreUnavailable:
    """One line a user can act on, for a database that refused or could not be reached."""
    reason = without_secrets(" ".join(str(getattr(error, "orig", None) or error).split()), url)[:300]
    return StoreUnavailable(f"the database {shown(url)} cannot be used ({reason}); check that it is running and "
                            f"that NNLAB_DATABASE_URL (or --database) names it")


def _make_engine(url: str) -> Engine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise unavailable(url, error) from None
        made = create_engine(url, connect_args={"timeout": BUSY_MILLISECONDS / 1000, "check_same_thread": False})

        @event.listens_for(made, "connect")
        def _pragmas(connection, _record):
            connection.isolation_level = None  # nnlab says BEGIN itself (below), not the driver
            # WAL: readers never wait for the writer; busy_timeout: writers wait their turn instead of failing.
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_MILLISECONDS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: safe against a crash of the process
            cursor.close()

        @event.listens_for(made, "begin")
        def _begin(connection):
            # A writer takes the write lock at BEGIN, where the busy timeout applies; a deferred BEGIN
            # upgraded at its first write can fail at once with "database is locked".
            write = connection.get_execution_options().get("nnlab_write")
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return made
    return create_engine(driver_url(url), pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args={"connect_timeout": 10})


_DRIVERS = {"sqlite": "sqlite", "sqlite+pysqlite": "sqlite", "postgresql": "postgresql",
            "postgres": "postgresql", "postgresql+psycopg": "postgresql"}  # what nnlab installs drivers for


def _checked(url: str) -> str:
    """The URL with `postgres://` (as hosting services hand it out) read as postgresql://; a
    StoreUnavailable naming what to write for anything else. Never quotes an unparsed URL: it may hold
    a password."""
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a port that is no number raises here, not at the first connection
    except (ArgumentError, ValueError):
        raise StoreUnavailable("the database setting is not a database URL; write postgresql://user:password@host"
                               ":5432/name or sqlite:///path/to/file.sqlite") from None
    if "@" in url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[0]:
        raise StoreUnavailable("the database URL has an @ inside its user name or password: write it as %40 "
                               "(postgresql://user:p%40ss@host:5432/name)")
    backend = _DRIVERS.get(parsed.drivername)
    if backend is None:
        raise StoreUnavailable(f"nnlab keeps runs in SQLite or PostgreSQL through psycopg 3, not {parsed.drivername}; "
                               f"write postgresql://… or sqlite:///… ({shown(url)})")
    if parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


@functools.lru_cache(maxsize=1)
def _secrets_file_url() -> str | None:
    """connections.nnlab from the secrets files Streamlit reads (the project's, then the user's) as a URL
    (`url_from_connection`); read once per process, not at every page run."""
    for path in (Path.cwd() / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"):
        try:
            with open(path, "rb") as handle:
                secrets = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        value = secrets.get("connections", {}).get("nnlab", {})
        url = url_from_connection(value) if isinstance(value, dict) else None
        if url:
            return url
    return None
