"""Project save and load at national scale (issue 12 item 12): 5,000,000 data.police.uk rows,
save and load each at most 15 s and 4 GB peak (measured in separate processes)."""
from __future__ import annotations

import json

import pytest

from tests.benchmarks.conftest import PY, run_measured, write_national_year
from tests.conftest import SHARED_DATA

PEAK = """
def _peak_mb():
    return [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")][0] / 1024
"""
SAVE = PEAK + """
import json, sys, time
from analysis.ingest.incidents import read_incidents
from analysis.project import Project, save_project
r = read_incidents(sys.argv[1])
before = _peak_mb()
t0 = time.perf_counter()
save_project(Project.from_import(r), sys.argv[2])
print(json.dumps({"n": len(r.incidents), "save_s": time.perf_counter() - t0, "import_peak_mb": before,
                  "peak_mb": _peak_mb()}))
"""
LOAD = PEAK + """
import json, sys, time
t0 = time.perf_counter()
from analysis.project import load_project
p = load_project(sys.argv[1])
print(json.dumps({"n": len(p.incidents), "load_s": time.perf_counter() - t0, "peak_mb": _peak_mb()}))
"""


def test_project_save_and_load_five_million(tmp_path):
    source = SHARED_DATA / "police_uk"
    if not source.is_dir():
        pytest.skip(f"shared data not available: {source}")
    rows = write_national_year(tmp_path / "year", source, rows_per_month=435_000)
    path = tmp_path / "year.beatwise"
    _, proc = run_measured([PY, "-c", SAVE, str(tmp_path / "year"), str(path)])
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    _, proc = run_measured([PY, "-c", LOAD, str(path)])
    assert proc.returncode == 0, proc.stderr
    lo = json.loads(proc.stdout)
    print(f"\nproject of {s['n']:,} incidents ({rows:,} rows read; file {path.stat().st_size / 2**20:.0f} MB): "
          f"save {s['save_s']:.2f} s (process peak {s['peak_mb']:.0f} MB, of which the import "
          f"{s['import_peak_mb']:.0f} MB); load {lo['load_s']:.2f} s, peak {lo['peak_mb']:.0f} MB")
    assert lo["n"] == s["n"] >= 5_000_000
    assert s["save_s"] <= 15 and lo["load_s"] <= 15
    assert s["peak_mb"] <= 4096 and lo["peak_mb"] <= 4096
