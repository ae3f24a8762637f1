"""Shared filters: crime type, date range, area, polygon."""
from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from analysis.filters import Filters, apply_filters, parse_date
from analysis.progress import BeatwiseError


@pytest.fixture
def incidents():
    return gpd.GeoDataFrame({
        "crime_type": ["Drugs", "drugs", "Burglary", "Robbery"],
        "area": ["Southend-on-Sea", "Southend-on-Sea", "Basildon", ""],
        "lsoa": ["Southend-on-Sea 014B", "", "Basildon 001A", ""],
        "t_start": pd.to_datetime(["2024-01-05 10:00", "2024-02-01 00:00", "2024-03-31 23:59", "2024-01-01 00:00"]),
        "t_end": pd.to_datetime(["2024-01-05 10:00", "2024-03-01 00:00", "2024-03-31 23:59", "2024-01-01 00:00"]),
    }, geometry=[Point(0, 0), Point(10, 10), Point(100, 100), Point(5, 5)], crs=27700)


def test_filters__each_kind(incidents):
    assert len(apply_filters(incidents, Filters())) == 4
    assert list(apply_filters(incidents, Filters(crime_types=("DRUGS",))).index) == [0, 1]
    got = apply_filters(incidents, Filters(date_from=date(2024, 2, 15), date_to=date(2024, 3, 31)))
    assert list(got.index) == [1, 2]  # the February month overlaps; the 31 March 23:59 counts
    assert list(apply_filters(incidents, Filters(area="southend")).index) == [0, 1]
    assert list(apply_filters(incidents, Filters(polygon=box(-1, -1, 11, 11))).index) == [0, 1, 3]


def test_filters__empty_range_and_bad_dates(incidents):
    with pytest.raises(BeatwiseError, match="empty"):
        apply_filters(incidents, Filters(date_from=date(2024, 3, 1), date_to=date(2024, 1, 1)))
    with pytest.raises(BeatwiseError, match="not a date"):
        parse_date("yesterday", "--from")
    assert parse_date("2024-02") == date(2024, 2, 1)
    assert "Drugs" in Filters(crime_types=("Drugs",)).describe()


def test_filters__incidents_table_without_geometry_same_as_points(incidents):
    """The table form (x, y columns, read_incidents(geometry=False)) filters like the GeoDataFrame."""
    table = pd.DataFrame(incidents.drop(columns="geometry")).assign(x=incidents.geometry.x, y=incidents.geometry.y)
    for f in (Filters(polygon=box(-1, -1, 11, 11)), Filters(polygon=box(0, 0, 5, 5), crime_types=("drugs",)),
              Filters(area="basildon")):
        assert list(apply_filters(table, f).index) == list(apply_filters(incidents, f).index)


def test_filter_pings__local_days_inclusive_in_summer_time():
    import datetime as dt

    import geopandas as gpd

    from analysis.filters import Filters, filter_pings

    # 2026-07-01 is BST (UTC+1): the local day 1 July runs 30 June 23:00 UTC to 1 July 23:00 UTC
    t = pd.to_datetime(["2026-06-30 22:59:59", "2026-06-30 23:00:00", "2026-07-01 22:59:59",
                        "2026-07-01 23:00:00"]).tz_localize("UTC")
    pings = gpd.GeoDataFrame({"unit_id": ["A"] * 4, "t": t}, geometry=gpd.points_from_xy([0] * 4, [0] * 4),
                             crs="EPSG:27700")
    day = dt.date(2026, 7, 1)
    got = filter_pings(pings, Filters(date_from=day, date_to=day))
    assert got["t"].tolist() == list(t[1:3])
    assert len(filter_pings(pings, Filters(crime_types=("Drugs",)))) == 4     # only dates narrow patrols


def test_clip_logs__a_log_across_the_range_edge_keeps_its_part_inside():
    import datetime as dt

    import geopandas as gpd
    from shapely.geometry import box

    from analysis.filters import Filters, clip_logs

    logs = gpd.GeoDataFrame({"unit_id": ["A", "B"],
                             "t_start": pd.to_datetime(["2026-01-11 23:00", "2026-01-05 10:00"]).tz_localize("UTC"),
                             "t_end": pd.to_datetime(["2026-01-12 01:30", "2026-01-05 11:00"]).tz_localize("UTC")},
                            geometry=[box(0, 0, 1, 1)] * 2, crs="EPSG:27700")
    got = clip_logs(logs, Filters(date_from=dt.date(2026, 1, 12)))
    assert got["unit_id"].tolist() == ["A"]
    assert got["t_start"].iloc[0] == pd.Timestamp("2026-01-12 00:00", tz="UTC")   # GMT: local = UTC
    assert got["t_end"].iloc[0] == pd.Timestamp("2026-01-12 01:30", tz="UTC")
