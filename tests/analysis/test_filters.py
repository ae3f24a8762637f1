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
