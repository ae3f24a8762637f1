"""Tests for analysis.hotspots.study_area: the cells a statistic comparing cells is computed over.

References: shapely point-in-polygon on the cell centres (for the rasterised boundary), brute-force
distances from every cell centre (for the edge of the area within reach), hand-placed points.
"""
from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree

from analysis.hotspots.grid import GridSpec
from analysis.hotspots.study_area import (BOUNDARY, REACH, band_stencil, boundary_study_area, check_band,
                                          default_reach_m, reach_study_area, read_study_area, study_area_for)
from analysis.progress import BeatwiseError

BNG = "EPSG:27700"


def test_band_stencil__a_cell_at_exactly_the_distance_counts():
    assert band_stencil(100, 99.9).sum() == 1            # focal only
    assert band_stencil(100, 100).sum() == 5             # + 4 rook neighbours at exactly 100 m
    assert band_stencil(100, 100 * math.sqrt(2)).sum() == 9
    assert band_stencil(100, 200).sum() == 13
    assert band_stencil(100, 250).sum() == 21            # 5x5 minus the 4 corners (282.8 m)


def test_check_band__names_the_limit_and_a_band_that_fits():
    with pytest.raises(BeatwiseError, match=r"\(1,000,000,000 m\) is longer than the whole grid \(1,414 m"):
        check_band((10, 10), 100.0, 1e9)
    with pytest.raises(BeatwiseError, match="positive"):
        check_band((10, 10), 100.0, float("nan"))
    with pytest.raises(BeatwiseError) as err:
        check_band((3000, 3000), 10.0, 20_000.0)
    text = str(err.value)
    assert "49,000,000 cells" in text and "25,000,000" in text
    longest = float(text.split("at most ")[1].split(" m")[0].replace(",", ""))
    check_band((3000, 3000), 10.0, longest)               # the suggested band fits
    with pytest.raises(BeatwiseError):
        check_band((3000, 3000), 10.0, longest + 20)


# ---------------------------------------------------------------------------------------------- boundary
def test_boundary_study_area__cell_centres_inside_the_polygon():
    grid = GridSpec(0, 0, 10, 40, 30, crs=BNG)
    poly = shapely.Polygon([(12, 7), (385, 40), (300, 288), (60, 250)]).difference(shapely.Point(200, 150).buffer(40))
    area = boundary_study_area(poly, grid, source="/data/beat 7.geojson")
    X, Y = grid.cell_centres()
    np.testing.assert_array_equal(area.mask, shapely.contains_xy(poly, X, Y))
    assert area.kind == BOUNDARY and area.description == "boundary beat 7.geojson" and area.source.endswith("7.geojson")
    assert area.area_km2 == pytest.approx(area.n_cells * 1e-4)
    assert abs(area.area_km2 - poly.area / 1e6) < 0.03 * poly.area / 1e6
    with pytest.raises(ValueError):
        area.mask[0, 0] = True
    s = area.summary()
    assert s["kind"] == "boundary" and s["n_cells"] == area.n_cells and s["reach_m"] is None


def test_boundary_study_area__empty_or_elsewhere_is_a_clear_error():
    grid = GridSpec(0, 0, 10, 40, 30, crs=BNG)
    with pytest.raises(BeatwiseError, match="covers no cell centre"):
        boundary_study_area(shapely.box(10_000, 10_000, 11_000, 11_000), grid, source="far.geojson")
    with pytest.raises(BeatwiseError, match="covers no cell centre"):
        boundary_study_area(shapely.box(1, 1, 4, 4), grid)       # smaller than a cell, off its centre
    with pytest.raises(BeatwiseError, match="empty"):
        boundary_study_area(shapely.Polygon(), grid)


def test_study_area_for__boundary_file_or_within_reach(tmp_path):
    grid = GridSpec(0, 0, 10, 40, 30, crs=BNG)
    xy = np.array([[50.0, 50.0], [60.0, 55.0], [70.0, 52.0]])
    east, west = tmp_path / "east.geojson", tmp_path / "west.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(200, 100, 400, 300)], crs=BNG).to_file(east, driver="GeoJSON")
    gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 200, 300)], crs=BNG).to_file(west, driver="GeoJSON")
    with pytest.raises(BeatwiseError, match=r"No incidents in the study area \(boundary east.geojson\)"):
        study_area_for(xy, grid, band_m=50, boundary_path=east)
    inside = study_area_for(xy, grid, band_m=50, boundary_path=west)
    assert inside.kind == BOUNDARY and inside.incidents_inside(xy) == 3 and inside.source == str(west)
    reach = study_area_for(xy, grid, band_m=50)
    assert reach.kind == REACH and reach.reach_m == 50 and reach.incidents_inside(xy) == 3


# ---------------------------------------------------------------------------------------------- within reach
def test_reach_study_area__uniform_square_is_the_square_without_the_margin():
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 4000, (8000, 2))
    grid = GridSpec(-700, -700, 100, 54, 54, crs=BNG)      # 700 m of margin on every side
    area = reach_study_area(xy, grid, 250)
    X, Y = grid.cell_centres()
    strictly_in = (X > 0) & (X < 4000) & (Y > 0) & (Y < 4000)
    assert area.kind == REACH and area.reach_m == 250 and "250 m" in area.description
    assert not (area.mask & ~strictly_in).any()                  # no margin cell
    assert (strictly_in & ~area.mask).sum() <= 0.02 * strictly_in.sum()
    # every cell inside is within reach: its centre is at most 250 m from an incident
    d, _ = cKDTree(xy).query(np.column_stack([X[area.mask], Y[area.mask]]))
    assert d.max() <= 250


def test_reach_study_area__a_lake_bigger_than_the_reach_is_left_out():
    rng = np.random.default_rng(9)
    xy = rng.uniform(0, 6000, (30_000, 2))
    lake = np.hypot(xy[:, 0] - 3000, xy[:, 1] - 3000) < 1200
    xy = xy[~lake]
    grid = GridSpec(0, 0, 100, 60, 60, crs=BNG)
    area = reach_study_area(xy, grid, 300)
    X, Y = grid.cell_centres()
    r = np.hypot(X - 3000, Y - 3000)
    assert not area.mask[r < 1150].any()                       # the lake (its edge to a cell's precision)
    assert area.mask[(r > 1300) & (X > 200) & (X < 5800) & (Y > 200) & (Y < 5800)].all()
    # a gap narrower than the reach is filled: a 200 m wide empty street through the data
    street = xy[np.abs(xy[:, 1] - 1000) > 100]
    filled = reach_study_area(street, grid, 300)
    assert filled.mask[9:11, 3:20].all()


def test_reach_study_area__a_lone_incident_keeps_its_cell():
    grid = GridSpec(0, 0, 100, 20, 20, crs=BNG)
    area = reach_study_area(np.array([[1234.0, 567.0]]), grid, 250)
    assert area.n_cells == 1 and area.mask[5, 12]
    rng = np.random.default_rng(1)
    crowd = rng.uniform(0, 800, (400, 2))
    lone = np.vstack([crowd, [[1850.0, 1850.0]]])
    area = reach_study_area(lone, grid, 250)
    assert area.mask[18, 18] and area.mask[1:7, 1:7].all()
    assert not area.mask[10:17, 10:17].any()


def test_reach_study_area__on_another_grid_and_errors():
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 2000, (3000, 2))
    fine = GridSpec(-300, -300, 25, 104, 104, crs=BNG)
    area = reach_study_area(xy, fine, 250)
    coarse = area.on(fine.with_cell_m(100))
    assert coarse.grid.cell_m == 100 and coarse.reach_m == 250 and coarse.kind == REACH
    assert coarse.area_km2 == pytest.approx(area.area_km2, rel=0.05)
    assert area.on(fine) is area
    with pytest.raises(BeatwiseError, match="No incidents"):
        reach_study_area(np.empty((0, 2)), fine, 250)
    with pytest.raises(BeatwiseError, match="study area's reach"):
        reach_study_area(xy, fine, 1e7)


def test_default_reach__the_band_or_the_spacing_of_the_sparse_background():
    rng = np.random.default_rng(12)
    dense = rng.uniform(0, 10_000, (50_000, 2))
    assert default_reach_m(dense, 250) == 250                    # 7 neighbours within about 80 m
    clusters = np.vstack([rng.normal([1000, 1000], 40, (300, 2)), rng.normal([3000, 2000], 40, (100, 2)),
                          rng.uniform(0, 4000, (100, 2))])
    reach = default_reach_m(clusters, 200)
    # 100 points over 16 km^2 (6.25 per km^2): a circle holding 7 of them has r = sqrt(7 / (pi 6.25)) km
    assert 400 < reach < 900
    # 50 incidents on each of 5 snap points 1 km apart: places, not incidents, are counted (else 0 m)
    snap = np.repeat(np.array([[0.0, 0.0], [1000, 0], [2000, 0], [0, 1000], [1000, 1000]]), 50, axis=0)
    assert default_reach_m(snap, 200) == pytest.approx(math.hypot(2000, 1000))
    assert default_reach_m(np.array([[1.0, 1.0]]), 123) == 123


# ---------------------------------------------------------------------------------------------- files
def test_read_study_area__geojson_reprojected_and_dissolved(tmp_path):
    a = shapely.box(583_000, 185_000, 584_000, 186_000)
    b = shapely.box(584_000, 185_000, 585_000, 186_000)
    gdf = gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[a, b], crs=BNG).to_crs(4326)
    path = tmp_path / "beats.geojson"
    gdf.to_file(path, driver="GeoJSON")
    geom = read_study_area(path, BNG)
    assert geom.area == pytest.approx(2e6, rel=1e-4)
    assert shapely.equals_exact(shapely.box(*geom.bounds), shapely.box(583_000, 185_000, 585_000, 186_000), 0.5)


def test_read_study_area__not_polygons_or_missing(tmp_path):
    points = tmp_path / "points.geojson"
    points.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0.7, 51.5]}}]}))
    with pytest.raises(BeatwiseError, match="no polygons"):
        read_study_area(points, BNG)
    with pytest.raises(BeatwiseError, match="no such study area"):
        read_study_area(tmp_path / "missing.geojson", BNG)


def test_reach_lattice__padding_counted_in_the_budget__six_incidents_far_apart():
    """Regression: 6 incidents km apart (reach 3.5 km) on a grid of 230 x 207 small cells built a
    lattice of 12 million nodes (26 s on a busy machine): the reach padding was not in the budget."""
    import math

    from analysis.hotspots.grid import GridSpec
    from analysis.hotspots.study_area import REACH_LATTICE_MAX_CELLS, _lattice_factor

    grid = GridSpec(580_000.0, 180_000.0, 15.0, nx=207, ny=230, crs="EPSG:27700")
    reach_m = 3549.0
    f = _lattice_factor(grid, reach_m)
    pad = math.floor(reach_m / (grid.cell_m / f)) + 1
    nodes = (grid.ny * f + 2 * pad) * (grid.nx * f + 2 * pad)
    assert nodes <= 1.05 * REACH_LATTICE_MAX_CELLS


def test_default_reach__band_decides_without_a_neighbour_search_when_dense():
    """Dense data: the sufficient square test returns the band, equal to the exact search's answer."""
    from scipy.spatial import cKDTree

    from analysis.hotspots.study_area import REACH_NEIGHBOURS, REACH_QUANTILE, _band_decides, default_reach_m

    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 2000, (20_000, 2))
    d, _ = cKDTree(xy).query(xy, k=REACH_NEIGHBOURS + 1)
    exact = max(150.0, float(np.quantile(d[:, REACH_NEIGHBOURS], REACH_QUANTILE)))
    assert _band_decides(xy, 150.0, REACH_NEIGHBOURS) and default_reach_m(xy, 150.0) == exact == 150.0
    sparse = rng.uniform(0, 50_000, (300, 2))       # the band is too short here: the search decides
    assert not _band_decides(sparse, 150.0, REACH_NEIGHBOURS) and default_reach_m(sparse, 150.0) > 150.0
