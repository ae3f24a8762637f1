"""Tests for analysis.hotspots.areas: hotspot areas (isopleths, counts, PAI)."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from analysis.hotspots.areas import hotspot_areas
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import grid_for_kde, kde
from analysis.hotspots.streets import POLICE_UK_PLACES
from analysis.hotspots.study_area import boundary_study_area
from analysis.progress import BeatwiseError, Cancelled
from tests.conftest import SHARED_DATA

DATA = SHARED_DATA
SOUTHEND = DATA / "police_uk" / "2024-01_to_2024-04-southend-on-sea-street.csv"
DISTRICTS = DATA / "boundaries" / "south-essex-districts.geojson"


def _incidents(xy, crs="EPSG:27700", **cols):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def _southend():
    if not SOUTHEND.exists():
        pytest.skip(f"real data not available at {SOUTHEND}")
    from analysis.ingest.incidents import read_incidents

    return read_incidents([SOUTHEND]).incidents


# ---------------------------------------------------------------------------------------------- hotspot areas
def _two_clusters():
    rng = np.random.default_rng(12)
    a = rng.normal([1000, 1000], 40, (300, 2))
    b = rng.normal([3000, 2000], 40, (100, 2))
    noise = rng.uniform(0, 4000, (100, 2))
    xy = np.vstack([a, b, noise])
    loc = (["On or near High Street"] * 200 + ["On or near York Road"] * 100 + ["On or near Pier Hill"] * 60
           + ["On or near Marine Parade"] * 40 + [""] * 100)
    return _incidents(xy, location=loc)


def test_hotspot_areas__two_clusters_ranked_and_counted():
    inc = _two_clusters()
    grid, choice = grid_for_kde(inc, cell_m=20, bandwidth_m=200)
    s = kde(inc, grid, bandwidth_m=choice)
    h = hotspot_areas(s, inc, top_percent=5, min_incidents=0)  # every area of top cells, as selected
    assert len(h.hotspots) >= 2
    first, second = h.hotspots[:2]
    assert first.rank == 1 and second.rank == 2
    assert first.geometry.contains(shapely.Point(1000, 1000))
    assert second.geometry.contains(shapely.Point(3000, 2000))
    assert [x.incidents for x in h.hotspots] == sorted((x.incidents for x in h.hotspots), reverse=True)
    # incidents = a direct point-in-polygon count (shapely), for every hotspot
    pts = inc.geometry.values
    for x in h.hotspots:
        assert x.incidents == int(shapely.contains(x.geometry, pts).sum())
        assert x.area_km2 == pytest.approx(x.geometry.area / 1e6, rel=1e-9)
        assert x.area_km2 == pytest.approx(x.n_cells * 0.0004)
        assert x.share == pytest.approx(x.incidents / 500)
        assert x.pai == pytest.approx((x.incidents / 500) / (x.area_km2 / h.study_area_km2))
        assert x.peak_density == pytest.approx(s.values[h.labels == x.rank].max())
        assert (s.values[h.labels == x.rank] >= h.threshold_density).all()
    # top 5 % of the study area's cells are selected, and its area is the A of the PAI
    m = h.study_area.n_cells
    assert h.study_area.kind == "reach" and h.study_area.grid == grid
    assert int((h.labels > 0).sum()) == math.ceil(0.05 * m)
    assert (h.labels[~h.study_area.mask] == 0).all()
    assert h.study_area_km2 == pytest.approx(m * 0.0004)
    # the sparse background is within reach too (the closing spans the 100 scattered incidents),
    # the margin the density grid adds around the data is not
    hull = shapely.convex_hull(shapely.multipoints(inc.geometry.values))
    assert 0.75 * hull.area / 1e6 < h.study_area_km2 < hull.area / 1e6
    # location names: hand-counted from the labels
    assert first.locations[:2] == ("On or near High Street", "On or near York Road")
    inside = shapely.contains(first.geometry, pts)
    counts = inc.loc[inside, "location"].value_counts()
    assert first.location_counts[0] == counts["On or near High Street"]
    assert second.locations[0] == "On or near Pier Hill"
    assert "" not in first.locations
    # by default the areas without an incident are left out and the rest keep their order
    listed = hotspot_areas(s, inc, top_percent=5)
    assert [x.incidents for x in listed.hotspots] == [x.incidents for x in h.hotspots if x.incidents >= 1]
    assert listed.n_unlisted == sum(x.incidents == 0 for x in h.hotspots)


def test_hotspot_areas__geodataframe_has_rank_matching():
    inc = _two_clusters()
    grid, choice = grid_for_kde(inc, cell_m=20, bandwidth_m=200)
    h = hotspot_areas(kde(inc, grid, bandwidth_m=choice), inc)
    gdf = h.to_geodataframe()
    assert list(gdf["rank"]) == [x.rank for x in h.hotspots]
    assert list(gdf["incidents"]) == [x.incidents for x in h.hotspots]
    assert gdf.crs == "EPSG:27700" and gdf.geometry.is_valid.all()


def test_hotspot_areas__southend_names_real_streets_and_counts_match():
    inc = _southend()
    grid, choice = grid_for_kde(inc)
    s = kde(inc, grid, bandwidth_m=choice)
    h = hotspot_areas(s, inc)
    assert len(h.hotspots) >= 3
    top = h.hotspots[:3]
    # counts equal a direct point-in-polygon count through geopandas' spatial join
    hs = h.to_geodataframe()
    joined = gpd.sjoin(inc[["geometry"]], hs[["rank", "geometry"]], predicate="within")
    by_rank = joined["rank"].value_counts()
    for x in h.hotspots:
        assert x.incidents == by_rank.get(x.rank, 0)
    assert sum(x.incidents for x in h.hotspots) == len(joined)
    # the names are the data's own location strings, the most frequent inside first
    known = set(inc["location"])
    street_words = ("Road", "Avenue", "Street", "Close", "Drive", "Lane", "Way", "Gardens", "Parade", "Hill")
    for x in top:
        assert x.locations and all(n in known and n.startswith("On or near ") for n in x.locations)
        inside = joined.index[joined["rank"] == x.rank]
        counts = inc.loc[inside, "location"].value_counts()
        is_place = counts.index.str.replace("On or near ", "").str.casefold().isin(POLICE_UK_PLACES)
        expected = counts[~is_place] if (~is_place).any() else counts  # streets before place labels
        assert x.location_counts[0] == expected.iloc[0]
    assert any(n.split()[-1] in street_words for x in top for n in x.locations)
    # the top hotspot lies in Southend-on-Sea (ONS boundary, an independent source)
    if DISTRICTS.exists():
        d = gpd.read_file(DISTRICTS).to_crs(27700)
        southend = d.loc[d["lad17cd"] == "E06000033", "geometry"].iloc[0]
        assert southend.contains(top[0].geometry.representative_point())
    assert top[0].pai > 1 and 0 < top[0].share < 1


def test_hotspot_areas__one_incident():
    inc = _incidents([[583_000.0, 186_000.0]], location=["On or near York Road"])
    grid, choice = grid_for_kde(inc)
    s = kde(inc, grid, bandwidth_m=choice)
    h = hotspot_areas(s, inc)
    assert len(h.hotspots) == 1
    x = h.hotspots[0]
    assert x.incidents == 1 and x.share == 1.0 and x.locations == ("On or near York Road",)
    assert s.warnings and "fallback" in s.warnings[0]


def test_hotspot_areas__all_on_one_snap_point():
    inc = _incidents(np.tile([[588_500.0, 185_900.0]], (81, 1)), location=["On or near York Road"] * 81)
    grid, choice = grid_for_kde(inc)
    s = kde(inc, grid, bandwidth_m=choice)
    h = hotspot_areas(s, inc)
    assert len(h.hotspots) == 1
    assert h.hotspots[0].incidents == 81 and h.hotspots[0].location_counts == (81,)


def test_hotspot_areas__bad_input():
    inc = _two_clusters()
    grid, choice = grid_for_kde(inc, cell_m=20, bandwidth_m=200)
    s = kde(inc, grid, bandwidth_m=choice)
    with pytest.raises(BeatwiseError, match="top percent"):
        hotspot_areas(s, inc, top_percent=0)
    with pytest.raises(BeatwiseError, match="top percent"):
        hotspot_areas(s, inc, top_percent=150)
    with pytest.raises(BeatwiseError, match="No incidents"):
        hotspot_areas(s, inc.iloc[:0])
    with pytest.raises(BeatwiseError, match="geographic CRS"):
        hotspot_areas(s, inc.to_crs(4326))


def test_hotspot_areas__ties_warn_and_study_area_override():
    # one incident with a uniform kernel: a flat disc, every cell ties
    inc = _incidents([[1000.0, 1000.0]])
    grid = GridSpec.for_points(inc, cell_m=10, margin_m=200)
    s = kde(inc, grid, kernel="uniform", bandwidth_m=100)
    whole = boundary_study_area(shapely.box(*grid.bounds), grid)
    h = hotspot_areas(s, inc, top_percent=5, study_area=whole, study_area_km2=10.0)
    assert any("tie" in w for w in h.warnings)
    assert h.study_area_km2 == 10.0
    assert h.hotspots[0].pai == pytest.approx(1.0 / (h.hotspots[0].area_km2 / 10.0))


def test_hotspot_areas__progress_and_cancel():
    inc = _two_clusters()
    grid, choice = grid_for_kde(inc, cell_m=20, bandwidth_m=200)
    s = kde(inc, grid, bandwidth_m=choice)
    seen = []
    hotspot_areas(s, inc, progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0

    def cancel(f, m):
        if f > 0.2:
            raise Cancelled

    with pytest.raises(Cancelled):
        hotspot_areas(s, inc, progress=cancel)


def test_hotspot_areas__boundary_study_area_bounds_the_selection_and_the_pai():
    inc = _two_clusters()   # clusters at (1000, 1000) and (3000, 2000)
    grid, choice = grid_for_kde(inc, cell_m=20, bandwidth_m=200)
    s = kde(inc, grid, bandwidth_m=choice)
    west = boundary_study_area(shapely.box(0, 0, 2000, 4000), grid, source="west.geojson")
    h = hotspot_areas(s, inc, top_percent=5, study_area=west, min_incidents=0)
    assert h.study_area is west and h.study_area_km2 == pytest.approx(west.n_cells * 0.0004)
    assert h.study_area_km2 == pytest.approx(8.0, rel=0.01)            # 2 x 4 km
    assert int((h.labels > 0).sum()) == math.ceil(0.05 * west.n_cells)
    assert (h.labels[~west.mask] == 0).all()
    assert all(x.geometry.bounds[2] <= 2000 for x in h.hotspots)       # the east cluster is outside
    top = h.hotspots[0]
    assert top.geometry.contains(shapely.Point(1000, 1000))
    assert top.pai == pytest.approx((top.incidents / 500) / (top.area_km2 / h.study_area_km2))


def test_hotspot_areas__area_without_incidents_not_listed():
    """Regression: a top-density area holding no incident (demo hotspot 15: one 10 m cell, 0
    incidents) was listed as a hotspot. A ring of incidents peaks in its empty middle."""
    angles = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    ring = np.column_stack([2000 + 150 * np.cos(angles), 2000 + 150 * np.sin(angles)])
    rng = np.random.default_rng(4)
    cluster = rng.normal([4000, 4000], 5, (120, 2))
    inc = _incidents(np.vstack([ring, cluster]))
    grid = GridSpec(1000.0, 1000.0, 20.0, 200, 200, "EPSG:27700")
    s = kde(inc, grid, bandwidth_m=400.0)
    every = hotspot_areas(s, inc, top_percent=1, min_incidents=0, max_hotspot_km2=None)
    empty = [h for h in every.hotspots if h.incidents == 0]
    assert empty and empty[0].geometry.contains(shapely.Point(2000, 2000))  # the ring's middle
    listed = hotspot_areas(s, inc, top_percent=1, max_hotspot_km2=None)
    assert listed.min_incidents == 1 and listed.n_unlisted == len(empty)
    assert len(listed.hotspots) == len(every.hotspots) - len(empty)
    assert [h.rank for h in listed.hotspots] == list(range(1, len(listed.hotspots) + 1))
    assert any("not listed" in w for w in listed.warnings)
    pts = shapely.points(np.vstack([ring, cluster]))
    for h in listed.hotspots:
        assert h.incidents >= 1
        assert int(shapely.covers(h.geometry, pts).sum()) == h.incidents  # point-in-polygon count
        assert int((listed.labels == h.rank).sum()) == h.n_cells
    assert not (listed.labels[every.labels == empty[0].rank] > 0).any()  # its cells are unlabelled
    # a stricter minimum drops every area below it
    strict = hotspot_areas(s, inc, top_percent=1, max_hotspot_km2=None, min_incidents=50)
    assert all(h.incidents >= 50 for h in strict.hotspots)
    with pytest.raises(BeatwiseError, match="whole number"):
        hotspot_areas(s, inc, min_incidents=1.5)
