"""Briefing benchmark (issue 7): ``beatwise brief`` on the SYNTHETIC demo in at most 20 s.

Whole process (start-up, reading the demo, every analysis, PDF, 300 dpi PNG, offline HTML,
GeoPackage, GeoTIFF, CSV), measured as a child process like a user would run it, for both the
demo project (demo.beatwise) and the demo's incidents.csv. The time of each step inside the
pack (from the progress messages) is printed too. Best of two runs (the 2 cores are shared).

Run with ``make bench`` or ``pytest tests/benchmarks/bench_brief.py -s -o python_files='bench_*.py'``.
"""
from __future__ import annotations

import json
import time

import pytest

from tests.benchmarks.conftest import PY, run_measured

TARGET_S = 20.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from analysis.demo import write_demo

    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder)
    return folder


@pytest.mark.parametrize("name", ["demo.beatwise", "incidents.csv"])
def test_benchmark__brief_demo_within_20_s(demo, tmp_path, name):
    walls = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        wall, proc = run_measured([PY, "-m", "analysis.cli", "brief", str(demo / name), "--out", str(out), "--json"])
        assert proc.returncode == 0, proc.stderr
        walls.append(wall)
    summary = json.loads(proc.stdout)
    assert summary["synthetic"] is True and summary["street"]["name"] == "York Road"
    print(f"\nbeatwise brief {name} (12,000 SYNTHETIC incidents, {summary['pages']} pages, 6 files): "
          f"best {min(walls):.1f} s, runs {', '.join(f'{w:.1f}' for w in walls)} s (target <= {TARGET_S:g} s)")
    assert min(walls) <= TARGET_S


def test_benchmark__brief_steps(demo, tmp_path):
    """Where the time goes inside write_briefing (in-process, after imports and loading)."""
    from analysis.export.pdf import write_briefing
    from analysis.project import load_project

    t0 = time.perf_counter()
    project = load_project(demo / "demo.beatwise")
    load_s = time.perf_counter() - t0
    marks = []
    t0 = time.perf_counter()
    write_briefing(project, tmp_path, preview_dpi=None,
                   progress=lambda f, m: marks.append((time.perf_counter() - t0, m)))
    total = time.perf_counter() - t0
    phases = ["Density surface", "Writing the PDF", "Drawing map.png", "Writing map.html", "Writing GIS layers",
              "Moving the files"]
    starts = [next(t for t, m in marks if m.startswith(p)) for p in phases] + [total]
    names = ["analyses", "PDF", "map.png", "map.html", "GeoPackage+GeoTIFF+CSV", "move"]
    print(f"\nload demo.beatwise {load_s:.2f} s; write_briefing {total:.2f} s: "
          + "; ".join(f"{n} {b - a:.2f} s" for n, a, b in zip(names, starts, starts[1:])))
    assert total < TARGET_S
