"""Store test helpers: the Essex files loaded once per test process into a throwaway PostGIS."""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()

ESSEX = [f"2024-0{m}-essex-street.csv" for m in (1, 2, 3, 4)]


@pytest.fixture(scope="session")
def essex_files():
    files = [SHARED_DATA / "police_uk" / f for f in ESSEX]
    if not all(f.exists() for f in files):
        pytest.skip(f"shared data not available: {SHARED_DATA}/police_uk (clone ../shared beside the project)")
    return files


@pytest.fixture(scope="session")
def essex_store(pg_cluster, essex_files):
    """The four Essex months loaded into ``public.essex`` of a database made for this process."""
    import os

    from analysis.store.address import parse_address
    from analysis.store.load import load_files

    url = pg_cluster.createdb(f"essex_{os.getpid()}") + "&table=essex"
    load_files(essex_files, parse_address(url))
    return url


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """../shared/data (which may be absent: tests using it check the files they need)."""
    return SHARED_DATA
