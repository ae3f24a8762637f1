"""Tests for analysis.hotspots.gistar: Getis-Ord Gi* against esda's published example and esda itself,
Benjamini-Hochberg against the procedure written out."""
from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy import stats

from analysis.hotspots.gistar import (GI_LEVELS, GI_OUTSIDE, benjamini_hochberg, default_gi_distance_m, gi_classes,
                                      gi_star, gi_star_grid, gi_star_points, two_sided_p)
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import grid_for_kde
from analysis.hotspots.study_area import boundary_study_area
from analysis.progress import BeatwiseError, Cancelled

ESDA_POINTS = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
ESDA_Y = [2, 3, 3.2, 5, 8, 7]
ESDA_Z = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331]


def _incidents(xy, crs="EPSG:27700", **cols):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def _whole(grid):
    """Every cell of ``grid`` in the study area (a boundary at the grid's own edges)."""
    return boundary_study_area(shapely.box(*grid.bounds), grid, source="grid.geojson")


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
    # the data fills the grid: the study area within reach of it is the grid, less some edge cells
    inside = r.study_area.mask
    assert r.study_area.kind == "reach" and r.n_cells == int(inside.sum()) and inside[3:-3, 3:-3].all()
    z, _ = gi_star_grid(grid.counts(xy), 100, 250, mask=inside)
    np.testing.assert_allclose(r.z, z)
    assert np.isnan(r.z[~inside]).all() and np.isfinite(r.z[inside]).all()
    assert r.classes[15, 15] == 3                          # the cluster is a 99 % hot spot
    assert r.fdr and r.p_fdr is not None and r.neighbours == 21
    assert np.isnan(r.p_fdr[~inside]).all()                # FDR over the cells inside only
    s = r.summary()
    assert s["hot"]["99"] == int((r.classes == 3).sum()) > 0
    assert set(s) >= {"cell_m", "distance_m", "fdr", "hot", "cold"} and set(s["cold"]) == {"99", "95", "90"}
    assert s["study_area"]["n_cells"] == r.n_cells and "within reach" in s["study_area"]["description"]
    labels = r.class_labels()
    assert set(labels[~inside]) <= {GI_OUTSIDE} and labels[15, 15] == "hot 99%"
    raw = gi_star(xy, grid, distance_m=250, fdr=False)
    assert raw.p_fdr is None
    assert sum(raw.hot) >= sum(r.hot)                      # FDR only removes detections
    gdf = r.to_geodataframe()
    assert len(gdf) == int((r.classes != 0).sum())
    assert np.allclose(gdf.geometry.area, 100 * 100)
    every = r.to_geodataframe(significant_only=False)
    assert len(every) == r.n_cells and GI_OUTSIDE not in set(every["gi_label"])
    with pytest.raises(ValueError):
        r.z[0, 0] = 1.0


def test_gi_star__one_incident():
    grid = GridSpec(0, 0, 100, 11, 11)
    r = gi_star(np.array([[550.0, 550.0]]), grid, distance_m=150, study_area=_whole(grid))
    assert np.isfinite(r.z).all()
    # the 9 cells whose band holds the incident share the highest z of the interior cells
    near = np.zeros((11, 11), dtype=bool)
    near[4:7, 4:7] = True
    np.testing.assert_allclose(r.z[near], r.z[near][0])
    assert r.z[5, 5] > 0 and (r.z[1:-1, 1:-1][~near[1:-1, 1:-1]] < 0).all()
    # within reach of one incident there is only its own cell: nothing to compare it with
    with pytest.raises(BeatwiseError, match="at least two cells"):
        gi_star(np.array([[550.0, 550.0]]), grid, distance_m=150)


def test_gi_star__no_variation_is_a_clear_error():
    grid = GridSpec(0, 0, 100, 2, 1)
    with pytest.raises(BeatwiseError, match="same incident count"):
        gi_star(np.array([[50.0, 50.0], [150.0, 50.0]]), grid, distance_m=100, study_area=_whole(grid))


def test_gi_star__no_incidents_and_bad_distance():
    with pytest.raises(BeatwiseError, match="No incidents"):
        gi_star(np.empty((0, 2)), GridSpec(0, 0, 100, 5, 5), distance_m=100)
    with pytest.raises(BeatwiseError, match="positive"):
        gi_star(np.array([[1.0, 1.0]]), GridSpec(0, 0, 100, 5, 5), distance_m=0)


def test_gi_star__band_covering_everything_warns():
    xy = np.array([[50.0, 50.0], [50.0, 60.0], [250.0, 50.0]])
    grid = GridSpec(0, 0, 100, 3, 1)
    r = gi_star(xy, grid, distance_m=250, study_area=_whole(grid))   # 250 m reaches all three cells
    assert np.isnan(r.z).all() and (r.classes == 0).all()
    assert any("whole study area" in w for w in r.warnings)


def test_gi_star__distance_below_one_cell_warns():
    grid = GridSpec(0, 0, 100, 3, 1)
    r = gi_star(np.array([[50.0, 50.0], [50.0, 60.0], [250.0, 50.0]]), grid, distance_m=50,
                study_area=_whole(grid))
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


# ---------------------------------------------------------------------------------------------- study area (issue 12)
def _uniform_square(seed, n=50_000, side_m=10_000.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, side_m, (n, 2)) + np.array([500_000.0, 180_000.0])


@pytest.mark.parametrize("seed", [0, 1])
def test_gi_star__uniform_null_data_few_significant(seed):
    """Issue 12 item 1: 50,000 uniform incidents over 10 x 10 km, 100 m cells, 250 m band, FDR on.

    On the density grid padded beyond the data (the grid of ``beatwise hotspots``, 109 x 109 cells
    of 100 m), counting the padding as zeros made about 30 % of the cells significant; over the study
    area at most 0.5 % may be (measured: 0 and 0.02 %).
    """
    xy = _uniform_square(seed)
    density_grid, _ = grid_for_kde(xy, crs="EPSG:27700")
    grid = density_grid.with_cell_m(100)
    assert grid.shape == (109, 109)
    r = gi_star(xy, grid, distance_m=250, fdr=True)
    significant = int((r.classes != 0).sum())
    assert significant <= 0.005 * r.n_cells
    # the study area is the square: no padding cell (a cell centre outside it), and nearly all of it
    inside = r.study_area.mask
    X, Y = grid.cell_centres()
    assert X[inside].min() >= 500_000 and X[inside].max() <= 510_000
    assert Y[inside].min() >= 180_000 and Y[inside].max() <= 190_000
    square = boundary_study_area(shapely.box(500_001, 180_001, 509_999, 189_999), grid).mask  # centres inside
    assert square.sum() == 99 * 99 and (square & ~inside).sum() <= 0.001 * square.sum()
    # no edge effect left: raw p-values are close to uniform (5 % below 0.05), no cold border
    raw = np.isfinite(r.p) & (r.p < 0.05)
    assert raw.sum() <= 0.065 * r.n_cells
    border = inside & ~np.pad(inside[1:-1, 1:-1] & inside[2:, 1:-1] & inside[:-2, 1:-1] & inside[1:-1, 2:]
                              & inside[1:-1, :-2], 1)
    assert not (r.classes[border] < 0).any()
    # the defect, for the record: the whole padded grid as the study area
    before = gi_star(xy, grid, distance_m=250, study_area=_whole(grid))
    assert (before.classes != 0).sum() > 0.25 * grid.n_cells


def test_gi_star__clustered_data_still_finds_the_planted_hot_spot():
    rng = np.random.default_rng(31)
    background = _uniform_square(31, n=20_000)
    planted = rng.normal([505_250.0, 183_750.0], 60.0, (400, 2))
    xy = np.vstack([background, planted])
    grid = grid_for_kde(xy, crs="EPSG:27700")[0].with_cell_m(100)
    r = gi_star(xy, grid, distance_m=250)
    rows, cols = grid.cell_index(np.array([[505_250.0, 183_750.0]]))
    assert r.classes[rows[0], cols[0]] == 3
    X, Y = grid.cell_centres()
    hot = r.classes > 0
    assert hot.sum() >= 5
    assert np.hypot(X[hot] - 505_250.0, Y[hot] - 183_750.0).max() < 600   # only around the plant
    assert not (r.classes < 0).any()


def test_gi_star_grid__masked_equals_esda_on_an_irregular_study_area():
    """Gi* over an irregular study area (an ellipse with a hole, a detached patch and a lone cell)
    equals esda's G_Local on the cells inside only, weights from libpysal DistanceBand on their
    centres (binary, focal included: star=True)."""
    esda = pytest.importorskip("esda")
    from libpysal.weights import DistanceBand

    rng = np.random.default_rng(44)
    grid = GridSpec(500_000, 180_000, 100, nx=24, ny=18)
    counts = rng.poisson(1.5, grid.shape).astype(float)
    counts[4:8, 12:16] += rng.poisson(6, (4, 4))
    rr, cc = np.mgrid[0:18, 0:24]
    mask = ((cc - 11) ** 2 / 100 + (rr - 8) ** 2 / 50 < 1) & ~((cc - 6) ** 2 + (rr - 8) ** 2 < 5)
    mask[0:3, 20:23] = True
    mask[16, 2] = True
    X, Y = grid.cell_centres()
    centres = np.column_stack([X[mask], Y[mask]])
    for distance_m in (250.0, 200.0, 100.0 * math.sqrt(2)):
        with warnings.catch_warnings():  # "not fully connected": the patch and the lone cell, on purpose
            warnings.simplefilter("ignore", UserWarning)
            w = DistanceBand(centres, threshold=distance_m * (1 + 1e-9), binary=True, silence_warnings=True)
            ref = esda.G_Local(counts[mask], w, transform="B", star=True, permutations=0)
        z, _ = gi_star_grid(counts, 100.0, distance_m, mask=mask)
        np.testing.assert_allclose(z[mask], ref.Zs, rtol=0, atol=1e-9)   # measured: 4e-15
        assert np.isnan(z[~mask]).all()


def test_gi_star__study_area_from_another_grid_and_no_incidents_inside():
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 2000, (2000, 2))
    fine = GridSpec(0, 0, 20, 100, 100, crs="EPSG:27700")
    coarse = fine.with_cell_m(100)
    west = boundary_study_area(shapely.box(0, 0, 1000, 2000), fine, source="west.geojson")
    r = gi_star(xy, coarse, distance_m=250, study_area=west)
    assert r.study_area.grid == coarse and r.n_cells == 10 * 20 and r.study_area.description == "boundary west.geojson"
    assert np.isnan(r.z[:, 10:]).all() and np.isfinite(r.z[:, :10]).all()
    empty_corner = boundary_study_area(shapely.box(0, 0, 400, 400), coarse)
    with pytest.raises(BeatwiseError, match="No incidents for Gi\\* in the study area"):
        gi_star(xy[xy.min(axis=1) > 500], coarse, distance_m=250, study_area=empty_corner)


@pytest.mark.parametrize("distance_m", [1e9, 5e5])
def test_gi_star__huge_band_is_refused_before_allocating(distance_m):
    """Issue 12 item 8: --gi-distance-m 1e9 tried to allocate 2.8 PiB, 5e5 took 5.7 GB."""
    import time
    import tracemalloc

    xy = _uniform_square(0, n=5_000)
    grid = grid_for_kde(xy, crs="EPSG:27700")[0].with_cell_m(100)
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(BeatwiseError, match=r"longer than the whole grid .*Use at most 16,122 m"):
        gi_star(xy, grid, distance_m=distance_m)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.perf_counter() - t0 < 1.0 and peak < 10e6


def test_gi_star__band_whose_convolution_is_too_large_is_refused():
    grid = GridSpec(0, 0, 10, 3000, 3000)     # 30 x 30 km of 10 m cells: 9,000,000 cells
    with pytest.raises(BeatwiseError, match=r"needs a convolution of 49,000,000 cells.*at most \d"):
        gi_star(np.array([[100.0, 100.0], [5000.0, 5000.0]]), grid, distance_m=20_000)
    with pytest.raises(BeatwiseError, match="longer than the whole grid"):
        gi_star_grid(np.zeros((3, 3)), 100.0, 1e9)
