"""A throwaway PostgreSQL + PostGIS cluster on a unix socket, for the store tests.

Debian's ``postgresql-15`` and ``postgresql-15-postgis-3`` (installed by ``.ci/run``); initdb
into a temporary folder (as the ``postgres`` user when the tests run as root, since the server
refuses to run as root), started with no TCP listener (``listen_addresses=''``), stopped at the
end of the session. ../shared/PLATFORM.md, PostGIS.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def available() -> str | None:
    """None when a cluster can be made here, else why not."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL 15 is not installed ({PG_BIN}/initdb absent; .ci/run installs it)"
    if not Path("/usr/share/postgresql/15/extension/postgis.control").exists():
        return "PostGIS is not installed (postgresql-15-postgis-3; .ci/run installs it)"
    if os.getuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "no postgres user to run the server as"
    return None


class Cluster:
    """``start()`` makes and starts it; ``url(db)`` is a libpq URL over the socket; ``stop()``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="beatwise-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "sock"
        self.user = "postgres" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        if os.getuid() == 0:
            cmd = ("runuser", "-u", "postgres", "--") + cmd
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> "Cluster":
        self.socket.mkdir(parents=True)
        if os.getuid() == 0:
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user,
                  "-E", "UTF8", "--locale=C.UTF-8")
        opts = (f"-k {self.socket} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_wal_size=4GB -c shared_buffers=256MB")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-l",
                  str(self.root / "log"), "start")
        return self

    def url(self, db: str = "postgres", **query: str) -> str:
        extra = "".join(f"&{k}={v}" for k, v in query.items())
        return f"postgresql:///{db}?host={self.socket}&user={self.user}{extra}"

    def createdb(self, name: str, postgis: bool = True) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        if postgis:
            with psycopg.connect(self.url(name), autocommit=True) as c:
                c.execute("CREATE EXTENSION postgis")
        return self.url(name)

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.start_again()

    def start_again(self) -> None:
        opts = f"-k {self.socket} -c listen_addresses='' -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-l",
                  str(self.root / "log"), "start")

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
