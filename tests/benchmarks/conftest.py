"""Benchmark helpers: generated large inputs and whole-process timing with peak memory."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
                 "LSOA name,Crime type,Last outcome category,Context\n")
TYPES = ["Violence and sexual offences", "Anti-social behaviour", "Drugs", "Shoplifting",
         "Burglary", "Vehicle crime", "Public order", "Criminal damage and arson"]


def write_police_uk_csv(path: Path, n: int, seed: int = 1) -> Path:
    """A data.police.uk-format CSV of ``n`` rows around Southend (1 in 50 without coordinates)."""
    rng = np.random.default_rng(seed)
    lon = np.round(0.70 + rng.normal(0, 0.03, n), 6).astype(str)
    lat = np.round(51.54 + rng.normal(0, 0.015, n), 6).astype(str)
    nocoord = rng.random(n) < 0.02
    lon[nocoord] = ""
    lat[nocoord] = ""
    ids = np.char.add("c", np.arange(n).astype(str))
    asb = rng.random(n) < 0.2
    ids[asb] = ""
    month = np.char.add("2024-0", (rng.integers(1, 10, n)).astype(str))
    street = np.char.add("On or near Street ", rng.integers(0, 2000, n).astype(str))
    street[nocoord] = "No Location"
    lsoa = np.char.add("Southend-on-Sea 0", rng.integers(10, 99, n).astype(str))
    lsoa = np.char.add(lsoa, "A")
    ctype = np.asarray(TYPES)[rng.integers(0, len(TYPES), n)]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(POLICE_HEADER)
        chunk = 100_000
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            lines = [f"{ids[i]},{month[i]},Essex Police,Essex Police,{lon[i]},{lat[i]},{street[i]},"
                     f"E01000001,{lsoa[i]},{ctype[i]},,\n" for i in range(s, e)]
            fh.writelines(lines)
    return path


@pytest.fixture(scope="session")
def million_police_csv(tmp_path_factory) -> Path:
    return write_police_uk_csv(tmp_path_factory.mktemp("bench") / "million-street.csv", 1_000_000)


def run_measured(args: list[str], env=None) -> tuple[float, subprocess.CompletedProcess]:
    """Run a command; return (wall seconds, result). Peak memory: read VmHWM in the child."""
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})
    return time.perf_counter() - t0, proc


PY = sys.executable
