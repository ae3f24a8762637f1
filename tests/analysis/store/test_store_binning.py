"""Binning on the server equals binning the same rows here: linear bins, counts, spread, the surface."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.filters import Filters, apply_filters
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import _spread, grid_for_kde, kde, linear_bin
from analysis.ingest.incidents import read_incidents
from analysis.store.address import parse_address
from analysis.store.binning import server_counts, server_kde, server_linear_bin, server_spread
from analysis.store.connection import connect
from analysis.store.where import where_clause

SOUTHEND = Filters(area="Southend-on-Sea")


@pytest.fixture(scope="module")
def southend_xy(essex_files):
    inc = apply_filters(read_incidents(essex_files, geometry=False).incidents, SOUTHEND)
    return np.column_stack([inc["x"].to_numpy(), inc["y"].to_numpy()])


@pytest.fixture
def conn(essex_store):
    c = connect(parse_address(essex_store))
    yield c
    c.close()


def test_linear_bin_on_the_server_equals_linear_bin(conn, essex_store, southend_xy):
    grid = GridSpec.for_points(southend_xy, cell_m=40, margin_m=100, crs="EPSG:27700")
    clause, params = where_clause(SOUTHEND, 27700)
    got = server_linear_bin(conn, parse_address(essex_store), clause, params, grid, pad=3)
    want = linear_bin(southend_xy.copy(), None, grid, pad=3)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert got.sum() == pytest.approx(len(southend_xy), rel=1e-12)


def test_points_off_the_lattice_are_left_out_as_here(conn, essex_store, southend_xy):
    x0, y0 = np.median(southend_xy, axis=0)
    grid = GridSpec(x0, y0, 50.0, 40, 30, "EPSG:27700")  # most points outside
    clause, params = where_clause(SOUTHEND, 27700)
    got = server_linear_bin(conn, parse_address(essex_store), clause, params, grid, pad=1)
    want = linear_bin(southend_xy.copy(), None, grid, pad=1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert 0 < got.sum() < len(southend_xy)


def test_counts_on_the_server_equal_grid_counts(conn, essex_store, southend_xy):
    grid = GridSpec.for_points(southend_xy, cell_m=200, crs="EPSG:27700")
    clause, params = where_clause(SOUTHEND, 27700)
    assert np.array_equal(server_counts(conn, parse_address(essex_store), clause, params, grid), grid.counts(southend_xy))


def test_spread_on_the_server_equals_spread(conn, essex_store, southend_xy):
    clause, params = where_clause(SOUTHEND, 27700)
    spread, bounds = server_spread(conn, parse_address(essex_store), clause, params)
    sd, dm, sx, sy, n = _spread(southend_xy, None)
    assert spread.n == n
    assert (spread.sd, spread.dm, spread.sx, spread.sy) == pytest.approx((sd, dm, sx, sy), rel=1e-12)
    assert bounds == (*southend_xy.min(axis=0), *southend_xy.max(axis=0))


@pytest.mark.parametrize("kernel,bandwidth", [("quartic", "auto"), ("gaussian", "silverman"), ("epanechnikov", 120.0),
                                              ("quartic", 60.0)])
def test_server_surface_equals_the_files_surface(essex_store, southend_xy, kernel, bandwidth):
    """Issue 18: KDE surfaces from the store equal those from the CSV to 1e-9 relative."""
    got = server_kde(parse_address(essex_store), SOUTHEND, kernel=kernel, bandwidth_m=bandwidth)
    grid, choice = grid_for_kde(southend_xy, kernel=kernel, bandwidth_m=bandwidth, crs="EPSG:27700")
    want = kde(southend_xy, grid, kernel=kernel, bandwidth_m=choice)
    assert got.grid == want.grid
    assert got.bandwidth_m == pytest.approx(want.bandwidth_m, rel=1e-12)
    assert got.oversample == want.oversample
    assert np.abs(got.values - want.values).max() <= 1e-9 * want.values.max()
    assert got.integral == pytest.approx(want.integral, rel=1e-9)


def test_no_incidents_after_the_filters(essex_store):
    from analysis.progress import BeatwiseError

    with pytest.raises(BeatwiseError, match="none are left after the filters"):
        server_kde(parse_address(essex_store), Filters(area="Nowhere"))


def test_density_command_from_store_and_from_files_agree(essex_store, essex_files, tmp_path):
    import json

    import rasterio

    from analysis.cli import main

    common = ["--area", "Southend-on-Sea", "--from", "2024-02-01", "--to", "2024-03-31", "--json"]
    for name, inputs in (("store", [essex_store]), ("rows", [essex_store, "--fetch-rows"]),
                         ("files", [str(f) for f in essex_files])):
        assert main(["density", *inputs, *common, "--out", str(tmp_path / name)]) == 0
    s = {n: json.loads((tmp_path / n / "density.json").read_text()) for n in ("store", "rows", "files")}
    assert [s[n]["binned"] for n in s] == ["server", "here", "here"]
    assert s["store"]["incidents"] == s["files"]["incidents"] > 100
    assert s["store"]["grid"] == s["files"]["grid"]
    rasters = {n: rasterio.open(tmp_path / n / "density.tif").read(1) for n in s}
    assert np.array_equal(rasters["rows"], rasters["files"])
    np.testing.assert_allclose(rasters["store"], rasters["files"], rtol=1e-6, atol=1e-6 * rasters["files"].max())
