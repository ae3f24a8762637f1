"""Test set-up shared by every test: offscreen Qt, UTF-8, the ../shared/data folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")
os.environ.setdefault("BEATWISE_DEBUG", "1")  # a bug in a test raises (the CLI would write it to a crash file)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not available: {p} (clone ../shared beside the project)")
    return p


@pytest.fixture
def shared_data() -> Path:
    """The ../shared/data folder; skips when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The SYNTHETIC demo written once per test session (incidents.csv, patrols.csv, demo.beatwise)."""
    from analysis.demo import write_demo

    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder)
    return folder


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostGIS cluster for this test process (tests/pg_cluster.py); skips when
    PostgreSQL or PostGIS is not installed."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from pg_cluster import Cluster, available

    why = available()
    if why:
        pytest.skip(why)
    cluster = Cluster().start()
    yield cluster
    cluster.remove()


@pytest.fixture
def pg_db(pg_cluster, request) -> str:
    """A fresh PostGIS database (its libpq URL) for one test."""
    import re

    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    return pg_cluster.createdb(f"{name}_{os.getpid()}")


# ---------------------------------------------------------------- PostGIS store (issue 18)
ESSEX_2024 = [f"2024-0{m}-essex-street.csv" for m in (1, 2, 3, 4)]


@pytest.fixture(scope="session")
def essex_files():
    """The four Essex months of 2024 in ../shared/data (skips when absent)."""
    return [shared_path("police_uk", f) for f in ESSEX_2024]


@pytest.fixture(scope="session")
def essex_store(pg_cluster, essex_files):
    """The four Essex months loaded into ``public.essex`` of a database made for this process."""
    import os

    from analysis.store.address import parse_address
    from analysis.store.load import load_files

    url = pg_cluster.createdb(f"essex_{os.getpid()}") + "&table=essex"
    load_files(essex_files, parse_address(url))
    return url


def terminate_beatwise_sessions_on(url: str, message_prefix: str):
    """A progress callback that, at the first message starting with ``message_prefix``, makes the
    server end every Beatwise session of ``url``'s database (a connection dropped mid-work)."""
    import psycopg

    from analysis.store.address import parse_address

    conninfo = parse_address(url).conninfo

    def progress(fraction, message):
        if message.startswith(message_prefix):
            with psycopg.connect(conninfo, autocommit=True) as c:
                c.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'beatwise' AND pid <> pg_backend_pid()")

    return progress
