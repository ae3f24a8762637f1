"""Presence and visits from patrol logs (analysis/patrols/logs.py), checked by hand-worked numbers
and a brute force."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon, box

from analysis.hotspots.grid import GridSpec
from analysis.patrols.logs import cell_shares, log_presence, overlaps, street_areas
from analysis.patrols.on_duty import on_duty
from analysis.patrols.visits import hotspot_visits
from tests.analysis.patrols.ping_frames import BNG, track

GRID = GridSpec(0.0, 0.0, 100.0, 10, 10, crs=BNG)


def logs_frame(units, starts, ends, geoms, crs=BNG) -> gpd.GeoDataFrame:
    """A logs frame shaped like analysis.ingest.patrol_logs output (naive times are UTC)."""
    def utc(values):
        t = pd.to_datetime(pd.Series(list(values)))
        return t.dt.tz_localize("UTC") if t.dt.tz is None else t.dt.tz_convert("UTC")

    return gpd.GeoDataFrame({"unit_id": [str(u) for u in units], "t_start": utc(starts), "t_end": utc(ends),
                             "street": "", "source_file": "logs.csv", "source_row": np.arange(2, len(units) + 2)},
                            geometry=list(geoms), crs=crs)


def test_log_presence__two_hours_over_exactly_four_cells_is_30_minutes_each():
    logs = logs_frame(["PCSO 1"], ["2026-03-02 10:00"], ["2026-03-02 12:00"], [box(200, 300, 400, 500)])
    p = log_presence(logs, GRID)
    minutes = p.raster_s / 60
    assert np.count_nonzero(minutes) == 4
    np.testing.assert_allclose(minutes[3:5, 2:4], 30.0)          # rows 3-4 (y 300-500), cols 2-3
    assert p.total_s == 7200 and p.outside_grid_s == pytest.approx(0) and p.logs_s == 7200
    assert p.hour_of_week_s.sum() == 7200


def test_log_presence__half_a_cell_and_outside_the_grid_share_by_area():
    # 150 x 100 m: one whole cell (100 x 100) and half of the next; then 50 m west of the grid
    logs = logs_frame(["A", "B"], ["2026-03-02 10:00", "2026-03-02 10:00"], ["2026-03-02 10:30", "2026-03-02 11:00"],
                      [box(100, 100, 250, 200), box(-50, 0, 50, 100)])
    p = log_presence(logs, GRID)
    assert p.raster_s[1, 1] == pytest.approx(1800 * 100 / 150)
    assert p.raster_s[1, 2] == pytest.approx(1800 * 50 / 150)
    assert p.raster_s[0, 0] == pytest.approx(1800)                # B: half its area is in the grid
    assert p.outside_grid_s == pytest.approx(1800)
    assert p.raster_s.sum() + p.outside_grid_s == pytest.approx(p.total_s) and p.total_s == 1800 + 3600


def test_log_presence__sunday_2300_to_0100_splits_between_two_hour_of_week_slots():
    # 2026-03-08 is a Sunday, in GMT (UTC = local): 23:00-01:00 is Sunday 23:00 and Monday 00:00
    logs = logs_frame(["A"], ["2026-03-08 23:00"], ["2026-03-09 01:00"], [box(0, 0, 100, 100)])
    how = log_presence(logs, GRID).hour_of_week_s
    assert how[6 * 24 + 23] == 3600 and how[0] == 3600 and how.sum() == 7200


def test_log_presence__conservation_against_brute_force_on_random_logs():
    rng = np.random.default_rng(3)
    n = 40
    x0, y0 = rng.uniform(-200, 900, n), rng.uniform(-200, 900, n)
    w, h = rng.uniform(10, 400, n), rng.uniform(10, 400, n)
    geoms = [Polygon([(a, b), (a + c, b + d / 3), (a + c / 2, b + d)]) for a, b, c, d in zip(x0, y0, w, h)]
    start = pd.Timestamp("2026-03-20 00:00", tz="UTC") + pd.to_timedelta(rng.integers(0, 10 * 86400, n), unit="s")
    end = start + pd.to_timedelta(rng.integers(60, 9 * 3600, n), unit="s")
    p = log_presence(logs_frame(range(n), start, end, geoms), GRID)
    # brute force: every cell of the grid against every log, one shapely intersection each
    ref = np.zeros(GRID.shape)
    for g, s, e in zip(geoms, start, end):
        for r in range(GRID.ny):
            for c in range(GRID.nx):
                cell = box(c * 100, r * 100, (c + 1) * 100, (r + 1) * 100)
                ref[r, c] += (e - s).total_seconds() * cell.intersection(g).area / g.area
    np.testing.assert_allclose(p.raster_s, ref, atol=1e-6)
    total = float(sum((e - s).total_seconds() for s, e in zip(start, end)))
    assert p.total_s == total and p.hour_of_week_s.sum() == total
    assert p.raster_s.sum() + p.outside_grid_s == pytest.approx(total, abs=1e-6)


def test_cell_shares__holes_multipolygons_and_grid_lines_against_shapely_intersections():
    from shapely.geometry import MultiPolygon

    from analysis.patrols.logs import cell_shares_many

    ring = box(105, 105, 695, 695).difference(box(300, 300, 500, 500))        # a hole on grid lines
    two = MultiPolygon([box(-30, 810, 130, 870), Polygon([(600, 900), (1150, 950), (800, 1120)])])
    street = LineString([(10, 20), (650, 910)]).buffer(15)
    geoms = np.array([ring, two, street], dtype=object)
    owner, flat, share = cell_shares_many(geoms, GRID)
    for i, g in enumerate(geoms):
        ref = np.zeros(GRID.n_cells)
        for r in range(GRID.ny):
            for c in range(GRID.nx):
                ref[r * GRID.nx + c] = box(c * 100, r * 100, (c + 1) * 100, (r + 1) * 100).intersection(g).area / g.area
        got = np.bincount(flat[owner == i], weights=share[owner == i], minlength=GRID.n_cells)
        np.testing.assert_allclose(got, ref, atol=1e-9)


def test_cell_shares__polygon_off_the_grid_has_no_cells():
    flat, share = cell_shares(box(5000, 5000, 5100, 5100), GRID)
    assert flat.size == 0 and share.size == 0


def test_overlaps__touching_edges_do_not_count():
    hot = box(0, 0, 100, 100)
    got = overlaps(hot, np.array([box(100, 0, 200, 100), box(99, 0, 200, 100), box(300, 300, 400, 400)], dtype=object))
    assert got.tolist() == [False, True, False]


def test_hotspot_visits__a_log_overlapping_a_hotspot_is_present_for_its_whole_interval():
    hot = [box(0, 0, 100, 100)]
    logs = logs_frame(["PCSO 1", "PCSO 2"], ["2026-03-02 10:00", "2026-03-02 10:30"],
                      ["2026-03-02 11:00", "2026-03-02 10:45"], [box(50, 50, 500, 500), box(600, 600, 700, 700)])
    v = hotspot_visits(None, hot, visit_buffer_m=0, logs=logs)
    row = v.hotspots.iloc[0]
    assert row["patrol_minutes"] == 60 and row["officer_minutes"] == 60 and row["visits"] == 1
    assert row["visits_qualifying"] == 1
    assert v.visits.iloc[0]["kind"] == "unknown"                   # a log has no speed
    assert row["stops"] == 0 and row["drive_throughs"] == 0


def test_hotspot_visits__pings_and_logs_unite_units_and_sum_officers():
    hot = [box(0, 0, 100, 100)]
    # a ping unit parked inside 10:00-10:20 (UTC), a log 10:10-10:40 over the hotspot
    pings = track("CAR 1", "2026-03-02 10:00", [0, 300, 600, 900, 1200], [50] * 5, [50] * 5)
    logs = logs_frame(["PCSO 1"], ["2026-03-02 10:10"], ["2026-03-02 10:40"], [box(0, 0, 100, 100)])
    v = hotspot_visits(pings, hot, visit_buffer_m=0, logs=logs)
    row = v.hotspots.iloc[0]
    assert row["patrol_minutes"] == pytest.approx(40)             # 10:00-10:40 at least one present
    assert row["officer_minutes"] == pytest.approx(50)            # 20 + 30
    assert row["visits"] == 1 and v.visits.iloc[0]["units"] == 2
    assert v.visits.iloc[0]["kind"] == "stop"                     # the car's speed (0) decides


def test_on_duty__a_log_puts_its_unit_on_duty_in_every_hour_it_touches():
    logs = logs_frame(["A"], ["2026-03-02 10:30"], ["2026-03-02 12:00"], [box(0, 0, 100, 100)])
    d = on_duty(None, logs)
    assert d.unit_hours[10] == 1 and d.unit_hours[11] == 1 and d.unit_hours[12] == 0   # Monday 10, 11
    assert d.units == ("A",)


def test_street_areas__union_of_named_lines_buffered_and_unknown_is_none():
    from shapely.geometry import LineString

    from analysis.hotspots.streets import street_layer_from_frame

    frame = gpd.GeoDataFrame({"name": ["York Road", "York  road", "High Street"]},
                             geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (200, 0)]),
                                       LineString([(0, 500), (100, 500)])], crs=BNG)
    lookup = street_areas(street_layer_from_frame(frame, BNG), buffer_m=10)
    york = lookup("YORK ROAD")
    assert york.area == pytest.approx(200 * 20 + np.pi * 10 ** 2, rel=1e-2)
    assert lookup("Queensway") is None
