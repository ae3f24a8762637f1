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
