"""Presence (DESIGN.md section 7): hand-worked segments, conservation against a brute force, DST."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.hotspots.grid import GridSpec
from analysis.patrols.presence import presence
from analysis.patrols.segments import patrol_segments
from analysis.progress import BeatwiseError
from tests.analysis.patrols.ping_frames import concat, pings, random_pings, track
from tests.conftest import shared_path

GRID = GridSpec(0, 0, 10, 3, 3, "EPSG:27700")
MONDAY = "2026-06-01 08:00"  # BST: 09:00 local, slot 9


def test_presence__segment_along_a_grid_line_goes_to_the_cells_east_of_it():
    g = track("A", MONDAY, [0, 200], [10, 10], [5, 25])
    p = presence(g, GRID, max_gap_min=5)
    expected = np.zeros((3, 3))
    expected[0, 1], expected[1, 1], expected[2, 1] = 50, 100, 50
    np.testing.assert_allclose(p.raster_s, expected)
    assert p.total_s == 200 and p.hour_of_week_s[9] == 200


def test_presence__diagonal_through_a_cell_corner_is_shared_by_length():
    g = track("A", MONDAY, [0, 100], [5, 15], [5, 15])
    p = presence(g, GRID, max_gap_min=5)
    assert p.raster_s[0, 0] == pytest.approx(50) and p.raster_s[1, 1] == pytest.approx(50)
    assert p.raster_s.sum() == pytest.approx(100)


def test_presence__piece_outside_the_grid_is_counted_but_not_rastered():
    g = track("A", MONDAY, [0, 100], [25, 35], [5, 5])
    p = presence(g, GRID, max_gap_min=5)
    assert p.raster_s[0, 2] == pytest.approx(50) and p.outside_grid_s == pytest.approx(50)
    assert p.total_s == 100


def test_presence__stationary_unit_keeps_its_cell():
    g = track("A", MONDAY, [0, 60, 120], [15, 15, 15], [25, 25, 25])
    p = presence(g, GRID)
    assert p.raster_s[2, 1] == 120 and p.raster_s.sum() == 120


def test_presence__a_15_minute_gap_splits_the_track_and_loses_that_time():
    secs = list(range(0, 601, 60)) + list(range(1500, 2101, 60))
    g = track("A", MONDAY, secs, [5] * len(secs), [5] * len(secs))
    p = presence(g, GRID, max_gap_min=5)
    assert p.total_s == 600 + 600
    assert p.uncounted_gap_s == 900 and p.n_uncounted_gaps == 1
    assert p.raster_s[0, 0] == 1200 and p.hour_of_week_s.sum() == 1200


def test_presence__flagged_ping_breaks_both_segments_touching_it():
    g = track("A", MONDAY, [0, 60, 120, 180], [5, 6, 7, 8], [5, 5, 5, 5])
    g["flagged"] = [False, False, True, False]
    p = presence(g, GRID)
    assert p.total_s == 60 and p.uncounted_gap_s == 120


def test_presence__units_do_not_join_each_others_pings():
    g = concat(track("A", MONDAY, [0, 60], [5, 5], [5, 5]), track("B", MONDAY, [30, 90], [15, 15], [5, 5]))
    p = presence(g, GRID)
    assert p.total_s == 120 and p.raster_s[0, 0] == 60 and p.raster_s[0, 1] == 60


def test_presence__dst_spring_forward_week_uses_local_hours():
    # 2026-03-29: clocks go forward at 01:00 UTC (01:00 GMT -> 02:00 BST)
    secs = list(range(0, 3601, 60))
    g = track("A", "2026-03-29 00:30", secs, [5] * len(secs), [5] * len(secs))
    p = presence(g, GRID)
    sunday = 6 * 24
    assert p.hour_of_week_s[sunday + 0] == 1800      # 00:30-01:00 GMT
    assert p.hour_of_week_s[sunday + 1] == 0         # 01:00-02:00 does not exist
    assert p.hour_of_week_s[sunday + 2] == 1800      # 02:00-02:30 BST
    assert p.hour_of_week_s.sum() == 3600


def test_presence__dst_autumn_hour_happens_twice():
    # 2026-10-25: clocks go back at 01:00 UTC (02:00 BST -> 01:00 GMT): local 01:00-02:00 twice
    secs = list(range(0, 7201, 60))
    g = track("A", "2026-10-25 00:00", secs, [5] * len(secs), [5] * len(secs))
    p = presence(g, GRID)
    assert p.hour_of_week_s[6 * 24 + 1] == 7200 and p.hour_of_week_s.sum() == 7200


def test_presence__monday_slot_zero_in_local_time():
    g = track("A", "2026-05-31 23:30", [0, 60], [5, 5], [5, 5])  # Monday 00:30 BST
    assert presence(g, GRID).hour_of_week_s[0] == 60


def test_presence__empty_and_single_ping():
    p = presence(track("A", MONDAY, [0], [5], [5]), GRID)
    assert p.total_s == 0 and p.raster_s.sum() == 0 and p.n_segments == 0


def test_presence__naive_times_refused():
    g = track("A", MONDAY, [0, 60], [5, 5], [5, 5])
    g["t"] = g["t"].dt.tz_localize(None)
    with pytest.raises(BeatwiseError, match="time-zone aware"):
        presence(g, GRID)


def test_presence__degrees_refused():
    g = pings(["A", "A"], [MONDAY, MONDAY], [0.7, 0.71], [51.5, 51.5], crs="EPSG:4326")
    with pytest.raises(BeatwiseError, match="degrees"):
        presence(g, GRID)


# ------------------------------------------------------------------ conservation vs brute force

def seconds(t):
    return t.astype("datetime64[ns, UTC]").astype("int64").to_numpy() // 10**9


def brute_force(g, grid, max_gap_s):
    """Independent: loop over ping pairs, sample each counted segment at 1-second steps."""
    raster = np.zeros(grid.shape)
    slots = np.zeros(168)
    counted = 0
    times = []
    t = seconds(g["t"])
    x, y = g.geometry.x.to_numpy(), g.geometry.y.to_numpy()
    units, flagged = g["unit_id"].to_numpy(), g["flagged"].to_numpy()
    for i in range(len(g) - 1):
        if units[i] != units[i + 1] or flagged[i] or flagged[i + 1] or t[i + 1] - t[i] > max_gap_s:
            continue
        d = int(t[i + 1] - t[i])
        counted += d
        if d == 0:
            continue
        f = (np.arange(d) + 0.5) / d
        px, py = x[i] + f * (x[i + 1] - x[i]), y[i] + f * (y[i + 1] - y[i])
        col, row = np.floor((px - grid.x0) / grid.cell_m), np.floor((py - grid.y0) / grid.cell_m)
        ok = (col >= 0) & (col < grid.nx) & (row >= 0) & (row < grid.ny)
        np.add.at(raster, (row[ok].astype(int), col[ok].astype(int)), 1.0)
        times.append(t[i] + np.arange(d))
    if times:
        local = pd.to_datetime(np.concatenate(times), unit="s", utc=True).tz_convert("Europe/London")
        np.add.at(slots, local.day_of_week * 24 + local.hour, 1.0)
    return raster, slots, counted


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_presence__conservation_against_brute_force(seed):
    g = random_pings(n_units=4, per_unit=150, seed=seed, start="2026-10-22 12:00")  # a DST week
    grid = GridSpec(0, 0, 25, 20, 20, "EPSG:27700")
    p = presence(g, grid, max_gap_min=5)
    raster, slots, counted = brute_force(g, grid, 300)
    assert round(p.total_s) == counted == round(p.counted_gap_s)
    assert round(p.hour_of_week_s.sum()) == counted
    np.testing.assert_array_equal(p.hour_of_week_s, slots)           # integer seconds: exact
    assert p.raster_s.sum() + p.outside_grid_s == pytest.approx(counted, abs=1e-6)
    # sampling puts at most one 1-second step per cell change in the wrong cell
    assert np.abs(p.raster_s - raster).max() <= 25
    assert np.abs(p.raster_s - raster).sum() <= 0.02 * counted
    t, u = seconds(g["t"]), g["unit_id"].to_numpy()
    ping_time = sum(int(t[i + 1] - t[i]) for i in range(len(t) - 1) if u[i] == u[i + 1])
    assert round(p.counted_gap_s + p.uncounted_gap_s) == ping_time


def test_presence__conservation_on_real_bus_gps():
    path = shared_path("patrol", "wmata_bus_avl_gtfsrt_2026-02-16.csv")
    import geopandas as gpd
    from pyproj import Transformer

    raw = pd.read_csv(path, usecols=["vehicle.vehicle.id", "vehicle.timestamp",
                                     "vehicle.position.latitude", "vehicle.position.longitude"])
    raw = raw.dropna()
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32618", always_xy=True).transform(
        raw["vehicle.position.longitude"].to_numpy(), raw["vehicle.position.latitude"].to_numpy())
    g = gpd.GeoDataFrame({
        "unit_id": raw["vehicle.vehicle.id"].astype(int).astype(str).to_numpy(),
        "t": pd.to_datetime(raw["vehicle.timestamp"].astype("int64"), unit="s", utc=True).to_numpy(),
        "speed_kmh": np.nan, "flagged": False,
    }, geometry=gpd.points_from_xy(x, y), crs="EPSG:32618")
    g["t"] = pd.to_datetime(g["t"], utc=True)
    g = g.sort_values(["unit_id", "t"], kind="stable").drop_duplicates(["unit_id", "t"]).reset_index(drop=True)
    assert g["unit_id"].nunique() == 31 and len(raw) == 20_777
    grid = GridSpec.for_points(g, cell_m=250, margin_m=500)
    p = presence(g, grid, max_gap_min=5)
    raster, slots, counted = brute_force(g, grid, 300)
    assert counted > 0
    assert round(p.total_s) == counted
    np.testing.assert_array_equal(p.hour_of_week_s, slots)
    assert p.raster_s.sum() == pytest.approx(counted, abs=1e-6) and p.outside_grid_s == 0
    assert np.abs(p.raster_s - raster).sum() <= 0.01 * counted


def test_segments__speed_from_pings_else_displacement():
    g = track("A", MONDAY, [0, 10, 20], [0, 100, 200], [0, 0, 0], speed=[np.nan, np.nan, 20.0])
    s = patrol_segments(g)
    np.testing.assert_allclose(s.speed_kmh, [36.0, 20.0])


def test_presence__real_bus_gps_csv_and_gpx_through_the_importer_agree():
    from analysis.ingest.tracks import read_pings
    a = read_pings(shared_path("patrol", "wmata_bus_avl_gtfsrt_2026-02-16.csv")).pings
    b = read_pings(shared_path("patrol", "wmata_bus_avl_2026-02-16.gpx")).pings
    b = b.to_crs(a.crs)
    grid = GridSpec.for_points(a, cell_m=250, margin_m=500)
    pa, pb = presence(a, grid), presence(b, grid)
    assert pa.total_s > 0 and pa.total_s == pb.total_s and pa.uncounted_gap_s == pb.uncounted_gap_s
    np.testing.assert_array_equal(pa.hour_of_week_s, pb.hour_of_week_s)
    # positions differ by under a metre (float32 degrees against 7 decimals): cells nearly agree
    assert np.abs(pa.raster_s - pb.raster_s).sum() <= 0.002 * pa.total_s
    raster, slots, counted = brute_force(a, grid, 300)   # and the importer's frame against the brute force
    assert round(pa.total_s) == counted
