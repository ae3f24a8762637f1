"""Visits and Koper dosage at hotspots: synthetic units on known paths, hand-worked numbers."""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from analysis.patrols.visits import hotspot_visits
from analysis.progress import BeatwiseError
from tests.analysis.patrols.ping_frames import BNG, concat, track

SQUARE = box(0, 0, 100, 100)           # buffered by 15 m: [-15, 115] x [-15, 115]
T = "2026-01-14 10:00"                 # a Wednesday, GMT


def stay(unit, start, minutes, x=50, y=50, every_s=30):
    secs = np.arange(0, minutes * 60 + 1, every_s)
    return track(unit, start, secs, [x] * len(secs), [y] * len(secs))


def test_visits__circling_a_square_hotspot_for_30_minutes_is_one_30_minute_visit():
    path = np.array([(10, 10), (90, 10), (90, 90), (10, 90)], dtype=float)
    secs = np.arange(0, 1801, 10)                      # 1 m/s round an 80 m square, 10 m per ping
    dist = secs * 1.0 % 320
    xs, ys = [], []
    for d in dist:
        leg, along = int(d // 80), d % 80
        a, b = path[leg], path[(leg + 1) % 4]
        p = a + (b - a) * along / 80
        xs.append(p[0]), ys.append(p[1])
    v = hotspot_visits(track("A", T, secs, xs, ys), [SQUARE])
    assert len(v.visits) == 1
    row = v.visits.iloc[0]
    assert row.duration_min == 30 and row.patrol_min == 30 and row.officer_min == 30
    assert row.qualifying and row.kind == "stop" and row.median_speed_kmh == pytest.approx(3.6)
    h = v.hotspots.iloc[0]
    assert (h.visits, h.visits_qualifying, h.stops, h.patrol_minutes) == (1, 1, 1, 30)


def test_visits__two_units_overlapping_10_minutes_give_10_patrol_and_20_officer_minutes():
    v = hotspot_visits(concat(stay("A", T, 10), stay("B", T, 10, x=60)), [SQUARE])
    row = v.visits.iloc[0]
    assert len(v.visits) == 1 and row.units == 2
    assert row.patrol_min == 10 and row.officer_min == 20 and row.qualifying     # 10 >= 10 minutes
    assert v.hotspots.iloc[0].patrol_minutes == 10 and v.hotspots.iloc[0].officer_minutes == 20


def test_visits__koper_minimum_is_inclusive_and_adjustable():
    assert not hotspot_visits(stay("A", T, 9.5), [SQUARE]).visits.iloc[0].qualifying
    assert hotspot_visits(stay("A", T, 9.5), [SQUARE], koper_min=9).visits.iloc[0].qualifying


def test_visits__staggered_units_unite_into_one_visit():
    v = hotspot_visits(concat(stay("A", T, 20), stay("B", "2026-01-14 10:10", 20)), [SQUARE])
    row = v.visits.iloc[0]
    assert row.duration_min == 30 and row.patrol_min == 30 and row.officer_min == 40


def test_visits__a_drive_through_at_30_kmh_is_not_a_stop():
    secs = np.arange(0, 133, 5)                         # 8.333 m/s from x = -500 to 600
    xs = -500 + secs * (30 / 3.6)
    v = hotspot_visits(track("A", T, secs, xs, [50] * len(secs)), [SQUARE])
    row = v.visits.iloc[0]
    assert len(v.visits) == 1 and row.kind == "drive-through" and not row.qualifying
    assert row.median_speed_kmh == pytest.approx(30)
    assert row.duration_min * 60 == pytest.approx(130 / (30 / 3.6), abs=1e-6)   # 130 m inside
    assert v.hotspots.iloc[0].drive_throughs == 1 and v.hotspots.iloc[0].stops == 0


def test_visits__reported_speed_wins_over_displacement():
    g = stay("A", T, 12)
    g["speed_kmh"] = 40.0                               # e.g. a stationary AVL reporting nonsense
    assert hotspot_visits(g, [SQUARE]).visits.iloc[0].kind == "drive-through"


def test_visits__entry_time_found_along_the_segment():
    # from x = -115 at t=0 to x = 85 at t=200 (1 m/s): enters the buffer (x = -15) at t=100
    secs = [0, 200] + list(range(260, 801, 60))
    xs = [-115, 85] + [85] * (len(secs) - 2)
    v = hotspot_visits(track("A", T, secs, xs, [50] * len(secs)), [SQUARE])
    row = v.visits.iloc[0]
    assert row.start == pd.Timestamp("2026-01-14 10:01:40", tz="UTC")
    assert row.duration_min * 60 == pytest.approx(700)


def test_visits__pauses_under_2_minutes_merge_longer_ones_split():
    merged = hotspot_visits(concat(stay("A", T, 5), stay("B", "2026-01-14 10:06:30", 5.5)), [SQUARE])
    assert len(merged.visits) == 1
    row = merged.visits.iloc[0]
    assert row.duration_min == 12 and row.patrol_min == 10.5 and row.qualifying
    split = hotspot_visits(concat(stay("A", T, 5), stay("B", "2026-01-14 10:08", 5)), [SQUARE])
    assert len(split.visits) == 2 and split.hotspots.iloc[0].visits_qualifying == 0


def test_visits__a_visit_crossing_06_00_splits_between_policing_days():
    v = hotspot_visits(stay("A", "2026-01-15 05:45", 35), [SQUARE])   # GMT: 05:45-06:20 local
    d = v.dosage.set_index("day")
    assert list(d.index) == [dt.date(2026, 1, 14), dt.date(2026, 1, 15)]
    assert d.loc[dt.date(2026, 1, 14), "patrol_minutes"] == 15
    assert d.loc[dt.date(2026, 1, 15), "patrol_minutes"] == 20
    assert list(d["visits"]) == [1, 1] and list(d["visits_qualifying"]) == [1, 1]
    assert len(v.visits) == 1 and v.visits.iloc[0].duration_min == 35


def test_visits__policing_day_starts_at_06_00_local_in_summer():
    v = hotspot_visits(stay("A", "2026-06-15 04:50", 20), [SQUARE])   # 05:50-06:10 BST
    assert list(v.dosage["patrol_minutes"]) == [10, 10]
    v = hotspot_visits(stay("A", "2026-06-15 04:50", 20), [SQUARE], day_start="07:00")
    assert list(v.dosage["patrol_minutes"]) == [20]


def test_visits__longest_gap_runs_over_the_observed_period():
    g = concat(stay("A", T, 5), stay("B", "2026-01-14 14:00", 5), stay("C", "2026-01-14 18:00", 5, x=500))
    h = hotspot_visits(g, [SQUARE]).hotspots.iloc[0]
    assert h.visits == 2
    assert h.longest_gap_h == pytest.approx(4)    # 14:05 to the last ping at 18:05 (10:05-14:00 is 3h55)


def test_visits__no_visit_means_the_whole_period_is_a_gap():
    v = hotspot_visits(stay("A", T, 60, x=500), [SQUARE, box(400, 0, 600, 100)])
    assert list(v.hotspots["visits"]) == [0, 1]
    assert v.hotspots.iloc[0].longest_gap_h == 1 and v.hotspots.iloc[1].patrol_minutes == 60
    assert len(v.dosage) == 2 and v.dosage["patrol_minutes"].tolist() == [0, 60]


def test_visits__hour_of_week_per_hotspot_in_local_time():
    v = hotspot_visits(stay("A", "2026-01-14 10:30", 60), [SQUARE])    # Wednesday 10:30-11:30
    wed = 2 * 24
    assert v.hour_of_week_s[0, wed + 10] == 1800 and v.hour_of_week_s[0, wed + 11] == 1800
    assert v.hour_of_week_s.sum() == 3600


def test_visits__leaving_and_reentering_a_concave_hotspot():
    u_shape = Polygon([(0, 0), (300, 0), (300, 100), (200, 100), (200, 30), (100, 30), (100, 100), (0, 100)])
    # along y = 80 from x = -100 to 400 at 1 m/s, no buffer: inside x in [0,100] and [200,300]
    v = hotspot_visits(track("A", T, [0, 500], [-100, 400], [80, 80]), [u_shape], visit_buffer_m=0,
                       max_gap_min=10)
    assert v.hotspots.iloc[0].patrol_minutes * 60 == pytest.approx(200)
    assert len(v.visits) == 1 and v.visits.iloc[0].duration_min * 60 == pytest.approx(300)


def test_visits__names_from_the_location_column():
    hs = gpd.GeoDataFrame({"location": ["York Road"]}, geometry=[SQUARE], crs=BNG)
    assert hotspot_visits(stay("A", T, 5), hs).names == ("York Road",)


def test_visits__hotspots_in_another_crs_refused():
    hs = gpd.GeoDataFrame(geometry=[box(0.7, 51.5, 0.71, 51.51)], crs="EPSG:4326")
    with pytest.raises(BeatwiseError, match="different CRS"):
        hotspot_visits(stay("A", T, 5), hs)


def test_visits__points_are_not_hotspots():
    from shapely.geometry import Point
    with pytest.raises(BeatwiseError, match="polygons"):
        hotspot_visits(stay("A", T, 5), [Point(0, 0)])


# ------------------------------------------------------------------ against a brute force

def test_visits__a_hotspot_around_everything_holds_all_the_presence():
    from analysis.hotspots.grid import GridSpec
    from analysis.patrols.presence import presence
    from tests.analysis.patrols.ping_frames import random_pings
    g = random_pings(n_units=3, per_unit=200, seed=4)
    v = hotspot_visits(g, [box(-1000, -1000, 2000, 2000)], visit_buffer_m=0)
    p = presence(g, GridSpec(-100, -100, 50, 14, 14))
    assert v.hotspots.iloc[0].officer_minutes * 60 == pytest.approx(p.total_s, abs=1e-6)
    assert v.hotspots.iloc[0].patrol_minutes <= v.hotspots.iloc[0].officer_minutes
    np.testing.assert_array_less(v.hour_of_week_s[0], p.hour_of_week_s + 1e-6)


@pytest.mark.parametrize("seed", [5, 6])
def test_visits__officer_time_inside_matches_per_second_sampling(seed):
    from tests.analysis.patrols.ping_frames import random_pings
    g = random_pings(n_units=3, per_unit=150, seed=seed)
    u_shape = Polygon([(100, 100), (400, 100), (400, 400), (300, 400), (300, 200), (200, 200),
                       (200, 400), (100, 400)])
    v = hotspot_visits(g, [u_shape], visit_buffer_m=0)
    # brute force: sample every counted segment at 1-second steps, count seconds inside
    t = g["t"].astype("datetime64[ns, UTC]").astype("int64").to_numpy() // 10**9
    x, y, u, f = g.geometry.x.to_numpy(), g.geometry.y.to_numpy(), g["unit_id"].to_numpy(), g["flagged"].to_numpy()
    inside = 0
    for i in range(len(g) - 1):
        d = int(t[i + 1] - t[i])
        if u[i] != u[i + 1] or f[i] or f[i + 1] or d > 300 or d == 0:
            continue
        s = (np.arange(d) + 0.5) / d
        inside += int(shapely.contains_xy(u_shape, x[i] + s * (x[i + 1] - x[i]), y[i] + s * (y[i + 1] - y[i])).sum())
    officer_s = v.hotspots.iloc[0].officer_minutes * 60
    assert inside > 0
    assert officer_s == pytest.approx(inside, abs=5)     # half a second per boundary crossing at most


def test_visits__empty__no_hotspots_and_no_movement():
    from analysis.patrols.gap import patrol_gap
    v = hotspot_visits(stay("A", T, 0), [])
    assert list(v.hotspots.columns)[:2] == ["hotspot", "name"] and len(v.visits) == 0
    assert patrol_gap(v, np.zeros((0, 168))).gaps == ()
    v = hotspot_visits(stay("A", T, 0), [SQUARE])
    assert v.hotspots.iloc[0].visits == 0 and v.dosage["patrol_minutes"].sum() == 0


def test_visits__the_autumn_policing_day_has_25_hours():
    # 06:00 BST Saturday 24 October (05:00 UTC) to 06:00 GMT Sunday (06:00 UTC): one day, 1,500 min
    v = hotspot_visits(stay("A", "2026-10-24 05:00", 25 * 60, every_s=60), [SQUARE])
    d = v.dosage.set_index("day")
    assert d.loc[dt.date(2026, 10, 24), "patrol_minutes"] == 1500
    assert d["patrol_minutes"].sum() == 1500
