"""Import benchmark (issue 2): 1,000,000 data.police.uk rows in <= 3 s wall and <= 1.5 GB peak."""
from __future__ import annotations

import json

from tests.benchmarks.conftest import PY, run_measured

SCRIPT = """
def peak_mb():
    # VmHWM is this process's own peak (ru_maxrss would include the forked pytest before exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
import json, sys, time
t0 = time.perf_counter()
from analysis.ingest.incidents import read_incidents
t1 = time.perf_counter()
r = read_incidents(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"import_s": t2 - t1, "startup_s": t1 - t0, "rows_read": r.report.rows_read,
                  "accepted": r.report.accepted, "rejected": len(r.report.rejected),
                  "peak_mb": peak_mb()}))
"""


def test_import_million_rows(million_police_csv):
    wall, proc = run_measured([PY, "-c", SCRIPT, str(million_police_csv)])
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    print(f"\nimport 1,000,000 data.police.uk rows: read_incidents {d['import_s']:.2f} s, "
          f"process wall {wall:.2f} s (imports {d['startup_s']:.2f} s), peak {d['peak_mb']:.0f} MB")
    assert d["rows_read"] == 1_000_000
    assert d["accepted"] + d["rejected"] == 1_000_000
    assert d["import_s"] <= 3.0
    assert d["peak_mb"] <= 1536
