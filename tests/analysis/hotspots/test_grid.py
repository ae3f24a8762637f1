"""Tests for analysis.hotspots.grid: layout, indexing, automatic cell size, size limit, CRS checks."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest

from analysis.hotspots.grid import (MAX_CELLS, GridSpec, auto_cell_m, points_xy, readable_number,
                           suggest_cell_m)
from analysis.progress import BeatwiseError


def test_layout__rows_south_to_north_cols_west_to_east():
    g = GridSpec(1000.0, 2000.0, 10.0, nx=4, ny=3, crs="EPSG:27700")
    assert g.shape == (3, 4)
    assert g.bounds == (1000.0, 2000.0, 1040.0, 2030.0)
    np.testing.assert_allclose(g.x_centres(), [1005, 1015, 1025, 1035])
    np.testing.assert_allclose(g.y_centres(), [2005, 2015, 2025])
    X, Y = g.cell_centres()
    assert X.shape == Y.shape == (3, 4)
    assert X[0, 3] == 1035 and Y[2, 0] == 2025
    assert g.cell_bounds(2, 1) == (1010.0, 2020.0, 1020.0, 2030.0)
    assert g.cell_area_km2 == pytest.approx(1e-4)


def test_cell_index__half_open_cells_and_outside():
    g = GridSpec(0.0, 0.0, 10.0, nx=3, ny=2)
    pts = np.array([[0.0, 0.0],      # south-west corner -> cell (0, 0)
                    [10.0, 0.0],     # on the edge between col 0 and 1 -> col 1
                    [29.999, 19.999],  # last cell
                    [30.0, 5.0],     # eastern edge of the grid -> outside
                    [5.0, 20.0],     # northern edge -> outside
                    [-0.001, 5.0]])  # just west -> outside
    rows, cols = g.cell_index(pts)
    assert rows.tolist() == [0, 0, 1, -1, -1, -1]
    assert cols.tolist() == [0, 1, 2, -1, -1, -1]
    assert g.flat_index(pts).tolist() == [0, 1, 5, -1, -1, -1]


def test_counts__equal_brute_force():
    rng = np.random.default_rng(1)
    g = GridSpec(100.0, 200.0, 25.0, nx=7, ny=5)
    pts = rng.uniform([90, 190], [290, 340], size=(500, 2))
    w = rng.uniform(0, 2, 500)
    expected = np.zeros(g.shape)
    for (x, y), wi in zip(pts, w):
        for i in range(g.ny):
            for j in range(g.nx):
                x0, y0, x1, y1 = g.cell_bounds(i, j)
                if x0 <= x < x1 and y0 <= y < y1:
                    expected[i, j] += wi
    np.testing.assert_allclose(g.counts(pts, w), expected, rtol=1e-12)


def test_transform__north_up_maps_pixel_corners():
    g = GridSpec(500.0, 100.0, 20.0, nx=5, ny=4)
    t = g.transform
    assert t @ (0, 0) == (500.0, 180.0)      # top-left pixel corner = north-west corner of the grid
    assert t @ (5, 4) == (600.0, 100.0)      # bottom-right = south-east
    assert t.e == -20.0


def test_for_points__covers_points_plus_margin_snapped():
    pts = np.array([[1003.0, 2007.0], [1511.0, 2222.0]])
    g = GridSpec.for_points(pts, cell_m=10, margin_m=50, crs="EPSG:27700")
    assert g.crs == "EPSG:27700"
    assert g.x0 == 950.0 and g.y0 == 1950.0          # floor((1003-50)/10)*10
    assert g.x1 >= 1561.0 and g.y1 >= 2272.0
    assert g.x1 - 10 < 1561.0 and g.y1 - 10 < 2272.0  # no spare column/row
    rows, cols = g.cell_index(pts)
    assert (rows >= 0).all() and (cols >= 0).all()


def test_for_points__geodataframe_supplies_crs():
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 1000], [0, 500]), crs=27700)
    g = GridSpec.for_points(gdf, cell_m=50)
    assert g.crs == "EPSG:27700"
    assert GridSpec(0, 0, 1, 1, 1, crs=27700).crs == "EPSG:27700"


@pytest.mark.parametrize("value, nearest, up", [(23.7, 25.0, 25.0), (17.0, 20.0, 20.0), (1.3, 1.0, 2.0),
                                                 (0.031, 0.025, 0.05), (4000.0, 5000.0, 5000.0),
                                                 (2.2, 2.0, 2.5), (10.0, 10.0, 10.0)])
def test_readable_number(value, nearest, up):
    assert readable_number(value) == pytest.approx(nearest)
    assert readable_number(value, direction="up") == pytest.approx(up)


def test_auto_cell_m__shorter_side_over_250_rounded():
    # Southend-like extent: 12 km x 5.6 km -> 5600 / 250 = 22.4 m -> 25 m (nearest on a log scale)
    assert auto_cell_m(12_000, 5_600) == 25.0
    assert auto_cell_m(12_000, 5_000) == 20.0
    assert auto_cell_m(100_000, 60_000) == 250.0  # 240 -> 250
    assert auto_cell_m(0, 5000) == 20.0           # points on a line: use the longer side
    g = GridSpec.for_points(np.array([[0.0, 0.0], [11_000.0, 5_000.0]]), margin_m=300)
    assert g.cell_m == 25.0  # the shorter side includes the margins: (5000 + 600) / 250 = 22.4 -> 25


def test_auto_cell_m__single_location_without_margin():
    with pytest.raises(BeatwiseError, match="one location"):
        GridSpec.for_points(np.array([[5.0e5, 1.8e5]] * 3))


def test_grid_too_large__error_suggests_a_cell_size_that_fits():
    pts = np.array([[0.0, 0.0], [80_000.0, 60_000.0]])
    with pytest.raises(BeatwiseError) as exc:
        GridSpec.for_points(pts, cell_m=5, crs="EPSG:27700")
    msg = str(exc.value)
    assert "25,000,000" in msg and "--cell-m" in msg
    suggested = float(msg.split("--cell-m ")[1].split(")")[0])
    g = GridSpec.for_points(pts, cell_m=suggested)
    assert g.n_cells <= MAX_CELLS
    # and it is the smallest readable size that fits: the next readable size down does not
    smaller = max(c for c in (1, 2, 2.5, 5, 10, 20, 25, 50) if c < suggested)
    assert (math.floor(80_000 / smaller) + 1) * (math.floor(60_000 / smaller) + 1) > MAX_CELLS
    assert suggested == suggest_cell_m(80_000, 60_000)


def test_grid_too_large__direct_construction():
    with pytest.raises(BeatwiseError, match="more than the 25,000,000"):
        GridSpec(0, 0, 1.0, nx=6000, ny=5000)


def test_with_cell_m__same_origin_covers_extent():
    g = GridSpec(1000.0, 2000.0, 10.0, nx=95, ny=33)
    c = g.with_cell_m(100)
    assert (c.x0, c.y0, c.crs) == (g.x0, g.y0, g.crs)
    assert (c.nx, c.ny) == (10, 4)
    assert c.x1 >= g.x1 and c.y1 >= g.y1
    assert g.with_cell_m(10) == g


def test_points_xy__degrees_refused():
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.71, 0.72], [51.54, 51.55]), crs=4326)
    with pytest.raises(BeatwiseError, match="geographic CRS"):
        points_xy(gdf)
    with pytest.raises(BeatwiseError, match="geographic CRS"):
        GridSpec.for_points(np.array([[0.71, 51.54], [0.72, 51.55]]), crs="EPSG:4326", cell_m=1)
    with pytest.raises(BeatwiseError, match="longitude/latitude"):
        points_xy(np.array([[0.71, 51.54], [0.72, 51.55]]))


def test_points_xy__bad_input():
    with pytest.raises(BeatwiseError, match="non-finite"):
        points_xy(np.array([[0.0, 1.0], [np.nan, 2.0]]))
    with pytest.raises(BeatwiseError, match=r"\(n, 2\)"):
        points_xy(np.zeros((3, 3)))
    with pytest.raises(BeatwiseError, match="empty"):
        GridSpec.for_points(np.empty((0, 2)), cell_m=10)


def test_gridspec__frozen_and_validated():
    g = GridSpec(0, 0, 10, 2, 2)
    with pytest.raises(Exception):
        g.nx = 3  # type: ignore[misc]
    with pytest.raises(BeatwiseError):
        GridSpec(0, 0, 0.0, 2, 2)
    with pytest.raises(BeatwiseError):
        GridSpec(0, 0, 10, 0, 2)
    assert g.describe() == {"nx": 2, "ny": 2, "x0": 0.0, "y0": 0.0, "cell_m": 10.0, "crs": None}


def test_cell_for_bandwidths__a_fifth_of_the_narrowest_kernel_within_the_limit():
    from analysis.hotspots.grid import MAX_CELLS, cell_for_bandwidths, readable_number

    # a county: the extent rule alone gives 250 m; a 260 m smallest class asks for <= 52 m -> 50 m
    assert cell_for_bandwidths(260.0, 90_000, 70_000) == 50.0
    # a town: the extent rule (6 km / 250 = 24 -> 25 m) is already finer than a fifth of the bandwidth
    assert cell_for_bandwidths(400.0, 10_000, 6_000) == 25.0
    # never above the grid-size limit: 1 m kernels over 100 km give the smallest cell that fits
    c = cell_for_bandwidths(1.0, 100_000, 100_000)
    assert (100_000 / c) ** 2 <= MAX_CELLS * 1.01 and c == 25.0
    assert readable_number(52.0, direction="down") == 50.0 and readable_number(24.0, direction="down") == 20.0


def test_points_xy__incidents_table_without_geometry():
    import pandas as pd

    gdf = gpd.GeoDataFrame({"a": [1, 2]}, geometry=gpd.points_from_xy([1.0, 3.0], [2.0, 4.0]), crs="EPSG:27700")
    table = pd.DataFrame({"a": [1, 2], "x": [1.0, 3.0], "y": [2.0, 4.0]})
    table.attrs["crs"] = "EPSG:27700"
    xy_t, crs_t = points_xy(table.iloc[[0, 1]])
    xy_g, crs_g = points_xy(gdf)
    assert np.array_equal(xy_t, xy_g) and crs_t == crs_g == "EPSG:27700"
    table.attrs["crs"] = "EPSG:4326"
    with pytest.raises(BeatwiseError, match="geographic"):
        points_xy(table)


def test_grid_occupied__equals_counts_above_zero():
    from analysis.hotspots.grid import GridSpec

    rng = np.random.default_rng(1)
    xy = rng.uniform(-50, 1050, (500, 2))        # some outside the grid: dropped as counts drops them
    g = GridSpec(0.0, 0.0, 10.0, 100, 100)
    occ = g.occupied(xy)
    assert occ.dtype == bool and occ.shape == g.shape
    np.testing.assert_array_equal(occ, g.counts(xy) > 0)
