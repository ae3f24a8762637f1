"""Tests for analysis.hotspots.gistar: Getis-Ord Gi* against esda's published example and esda itself,
Benjamini-Hochberg against the procedure written out."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from scipy import stats

from analysis.hotspots.gistar import (GI_LEVELS, band_stencil, benjamini_hochberg, default_gi_distance_m, gi_classes,
                                      gi_star, gi_star_grid, gi_star_points, two_sided_p)
from analysis.hotspots.grid import GridSpec
from analysis.progress import BeatwiseError, Cancelled

ESDA_POINTS = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
ESDA_Y = [2, 3, 3.2, 5, 8, 7]
ESDA_Z = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331]


def _incidents(xy, crs="EPSG:27700", **cols):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def test_gi_star_points__esda_published_reference_vector():
    z = gi_star_points(ESDA_POINTS, ESDA_Y, 15.0)
    np.testing.assert_allclose(z, ESDA_Z, atol=1e-7)


def test_gi_star_grid__equals_points_version_on_the_esda_example():
    # the esda points lie on a 5 m lattice: put their values in a grid of 5 m cells with a mask
    grid = GridSpec(7.5, 7.5, 5.0, nx=7, ny=5)
    values = np.zeros(grid.shape)
    mask = np.zeros(grid.shape, dtype=bool)
    rows, cols = grid.cell_index(np.array(ESDA_POINTS, dtype=float))
    values[rows, cols] = ESDA_Y
    mask[rows, cols] = True
    z, _ = gi_star_grid(values, 5.0, 15.0, mask=mask)
    np.testing.assert_allclose(z[rows, cols], ESDA_Z, atol=1e-7)
    assert np.isnan(z[~mask]).all()


def test_gi_star_grid__equals_points_version_random_grid_with_mask():
    rng = np.random.default_rng(21)
    grid = GridSpec(0, 0, 100, nx=23, ny=17)
    values = rng.poisson(2.0, grid.shape).astype(float)
    mask = rng.uniform(size=grid.shape) < 0.8
    z, w = gi_star_grid(values, 100.0, 250.0, mask=mask)
    X, Y = grid.cell_centres()
    zp = gi_star_points(np.column_stack([X[mask], Y[mask]]), values[mask], 250.0)
    np.testing.assert_allclose(z[mask], zp, rtol=0, atol=1e-10)


@pytest.mark.parametrize("distance_m", [250.0, 200.0, 100.0 * math.sqrt(2)])
def test_gi_star_grid__equals_esda_g_local_random_grid(distance_m):
    esda = pytest.importorskip("esda")
    from libpysal.weights import DistanceBand

    rng = np.random.default_rng(5)
    grid = GridSpec(500_000, 180_000, 100, nx=30, ny=20)
    counts = rng.poisson(1.5, grid.shape).astype(float)
    counts[5:9, 10:14] += rng.poisson(6, (4, 4))  # a hot patch
    X, Y = grid.cell_centres()
    centres = np.column_stack([X.ravel(), Y.ravel()])
    # libpysal's DistanceBand includes a neighbour at exactly the threshold (200 m, 141.42 m cases);
    # a hair of tolerance absorbs the float error of sqrt(2)*100
    w = DistanceBand(centres, threshold=distance_m * (1 + 1e-9), binary=True, silence_warnings=True)
    ref = esda.G_Local(counts.ravel(), w, transform="B", star=True, permutations=0)
    z, _ = gi_star_grid(counts, 100.0, distance_m)
    np.testing.assert_allclose(z.ravel(), ref.Zs, atol=1e-6)


def test_band_stencil__a_cell_at_exactly_the_distance_counts():
    assert band_stencil(100, 99.9).sum() == 1            # focal only
    assert band_stencil(100, 100).sum() == 5             # + 4 rook neighbours at exactly 100 m
    assert band_stencil(100, 100 * math.sqrt(2)).sum() == 9
    assert band_stencil(100, 200).sum() == 13
    assert band_stencil(100, 250).sum() == 21            # 5x5 minus the 4 corners (282.8 m)


def test_two_sided_p__equals_scipy():
    z = np.array([-3.5, -1.96, -0.2, 0.0, 1.0, 2.58, np.nan])
    expected = 2 * stats.norm.sf(np.abs(z))
    np.testing.assert_allclose(two_sided_p(z), expected, rtol=1e-12)
    assert np.isnan(two_sided_p(z)[-1])


def _plain_bh_reject(p, q):
    """Benjamini & Hochberg (1995) step-up, written out: reject the k smallest p-values, k the
    largest rank with p_(k) <= k q / m."""
    finite = np.isfinite(p)
    pf = p[finite]
    m = len(pf)
    order = np.argsort(pf)
    k = 0
    for rank in range(1, m + 1):
        if pf[order[rank - 1]] <= rank * q / m:
            k = rank
    reject = np.zeros(m, dtype=bool)
    reject[order[:k]] = True
    out = np.zeros(p.shape, dtype=bool)
    out[finite] = reject
    return out


def test_fdr_classes__equal_plain_benjamini_hochberg():
    rng = np.random.default_rng(8)
    z = np.concatenate([rng.normal(0, 1, 400), rng.normal(3, 1, 60), rng.normal(-3, 1, 40), [np.nan]])
    p = two_sided_p(z)
    adj = benjamini_hochberg(p)
    classes = gi_classes(z, adj)
    expected = np.zeros(len(z), dtype=int)
    for cls, q, _ in reversed(GI_LEVELS):  # 90 % first, then overwrite with 95 %, 99 %
        expected[_plain_bh_reject(p, q)] = cls
    expected = expected * np.sign(np.nan_to_num(z)).astype(int)
    np.testing.assert_array_equal(classes, expected)
    assert (np.abs(classes) == 3).sum() > 10 and (classes == 0).sum() > 300
    assert np.isnan(adj[-1]) and classes[-1] == 0
    # adjusted p-values are monotone in p and never below p
    ok = np.isfinite(p)
    assert np.all(adj[ok] >= p[ok])
    o = np.argsort(p[ok])
    assert np.all(np.diff(adj[ok][o]) >= -1e-15)


def test_gi_classes__raw_p_thresholds():
    z = np.array([3.0, -2.0, 1.7, 1.0, -3.0])
    p = two_sided_p(z)  # 0.0027, 0.0455, 0.0891, 0.317, 0.0027
    np.testing.assert_array_equal(gi_classes(z, p), [3, -2, 1, 0, -3])


def test_gi_star__grid_counts_and_summary():
    rng = np.random.default_rng(3)
    xy = np.vstack([rng.uniform(0, 3000, (600, 2)), rng.normal([1500, 1500], 60, (200, 2))])
    grid = GridSpec(0, 0, 100, 30, 30, crs="EPSG:27700")
    r = gi_star(_incidents(xy), grid, distance_m=250)
    assert r.counts.sum() == 800 and r.counts.shape == (30, 30)
    np.testing.assert_array_equal(r.counts, grid.counts(xy))
    z, _ = gi_star_grid(grid.counts(xy), 100, 250)
    np.testing.assert_allclose(r.z, z)
    assert r.classes[15, 15] == 3                          # the cluster is a 99 % hot spot
    assert r.fdr and r.p_fdr is not None and r.n_cells == 900 and r.neighbours == 21
    s = r.summary()
    assert s["hot"]["99"] == int((r.classes == 3).sum()) > 0
    assert set(s) >= {"cell_m", "distance_m", "fdr", "hot", "cold"} and set(s["cold"]) == {"99", "95", "90"}
    raw = gi_star(xy, grid, distance_m=250, fdr=False)
    assert raw.p_fdr is None
    assert sum(raw.hot) >= sum(r.hot)                      # FDR only removes detections
    gdf = r.to_geodataframe()
    assert len(gdf) == int((r.classes != 0).sum())
    assert np.allclose(gdf.geometry.area, 100 * 100)
    with pytest.raises(ValueError):
        r.z[0, 0] = 1.0


def test_gi_star__one_incident():
    r = gi_star(np.array([[550.0, 550.0]]), GridSpec(0, 0, 100, 11, 11), distance_m=150)
    assert np.isfinite(r.z).all()
    # the 9 cells whose band holds the incident share the highest z of the interior cells
    near = np.zeros((11, 11), dtype=bool)
    near[4:7, 4:7] = True
    np.testing.assert_allclose(r.z[near], r.z[near][0])
    assert r.z[5, 5] > 0 and (r.z[1:-1, 1:-1][~near[1:-1, 1:-1]] < 0).all()


def test_gi_star__no_variation_is_a_clear_error():
    with pytest.raises(BeatwiseError, match="same incident count"):
        gi_star(np.array([[50.0, 50.0], [150.0, 50.0]]), GridSpec(0, 0, 100, 2, 1), distance_m=100)


def test_gi_star__no_incidents_and_bad_distance():
    with pytest.raises(BeatwiseError, match="No incidents"):
        gi_star(np.empty((0, 2)), GridSpec(0, 0, 100, 5, 5), distance_m=100)
    with pytest.raises(BeatwiseError, match="positive"):
        gi_star(np.array([[1.0, 1.0]]), GridSpec(0, 0, 100, 5, 5), distance_m=0)


def test_gi_star__band_covering_everything_warns():
    xy = np.array([[50.0, 50.0], [50.0, 60.0], [250.0, 50.0]])
    r = gi_star(xy, GridSpec(0, 0, 100, 3, 1), distance_m=1000)
    assert np.isnan(r.z).all() and (r.classes == 0).all()
    assert any("whole study area" in w for w in r.warnings)


def test_gi_star__distance_below_one_cell_warns():
    r = gi_star(np.array([[50.0, 50.0], [50.0, 60.0], [250.0, 50.0]]), GridSpec(0, 0, 100, 3, 1), distance_m=50)
    assert any("less than one cell" in w for w in r.warnings)


def test_gi_star__cancel_propagates():
    rng = np.random.default_rng(12)
    xy = rng.uniform(0, 2000, (300, 2))

    def cancel(f, m):
        if f > 0.2:
            raise Cancelled

    with pytest.raises(Cancelled):
        gi_star(_incidents(xy), GridSpec(0, 0, 100, 20, 20, crs="EPSG:27700"), distance_m=200, progress=cancel)


def test_default_gi_distance__bandwidth_but_at_least_two_cells():
    assert default_gi_distance_m(278.7, 100) == 278.7
    assert default_gi_distance_m(93.5, 100) == 200.0
