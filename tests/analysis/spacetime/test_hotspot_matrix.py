"""The hotspot matrix: each rule on data built to meet it, the busiest window against brute force."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from analysis.hotspots.areas import hotspot_areas
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import kde
from analysis.spacetime.hotspot_matrix import (RESPONSES, MatrixRules, _busiest_window, hotspot_matrix, spatial_class,
                                       temporal_class)

R = MatrixRules()


def test_busiest_window__brute_force_with_midnight_wrap():
    rng = np.random.default_rng(0)
    for _ in range(50):
        h = rng.poisson(3, 24).astype(float)
        share, start = _busiest_window(h, 5)
        sums = [sum(h[(s + k) % 24] for k in range(5)) for s in range(24)]
        assert share == pytest.approx(max(sums) / h.sum()) and sums[start] == max(sums)


def test_temporal__acute_focused_diffused_unknown():
    h = np.zeros(24)
    h[[23, 0, 1]] = 30
    h += 1
    assert temporal_class(h, R)[0] == "acute" and temporal_class(h, R)[3] == 23     # 23:00-02:00 wraps
    f = np.ones(24)
    f[14:22] = 5
    assert temporal_class(f, R)[0] == "focused"
    assert temporal_class(np.ones(24), R)[0] == "diffused"
    assert temporal_class(None, R)[0] == "unknown"


def test_spatial__hotpoint_clustered_dispersed():
    rng = np.random.default_rng(1)
    cells = np.array([(r, c) for r in range(5) for c in range(4)])               # 20 cells
    one = np.tile([[1000.0, 2000.0]], (100, 1))
    assert spatial_class(one, np.zeros(100, int), np.zeros(100, int), R)[0] == "hotpoint"
    pick = np.r_[np.full(35, 3), np.full(35, 7), rng.integers(0, 20, 30)]         # 70 % in 2 of 20 cells
    xy = cells[pick] * 10.0 + rng.uniform(0, 9, (100, 2))
    assert spatial_class(xy, cells[pick, 0], cells[pick, 1], R)[0] == "clustered"
    even = np.repeat(np.arange(20), 5)
    xy = cells[even] * 10.0 + rng.uniform(0, 9, (100, 2))
    assert spatial_class(xy, cells[even, 0], cells[even, 1], R)[0] == "dispersed"


def test_hotspot_matrix__classes_per_hotspot_with_a_response():
    rng = np.random.default_rng(3)
    a = np.tile([[1000.0, 1000.0]], (300, 1))                                      # one address, night
    b = rng.normal([3000, 3000], 60, (300, 2))                                     # a spread cluster, all day
    xy = np.vstack([a, b, rng.uniform(0, 4000, (200, 2))])
    night = pd.to_datetime("2024-03-04") + pd.to_timedelta(rng.integers(0, 60, 300), "D") + pd.Timedelta("23:30:00")
    day = pd.to_datetime("2024-03-04") + pd.to_timedelta(rng.integers(0, 60 * 24, 500), "h")
    t = np.r_[night.to_numpy(), day.to_numpy()]
    inc = gpd.GeoDataFrame({"t_start": t, "t_end": t, "time_precision": "minute", "weight": 1.0},
                           geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")
    grid = GridSpec(0.0, 0.0, 25.0, 170, 170, "EPSG:27700")
    areas = hotspot_areas(kde(xy, grid, bandwidth_m=150.0), inc, top_percent=2, max_hotspot_km2=None)
    m = hotspot_matrix(areas, inc, xy)
    by_place = {}
    for h in areas.hotspots:
        cx, cy = h.geometry.centroid.x, h.geometry.centroid.y
        by_place["a" if abs(cx - 1000) < 200 and abs(cy - 1000) < 200 else "b" if abs(cx - 3000) < 300 else "x"] = m[h.rank]
    assert (by_place["a"].spatial, by_place["a"].temporal) == ("hotpoint", "acute")
    assert by_place["b"].spatial in ("dispersed", "clustered") and by_place["b"].temporal == "diffused"
    assert by_place["a"].response == RESPONSES[("hotpoint", "acute")]
    assert by_place["a"].summary()["rule"] == "Beatwise rule after Ratcliffe 2004"


def test_hour_profiles__as_the_temporal_module_per_hotspot():
    """The one-pass profiles equal hour_weekday_matrix (summed over weekdays) of each rank's rows."""
    from analysis.spacetime.hotspot_matrix import hour_profiles
    from analysis.temporal.matrix import hour_weekday_matrix

    rng = np.random.default_rng(6)
    n = 600
    t0 = pd.to_datetime("2024-05-06") + pd.to_timedelta(rng.integers(0, 60 * 24 * 30, n), "min")
    dur = pd.to_timedelta(np.where(rng.random(n) < 0.3, rng.integers(30, 600, n), 0), "min")
    prec = np.where(dur > pd.Timedelta(0), "window", "minute")
    prec[:40] = "day"
    inc = pd.DataFrame({"t_start": t0, "t_end": t0 + dur, "time_precision": prec, "weight": 1.0})
    rank = rng.integers(0, 4, n)
    got = hour_profiles(rank, 3, inc)
    for r in (1, 2, 3):
        ref = hour_weekday_matrix(inc.iloc[np.flatnonzero((rank == r) & (prec != "day"))]).matrix
        np.testing.assert_allclose(got[r], np.asarray(ref).sum(axis=0), atol=1e-9)
