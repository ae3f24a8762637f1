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


def write_generic_csv(path: Path, n: int, seed: int = 1) -> Path:
    """A force export of ``n`` rows: ``id, x, y`` (British National Grid), ISO minute times, type."""
    rng = np.random.default_rng(seed)
    x = np.round(588_000 + rng.normal(0, 3000, n), 1)
    y = np.round(186_000 + rng.normal(0, 2000, n), 1)
    t = np.datetime64("2024-01-01T00:00") + rng.integers(0, 366 * 24 * 60, n).astype("timedelta64[m]")
    ts = np.datetime_as_string(t, unit="m")
    types = np.asarray(TYPES)[rng.integers(0, len(TYPES), n)]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("id,x,y,date_time,crime_type\n")
        for s in range(0, n, 200_000):
            e = min(n, s + 200_000)
            fh.writelines(f"INC{i:07d},{x[i]},{y[i]},{ts[i]},{types[i]}\n" for i in range(s, e))
    return path


def write_national_year(folder: Path, source: Path, rows_per_month: int = 500_000) -> int:
    """Twelve monthly data.police.uk files of about ``rows_per_month`` rows each, made by repeating
    the real files in ``source`` (``*-street.csv``) with their month shifted; returns the rows."""
    files = sorted(source.glob("2024-0?-*-street.csv"))
    bodies = []
    for f in files:
        lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
        bodies.append((f.name[:7], lines[0], lines[1:]))
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for m in range(1, 13):
        old, header, body = bodies[(m - 1) % len(bodies)]
        month = f"2024-{m:02d}"
        text = "".join(line.replace(f",{old},", f",{month},", 1) for line in body)
        reps = rows_per_month // len(body) + 1
        with open(folder / f"{month}-national-street.csv", "w", encoding="utf-8") as fh:
            fh.write(header)
            for _ in range(reps):
                fh.write(text)
        total += reps * len(body)
    return total


@pytest.fixture(scope="session")
def million_generic_csv(tmp_path_factory) -> Path:
    return write_generic_csv(tmp_path_factory.mktemp("bench") / "million-force-export.csv", 1_000_000)


@pytest.fixture(scope="session")
def million_police_csv(tmp_path_factory) -> Path:
    return write_police_uk_csv(tmp_path_factory.mktemp("bench") / "million-street.csv", 1_000_000)


def best_of(fn, repeat=5):
    """(best s, median s, last result) of ``repeat`` calls of ``fn``."""
    import statistics

    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def run_measured(args: list[str], env=None) -> tuple[float, subprocess.CompletedProcess]:
    """Run a command; return (wall seconds, result). Peak memory: read VmHWM in the child."""
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})
    return time.perf_counter() - t0, proc


PY = sys.executable
