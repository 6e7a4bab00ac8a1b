"""A throwaway PostgreSQL server for the tests: its own folder, a free loopback port, no password
(trust on 127.0.0.1 only), fsync off. Debian's `postgresql` package provides the programs; they refuse
to run as root, so as root the server runs as the `postgres` user the package creates.

Set NNLAB_TEST_DATABASE_URL (e.g. postgresql://user:pw@host/postgres, a user allowed to create
databases) to use a server of your own instead.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class NoPostgres(RuntimeError):
    """PostgreSQL's programs are not installed here (the message says how to get them)."""


def programs() -> Path:
    """The folder of initdb and pg_ctl: on PATH, or where Debian keeps them."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not versions:
        raise NoPostgres("PostgreSQL is not installed (Debian/Ubuntu: `sudo apt-get install postgresql`)")
    return Path(versions[-1]).parent


class Server:
    """`with Server() as server:` starts a fresh cluster; `server.url(name)` is a database's URL."""

    def __init__(self, port: int | None = None):
        self.bin = programs()
        self.folder = Path(tempfile.mkdtemp(prefix="nnlab-pg-"))
        self.data = self.folder / "data"
        self.port = port or _free_port()
        self.user = "nnlab"

    def __enter__(self) -> Server:
        as_root = os.geteuid() == 0
        if as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", self.user, "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> None:
        """Start the server (again, after `stop`: the same data, port and URL)."""
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "-t", "60",
                  "start")

    def stop(self) -> None:
        """Stop at once, every connection cut (as a crash or a lost machine would)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)
        if done.returncode:
            log = (self.folder / "log").read_text(errors="replace")[-2000:] if (self.folder / "log").exists() else ""
            raise RuntimeError(f"{program} failed: {done.stderr.strip()[-2000:]}\n{log}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
