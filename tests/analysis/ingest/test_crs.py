"""Working CRS choice and the refusal to measure in degrees."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.ingest.crs import check_projected, in_great_britain, crs_name, transform, working_crs_for
from analysis.progress import BeatwiseError


@pytest.mark.parametrize("lon,lat,inside", [
    (-5.7, 50.07, True),    # Land's End
    (-4.7, 53.3, True),     # Anglesey
    (-3.2, 55.95, True),    # Edinburgh
    (-6.3, 57.4, True),     # Skye
    (-6.26, 53.35, False),  # Dublin
    (-5.93, 54.6, False),   # Belfast
    (2.35, 48.86, False),   # Paris
])
def test_in_great_britain(lon, lat, inside):
    assert bool(in_great_britain(np.array([lon]), np.array([lat]))[0]) is inside


def test_great_britain_gets_british_national_grid():
    assert working_crs_for(np.array([0.72, -1.5, -3.2]), np.array([51.54, 52.6, 55.9])) == "EPSG:27700"


@pytest.mark.parametrize("lon,lat,expected", [
    (-87.68, 41.77, "EPSG:32616"),   # Chicago: UTM 16N (zone = floor((lon+180)/6)+1 = 16)
    (-73.93, 40.81, "EPSG:32618"),   # New York: UTM 18N
    (151.2, -33.9, "EPSG:32756"),    # Sydney: UTM 56S
    (-6.26, 53.35, "EPSG:32629"),    # Dublin is not Great Britain: UTM 29N
])
def test_elsewhere_gets_local_utm(lon, lat, expected):
    assert working_crs_for(np.array([lon]), np.array([lat])) == expected


def test_degrees_refused_for_distances():
    with pytest.raises(BeatwiseError, match="degrees"):
        check_projected("EPSG:4326")
    assert check_projected("EPSG:27700").is_projected


def test_transform_round_trip_and_name():
    x, y = transform(np.array([0.72338]), np.array([51.5366]), "EPSG:4326", "EPSG:27700")
    lon, lat = transform(x, y, "EPSG:27700", "EPSG:4326")
    assert lon[0] == pytest.approx(0.72338, abs=1e-7) and lat[0] == pytest.approx(51.5366, abs=1e-7)
    assert crs_name("epsg:27700") == "EPSG:27700"


def test_parallel_transform_and_points_equal_serial(monkeypatch):
    from pyproj import Transformer

    from analysis.ingest import crs as crsmod
    rng = np.random.default_rng(3)
    lon = rng.uniform(0.6, 0.8, 1001)
    lat = rng.uniform(51.5, 51.6, 1001)
    monkeypatch.setattr(crsmod, "PARALLEL_MIN_POINTS", 10)
    x, y = crsmod.transform(lon, lat, "EPSG:4326", "EPSG:27700")
    ex, ey = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    assert np.array_equal(x, ex) and np.array_equal(y, ey)
    pts = crsmod.points(x, y, "EPSG:27700")
    assert np.array_equal(pts.x.to_numpy(), x) and np.array_equal(pts.y.to_numpy(), y)
    assert pts.crs == "EPSG:27700"
