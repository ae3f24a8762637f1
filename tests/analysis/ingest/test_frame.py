"""Last step: the working CRS, shared snap points, clock changes."""
from __future__ import annotations

import numpy as np
from pyproj import Transformer

from analysis.ingest.frame import clock_change_warnings, shared_points
from analysis.ingest.incidents import read_incidents


def test_shared_points__same_positions_as_transforming_every_row(tmp_path):
    rng = np.random.default_rng(3)
    pts = np.column_stack([0.70 + rng.normal(0, 0.01, 50), 51.54 + rng.normal(0, 0.01, 50)]).round(6)
    rows = pts[rng.integers(0, 50, 3000)]
    codes, ux, uy = shared_points(rows[:, 0], rows[:, 1])
    assert len(ux) == len(np.unique(rows, axis=0)) and np.array_equal(ux[codes], rows[:, 0])
    p = tmp_path / "s.csv"
    p.write_text("lon,lat\n" + "".join(f"{a},{b}\n" for a, b in rows), encoding="utf-8")
    inc = read_incidents(p).incidents
    ex, ey = Transformer.from_crs(4326, 27700, always_xy=True).transform(rows[:, 0], rows[:, 1])
    assert np.abs(inc.geometry.x.to_numpy() - ex).max() < 1e-6
    assert np.abs(inc.geometry.y.to_numpy() - ey).max() < 1e-6
    assert shared_points(rng.random(5000), rng.random(5000)) is None   # all distinct: not worth it


def test_dst__nonexistent_and_repeated_local_times_warned(tmp_path):
    """Regression: local times that do not exist (spring) or happen twice (autumn) were silent."""
    p = tmp_path / "dst.csv"
    p.write_text("lat,lon,time\n51.5,0.7,2024-03-31 01:30\n51.5,0.7,2024-10-27 01:15\n"
                 "51.5,0.7,2024-06-01 01:30\n", encoding="utf-8")
    r = read_incidents(p)
    w = " ".join(r.report.warnings)
    assert "1 rows have Europe/London local times that do not exist" in w and "line 2" in w
    assert "1 rows have Europe/London local times that happened twice" in w and "line 3" in w
    assert r.report.accepted == 3
    assert clock_change_warnings(r.incidents.iloc[[2]]) == []


def test_without_geometry__same_report_and_coordinates(tmp_path):
    """``geometry=False`` (``beatwise import`` without ``--out``) makes no points but checks the same."""
    rng = np.random.default_rng(5)
    n = 4000
    lines = ["id,x,y,date_time,crime_type"]
    for i in range(n):
        x, y = 588_000 + rng.random() * 5000, 185_000 + rng.random() * 5000
        lines.append(f"I{i},{x:.1f},{y:.1f},2024-03-31 01:{i % 60:02d},Burglary")
    lines += ["bad,,185000,2024-01-01 10:00,Theft", "bad2,588000,185000,not a date,Theft"]
    p = tmp_path / "f.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with_points = read_incidents(p, working_crs="EPSG:27700")
    without = read_incidents(p, working_crs="EPSG:27700", geometry=False)
    assert without.report.to_dict() == with_points.report.to_dict()
    assert without.report.rows_read == n + 2 and without.report.accepted + len(without.report.rejected) == n + 2
    assert "geometry" not in without.incidents.columns
    assert np.array_equal(without.incidents["x"].to_numpy(), with_points.incidents.geometry.x.to_numpy())
    assert np.array_equal(without.incidents["y"].to_numpy(), with_points.incidents.geometry.y.to_numpy())
    assert list(without.incidents["incident_id"]) == list(with_points.incidents["incident_id"])
    assert any("do not exist" in w for w in without.report.warnings)
