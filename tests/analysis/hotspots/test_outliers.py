"""Out-of-area incidents: far-away rows found by the stated rule, named, on synthetic and Essex data."""
from __future__ import annotations

import glob
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from analysis.hotspots.outliers import boundary_outliers, find_outliers

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "police_uk"
ESSEX = sorted(glob.glob(str(DATA / "2024-0?-essex-street.csv")))

# Exeter and Newcastle upon Tyne city centres in British National Grid (metres)
EXETER = (292000.0, 92500.0)
NEWCASTLE = (424800.0, 564200.0)


def _frame(xy, names):
    return gpd.GeoDataFrame({"lsoa": names, "area": [n.rsplit(" ", 1)[0] for n in names],
                             "location": ["On or near High Street"] * len(names)},
                            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")


def _county(n=5000, seed=1):
    rng = np.random.default_rng(seed)
    towns = np.array([[570000.0, 190000.0], [585000.0, 205000.0], [600000.0, 225000.0]])
    pts = towns[rng.integers(0, 3, n)] + rng.normal(0, 1500, (n, 2))
    rural = rng.uniform([550000, 180000], [610000, 230000], (n // 5, 2))
    return np.vstack([pts, rural]).round()


def test_find_outliers__far_away_points_found_and_named():
    xy = _county()
    far = np.array([EXETER, EXETER, (EXETER[0] + 300, EXETER[1] + 200), NEWCASTLE])
    allxy = np.vstack([xy, far])
    names = ["Colchester 001A"] * len(xy) + ["Exeter 004D", "Exeter 004D", "Exeter 001B", "Newcastle upon Tyne 029G"]
    o = find_outliers(_frame(allxy, names))
    assert o.n == 4 and o.mask[-4:].all() and not o.mask[:-4].any()
    assert o.names[0] == ("Exeter 004D", 2)
    assert dict(o.names) == {"Exeter 004D": 2, "Exeter 001B": 1, "Newcastle upon Tyne 029G": 1}
    s = o.sentence()
    assert s.startswith("4 incidents lie outside the main area: Exeter 004D (2), ")
    assert "Newcastle upon Tyne 029G" in s
    assert 5000 <= o.link_m < 100_000
    assert "5th nearest" in o.rule
    summ = o.summary()
    assert summ["n"] == 4 and summ["n_total"] == len(allxy) and summ["kept"] is False


def test_find_outliers__none_in_a_county_and_a_village_4_km_away_stays():
    xy = _county()
    rng = np.random.default_rng(3)
    village = np.array([546000.0, 200000.0]) + rng.normal(0, 100, (20, 2))  # 4 km west of the rural points
    o = find_outliers(np.vstack([xy, village]))
    assert o.n == 0
    assert o.sentence() == "No incident lies outside the main area."


def test_find_outliers__a_distant_cluster_of_many_places_is_still_out():
    xy = _county()
    rng = np.random.default_rng(5)
    exeter = np.array(EXETER) + rng.normal(0, 300, (30, 2))  # 30 distinct places: k-NN alone would keep them
    o = find_outliers(np.vstack([xy, exeter]))
    assert o.n == 30 and o.mask[-30:].all()


def test_find_outliers__tiny_inputs():
    o = find_outliers(np.array([[0.0, 0.0], [1e6, 1e6]]))
    assert o.n == 0 and "not applied" in o.rule


def test_boundary_outliers__boundary_decides():
    import shapely

    xy = np.array([[0.0, 0.0], [100.0, 100.0], [3000.0, 0.0], [20000.0, 0.0]])
    box = shapely.box(-500, -500, 500, 500)
    o = boundary_outliers(_frame(xy, ["A 1", "A 1", "B 2", "Far 3"]), box, source="beat.geojson")
    assert o.mask.tolist() == [False, False, False, True]
    assert o.names == (("Far 3", 1),) and "beat.geojson" in o.rule


def _essex():
    if len(ESSEX) < 4:
        pytest.skip(f"Essex 2024 files not available in {DATA}")
    from analysis.ingest.incidents import read_incidents

    return read_incidents(ESSEX).incidents


def test_find_outliers__essex_2024_real_files():
    inc = _essex()
    o = find_outliers(inc)
    assert len(inc) == 51_443
    # the one Essex Police row located in Norfolk (Great Yarmouth, 87 km from any other location)
    assert o.n == 1 and o.names == (("Great Yarmouth 002D", 1),)
    assert 10_000 < o.link_m < 20_000


def test_find_outliers__essex_with_planted_rows(tmp_path):
    """A copy of an Essex file with rows planted in Exeter and Newcastle (WGS84, as data.police.uk)."""
    if len(ESSEX) < 4:
        pytest.skip("Essex 2024 files not available")
    from analysis.ingest.incidents import read_incidents

    raw = pd.read_csv(ESSEX[0])
    planted = raw.iloc[:3].copy()
    planted["Longitude"] = [-3.5275, -3.5300, -1.6130]
    planted["Latitude"] = [50.7236, 50.7250, 54.9738]
    planted["LSOA name"] = ["Exeter 004D", "Exeter 004D", "Newcastle upon Tyne 029G"]
    planted["Crime ID"] = ["p1", "p2", "p3"]
    path = tmp_path / "2024-01-essex-street.csv"
    pd.concat([raw, planted]).to_csv(path, index=False)
    inc = read_incidents([path]).incidents
    o = find_outliers(inc)
    assert o.names[:2] == (("Exeter 004D", 2), ("Newcastle upon Tyne 029G", 1)) or \
        set(dict(o.names)) >= {"Exeter 004D", "Newcastle upon Tyne 029G"}
    assert dict(o.names)["Exeter 004D"] == 2
    assert o.sentence().startswith(f"{o.n} incidents lie outside the main area: Exeter 004D (2), "
                                   "Newcastle upon Tyne 029G")
