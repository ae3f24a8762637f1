"""Tests for analysis.hotspots.kde against independent references (brute-force kernel sums, hand-worked rules)."""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from tests.conftest import SHARED_DATA

from analysis.hotspots.grid import GridSpec
from analysis.hotspots.kde import (FALLBACK_BANDWIDTH_M, KERNELS, DensitySurface, arcgis_bandwidth_m, grid_for_kde,
                          kde, kernel_value, select_bandwidth, silverman_bandwidth_m)
from analysis.progress import BeatwiseError, Cancelled

DATA = SHARED_DATA
SOUTHEND = DATA / "police_uk" / "2024-01_to_2024-04-southend-on-sea-street.csv"


def brute_force(xy, grid, kernel, h, weights=None):
    """Exact kernel sum at every cell centre, per km^2 (the reference the binned estimate must match)."""
    X, Y = grid.cell_centres()
    out = np.zeros(grid.shape)
    w = np.ones(len(xy)) if weights is None else weights
    for (x, y), wi in zip(xy, w):
        out += wi * kernel_value(kernel, np.hypot(X - x, Y - y), h)
    return out * 1e6


def _incidents(xy, crs="EPSG:27700", **cols):
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def _small_n_points():
    """60 clustered incidents and 40 scattered ones (isolated kernels are the hard case)."""
    rng = np.random.default_rng(7)
    return np.vstack([rng.normal([2000, 1500], 150, (60, 2)), rng.uniform([1000, 1000], [3000, 2500], (40, 2))])


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_kde__equals_brute_force_kernel_sum(kernel):
    # the criterion: within 1 % of the exact kernel sum wherever density > 1 % of its maximum
    xy = _small_n_points()
    h = 200.0 if kernel != "gaussian" else 70.0
    grid = GridSpec.for_points(xy, cell_m=10, margin_m=4 * h, crs="EPSG:27700")
    s = kde(xy, grid, kernel=kernel, bandwidth_m=h)
    ref = brute_force(xy, grid, kernel, h)
    big = ref > 0.01 * ref.max()
    rel = np.abs(s.values[big] - ref[big]) / ref[big]
    assert rel.max() < 0.01, (kernel, rel.max())
    assert s.kernel == kernel and s.bandwidth_m == h and s.n_points == 100
    # nothing beyond the kernel's support plus the binning spread (one lattice cell diagonal)
    X, Y = grid.cell_centres()
    reach = (4 * h if kernel == "gaussian" else h) + grid.cell_m / s.oversample * math.sqrt(2)
    far = np.min([np.hypot(X - x, Y - y) for x, y in xy], axis=0) > reach
    assert far.any() and np.all(s.values[far] == 0)


@pytest.mark.parametrize("kernel", ["epanechnikov", "triangular"])
def test_kde__equals_brute_force_kernel_sum__kernels_with_a_sloped_edge(kernel):
    # these kernels fall to 0 linearly at d = h (a kink), where no binned estimator is accurate in
    # relative terms on the few cells just inside an isolated incident's circle: 99 % of the cells
    # above 1 % of the maximum are within 1 %, all within 3 %
    xy = _small_n_points()
    grid = GridSpec.for_points(xy, cell_m=10, margin_m=200, crs="EPSG:27700")
    s = kde(xy, grid, kernel=kernel, bandwidth_m=200.0)
    ref = brute_force(xy, grid, kernel, 200.0)
    big = ref > 0.01 * ref.max()
    rel = np.abs(s.values[big] - ref[big]) / ref[big]
    assert np.quantile(rel, 0.99) < 0.01 and rel.max() < 0.03, (kernel, np.quantile(rel, 0.99), rel.max())


def test_kde__plain_linear_binning_error_is_second_order():
    # oversample=1: the plain binned estimator; its absolute error is O((cell/h)^2): it falls about
    # 4x when the cells are halved... (odd factors: 10 m -> 10/3 m gives about 9x)
    xy = _small_n_points()
    grid = GridSpec.for_points(xy, cell_m=10, margin_m=200, crs="EPSG:27700")
    ref = brute_force(xy, grid, "quartic", 200.0)
    err1 = np.abs(kde(xy, grid, bandwidth_m=200.0, oversample=1).values - ref).max()
    err3 = np.abs(kde(xy, grid, bandwidth_m=200.0, oversample=3).values - ref).max()
    assert err1 < 0.005 * ref.max()
    assert 5 < err1 / err3 < 15, err1 / err3


def test_kde__uniform_kernel_exact_at_cell_centred_points():
    # the uniform kernel jumps at d = h, so binned and exact sums differ near the disc edges for
    # arbitrary points; with points on cell centres linear binning is exact and only the stencil's
    # normalisation (sum to one incident) differs from the analytic 1/(pi h^2): < 1 % at h = 20 cells
    rng = np.random.default_rng(3)
    grid = GridSpec(0, 0, 10, 120, 100, crs="EPSG:27700")
    xy = np.column_stack([grid.x_centres()[rng.integers(30, 90, 25)], grid.y_centres()[rng.integers(30, 70, 25)]])
    s = kde(xy, grid, kernel="uniform", bandwidth_m=200.0)
    ref = brute_force(xy, grid, "uniform", 200.0)
    big = ref > 0.01 * ref.max()
    assert (np.abs(s.values[big] - ref[big]) / ref[big]).max() < 0.01
    assert np.all(s.values[ref == 0] == 0)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kde__integral_equals_total_weight_for_every_kernel(kernel):
    rng = np.random.default_rng(11)
    xy = rng.normal([5000, 5000], [800, 400], (3000, 2))
    w = rng.uniform(0.5, 3.0, 3000)
    grid, choice = grid_for_kde(xy, cell_m=20, kernel=kernel, bandwidth_m=150.0)
    s = kde(xy, grid, kernel=kernel, bandwidth_m=choice, weights=w)
    assert s.total_weight == pytest.approx(w.sum())
    assert s.integral == pytest.approx(w.sum(), rel=0.01)
    assert s.values.sum() * grid.cell_area_km2 == pytest.approx(s.integral)
    assert s.warnings == ()


def test_kde__weights_are_linear():
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 2000, (200, 2))
    w = rng.uniform(0, 4, 200)
    grid = GridSpec.for_points(xy, cell_m=20, margin_m=300)
    a = kde(xy[:100], grid, bandwidth_m=250, weights=w[:100])
    b = kde(xy[100:], grid, bandwidth_m=250, weights=w[100:])
    both = kde(xy, grid, bandwidth_m=250, weights=w)
    np.testing.assert_allclose(both.values, a.values + b.values, atol=1e-9 * both.values.max())
    unweighted = kde(xy, grid, bandwidth_m=250)
    np.testing.assert_allclose(kde(xy, grid, bandwidth_m=250, weights=np.full(200, 2.0)).values,
                               2 * unweighted.values, rtol=1e-9, atol=1e-12)


def test_kde__weight_column_and_crime_type_table():
    xy = np.array([[1000.0, 1000.0], [1400.0, 1000.0], [1000.0, 1300.0]])
    gdf = _incidents(xy, crime_type=["Burglary", "Robbery", "Burglary"], harm=[1.0, 5.0, 1.0],
                     weight=[1.0, 1.0, 1.0])
    grid = GridSpec.for_points(xy, cell_m=10, margin_m=300, crs="EPSG:27700")
    by_col = kde(gdf, grid, bandwidth_m=200, weights="harm")
    by_table = kde(gdf, grid, bandwidth_m=200, weights={"Burglary": 1.0, "Robbery": 5.0})
    by_array = kde(xy, grid, bandwidth_m=200, weights=np.array([1.0, 5.0, 1.0]))
    np.testing.assert_allclose(by_col.values, by_array.values)
    np.testing.assert_allclose(by_table.values, by_array.values)
    assert by_col.total_weight == 7.0 and by_col.density_units == "weighted incidents per km^2"
    assert kde(gdf, grid, bandwidth_m=200).density_units == "incidents per km^2"
    with pytest.raises(BeatwiseError, match="'Robbery'"):
        kde(gdf, grid, bandwidth_m=200, weights={"Burglary": 1.0})
    with pytest.raises(BeatwiseError, match="not found"):
        kde(gdf, grid, bandwidth_m=200, weights="nope")
    with pytest.raises(BeatwiseError, match=">= 0"):
        kde(xy, grid, bandwidth_m=200, weights=[1.0, -1.0, 1.0])
    with pytest.raises(BeatwiseError, match="weights are 0"):
        kde(xy, grid, bandwidth_m=200, weights=[0.0, 0.0, 0.0])


def test_kde__single_point_at_cell_centre_is_symmetric_and_peaks_there():
    grid = GridSpec(0, 0, 10, 61, 61, crs="EPSG:27700")
    s = kde(np.array([[305.0, 305.0]]), grid, bandwidth_m=100)
    v = s.values
    assert np.unravel_index(v.argmax(), v.shape) == (30, 30)
    np.testing.assert_allclose(v, v[::-1, :], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(v, v.T, rtol=1e-9, atol=1e-12)
    # peak = K(0) normalised by the stencil sum, close to 3/(pi h^2) per m^2
    assert v.max() == pytest.approx(3 / (math.pi * 100**2) * 1e6, rel=0.01)


def test_auto_bandwidth__hand_worked():
    # four corners of a 200 m square: mean centre (100, 100), every distance sqrt(2)*100 m,
    # SD = sqrt(100^2 + 100^2) = 141.42 m, Dm = 141.42 m, min(SD, 1.2011 Dm) = 141.42,
    # h = 0.9 * 141.42 * 4^-0.2 = 96.46 m
    xy = np.array([[0.0, 0.0], [200.0, 0.0], [0.0, 200.0], [200.0, 200.0]])
    h, sd, dm, n = arcgis_bandwidth_m(xy)
    assert sd == pytest.approx(141.4213562)
    assert dm == pytest.approx(141.4213562)
    assert h == pytest.approx(0.9 * math.sqrt(2) * 100 * 4 ** -0.2)
    assert h == pytest.approx(96.4606, abs=1e-3)
    choice = select_bandwidth(xy, "auto")
    assert choice.bandwidth_m == pytest.approx(h)
    assert "SD = 141.4 m" in choice.rule and "n = 4" in choice.rule


def test_auto_bandwidth__median_term_wins_and_matches_numpy():
    rng = np.random.default_rng(2)
    xy = np.vstack([rng.normal(0, 100, (900, 2)), rng.normal(0, 5000, (100, 2))])  # heavy tail: Dm term smaller
    c = xy.mean(axis=0)
    d = np.hypot(*(xy - c).T)
    sd = math.sqrt(((xy - c) ** 2).sum(axis=1).mean())
    dm = np.median(d)
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * 1000 ** -0.2
    assert math.sqrt(1 / math.log(2)) * dm < sd
    h, sd_got, dm_got, _ = arcgis_bandwidth_m(xy)
    assert sd_got == pytest.approx(sd)
    assert dm_got == pytest.approx(dm, rel=2e-3)  # weighted median picks an order statistic, numpy averages two
    assert h == pytest.approx(expected, rel=2e-3)


def test_silverman_bandwidth__hand_worked_and_kernel_conversion():
    rng = np.random.default_rng(4)
    xy = rng.normal([0, 0], [300, 100], (500, 2))
    s = math.sqrt((xy[:, 0].var() + xy[:, 1].var()) / 2)
    h_gauss = s * 500 ** (-1 / 6)
    assert silverman_bandwidth_m(xy)[0] == pytest.approx(h_gauss)
    assert select_bandwidth(xy, "silverman", kernel="gaussian").bandwidth_m == pytest.approx(h_gauss)
    # a quartic of radius h has per-axis s.d. h / sqrt(8): same spread -> radius sqrt(8) * sigma
    q = select_bandwidth(xy, "silverman", kernel="quartic")
    assert q.bandwidth_m == pytest.approx(math.sqrt(8) * h_gauss)
    assert "silverman" in q.rule and "quartic" in q.rule
    # check the quartic's s.d. numerically: sum of x^2 K over a fine grid
    r = np.linspace(-1, 1, 801)
    X, Y = np.meshgrid(r, r)
    K = kernel_value("quartic", np.hypot(X, Y), 1.0)
    assert math.sqrt((X**2 * K).sum() / K.sum()) == pytest.approx(1 / math.sqrt(8), rel=1e-3)


def test_select_bandwidth__text_and_errors():
    xy = np.array([[0.0, 0.0], [100.0, 50.0]])
    assert select_bandwidth(xy, "300").bandwidth_m == 300.0
    assert select_bandwidth(xy, 250).rule.startswith("fixed")
    with pytest.raises(BeatwiseError, match="not understood"):
        select_bandwidth(xy, "wide")
    with pytest.raises(BeatwiseError, match="positive"):
        select_bandwidth(xy, -5)
    with pytest.raises(BeatwiseError, match="Unknown kernel"):
        select_bandwidth(xy, 100, kernel="cosine")


def test_kde__one_point():
    xy = np.array([[583_000.0, 186_000.0]])
    grid, choice = grid_for_kde(xy)
    assert choice.bandwidth_m == FALLBACK_BANDWIDTH_M
    s = kde(xy, grid, bandwidth_m=choice)
    assert any("fallback" in w and "250 m" in w for w in s.warnings)
    assert s.integral == pytest.approx(1.0, rel=1e-9)
    assert s.n_points == 1


def test_kde__all_incidents_on_one_snap_point():
    gdf = _incidents(np.tile([[588_500.0, 185_900.0]], (412, 1)), location=["On or near York Road"] * 412)
    grid = GridSpec.for_points(gdf, cell_m=10, margin_m=400)
    s = kde(gdf, grid, bandwidth_m="auto")
    assert s.bandwidth_m == 250.0
    assert len(s.warnings) == 1 and "one snap point" in s.warnings[0] and "250 m" in s.warnings[0]
    assert "degenerate" in s.bandwidth_rule
    assert s.integral == pytest.approx(412, rel=1e-9)
    # with big cells the fallback grows to 5 cells
    s2 = kde(gdf, GridSpec.for_points(gdf, cell_m=100, margin_m=600), bandwidth_m="silverman")
    assert s2.bandwidth_m == 500.0 and "500 m" in s2.warnings[0]


def test_kde__no_incidents():
    empty = _incidents(np.empty((0, 2)))
    with pytest.raises(BeatwiseError, match="No incidents"):
        kde(empty, GridSpec(0, 0, 10, 10, 10, crs="EPSG:27700"))
    with pytest.raises(BeatwiseError, match="No incidents"):
        grid_for_kde(empty)


def test_kde__data_in_degrees():
    gdf = _incidents(np.array([[0.71, 51.54], [0.72, 51.55]]), crs="EPSG:4326")
    with pytest.raises(BeatwiseError, match="geographic CRS"):
        kde(gdf, GridSpec(0, 0, 0.001, 10, 10))
    with pytest.raises(BeatwiseError, match="geographic CRS"):
        grid_for_kde(gdf)


def test_kde__crs_mismatch():
    gdf = _incidents(np.array([[500.0, 500.0]]), crs="EPSG:32631")
    with pytest.raises(BeatwiseError, match="use one CRS"):
        kde(gdf, GridSpec(0, 0, 10, 100, 100, crs="EPSG:27700"), bandwidth_m=100)


def test_kde__grid_too_large():
    xy = np.array([[0.0, 0.0], [90_000.0, 90_000.0]])
    with pytest.raises(BeatwiseError, match="--cell-m"):
        grid_for_kde(xy, cell_m=5, bandwidth_m=250)


def test_kde__grid_not_covering_data_warns():
    xy = np.array([[0.0, 0.0], [1000.0, 1000.0]])
    s = kde(xy, GridSpec(-300, -300, 10, 70, 70), bandwidth_m=200)  # covers only the first point
    assert s.integral == pytest.approx(1.0, rel=0.01)  # the second point's kernel is entirely off the grid
    assert any("falls on the grid" in w for w in s.warnings)


def test_kde__small_bandwidth_warns():
    s = kde(np.array([[50.0, 50.0], [70.0, 80.0]]), GridSpec(0, 0, 10, 20, 20), bandwidth_m=15)
    assert any("less than 2 cells" in w for w in s.warnings)
    assert s.integral == pytest.approx(2.0)


def test_kde__progress_and_cancel():
    xy = np.random.default_rng(0).uniform(0, 1000, (50, 2))
    grid = GridSpec.for_points(xy, cell_m=10, margin_m=100)
    calls = []
    kde(xy, grid, bandwidth_m=100, progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0

    def cancel(f, m):
        if f > 0.3:
            raise Cancelled

    with pytest.raises(Cancelled):
        kde(xy, grid, bandwidth_m=100, progress=cancel)


def test_density_surface__frozen_and_read_only():
    s = kde(np.array([[50.0, 50.0], [70.0, 80.0]]), GridSpec(0, 0, 10, 20, 20), bandwidth_m=40)
    assert isinstance(s, DensitySurface)
    with pytest.raises(Exception):
        s.kernel = "uniform"  # type: ignore[misc]
    with pytest.raises(ValueError):
        s.values[0, 0] = 1.0


def _southend():
    if not SOUTHEND.exists():
        pytest.skip(f"real data not available at {SOUTHEND}")
    from analysis.ingest.incidents import read_incidents

    return read_incidents([SOUTHEND]).incidents


def test_kde__southend_real_data():
    inc = _southend()
    assert str(inc.crs) == "EPSG:27700"
    grid, choice = grid_for_kde(inc)
    s = kde(inc, grid, bandwidth_m=choice)
    # auto bandwidth equals an independent numpy evaluation of the ArcGIS rule
    xy = np.column_stack([inc.geometry.x, inc.geometry.y])
    c = xy.mean(axis=0)
    sd = math.sqrt(((xy - c) ** 2).sum(axis=1).mean())
    dm = np.median(np.hypot(*(xy - c).T))
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * len(xy) ** -0.2
    assert s.bandwidth_m == pytest.approx(expected, rel=1e-3)
    assert 100 < s.bandwidth_m < 1000
    assert s.n_points == len(inc) > 6000
    assert s.integral == pytest.approx(len(inc), rel=0.01)
    # the density peak is where incidents are densest: at least one incident within the bandwidth
    i, j = np.unravel_index(s.values.argmax(), s.values.shape)
    px, py = grid.x_centres()[j], grid.y_centres()[i]
    near = np.hypot(xy[:, 0] - px, xy[:, 1] - py) < s.bandwidth_m
    assert near.sum() > 0.02 * len(xy)
    # the brute-force kernel sum at the peak cell agrees to 1 %
    ref = (kernel_value("quartic", np.hypot(xy[:, 0] - px, xy[:, 1] - py), s.bandwidth_m)).sum() * 1e6
    assert s.values[i, j] == pytest.approx(ref, rel=0.01)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kde__integral_exact_per_incident_even_for_tiny_bandwidths(kernel):
    # the oversampled lattice is phase-normalised: each incident adds exactly 1 to the integral,
    # whatever its position in its cell, even at h = 1.5 cells where point sampling alone is off by ~10 %
    rng = np.random.default_rng(9)
    grid = GridSpec(0, 0, 10, 30, 30)
    for p in rng.uniform(100, 200, (5, 2)):
        s = kde(p[None, :], grid, kernel=kernel, bandwidth_m=15.0)
        assert s.oversample > 1
        assert s.integral == pytest.approx(1.0, rel=1e-9)


def test_kde__oversample_rule_and_validation():
    from analysis.hotspots.kde import oversample_factor

    g = GridSpec(0, 0, 25, 500, 250)
    # quartic s.d. = h / sqrt(8): 278.7 m on 25 m cells -> 3.94 cells -> f = 3 (odd, >= 10 / 3.94)
    assert oversample_factor("quartic", 278.7, g) == 3
    assert oversample_factor("gaussian", 300.0, g) == 1            # s.d. 12 cells already
    assert oversample_factor("quartic", 250.0, GridSpec(0, 0, 10, 1000, 1000)) == 1  # 9M cells > cap
    assert oversample_factor("quartic", 250.0, g, 5) == 5
    with pytest.raises(BeatwiseError, match="odd"):
        oversample_factor("quartic", 250.0, g, 2)
    with pytest.raises(BeatwiseError, match="auto"):
        oversample_factor("quartic", 250.0, g, "fine")


def test_kde__southend_accuracy_against_exact_kernel_sums():
    # every cell of the default surface (auto cell size and bandwidth) against an exact kernel sum
    # found with a k-d tree: 99 % of cells above 1 % of the maximum within 1 %, all within 2 %
    from scipy.spatial import cKDTree

    inc = _southend()
    grid, choice = grid_for_kde(inc)
    s = kde(inc, grid, bandwidth_m=choice)
    xy = np.column_stack([inc.geometry.x, inc.geometry.y])
    X, Y = grid.cell_centres()
    centres = np.column_stack([X.ravel(), Y.ravel()])
    pairs = cKDTree(centres).sparse_distance_matrix(cKDTree(xy), s.bandwidth_m, output_type="coo_matrix")
    ref = np.bincount(pairs.row, kernel_value("quartic", pairs.data, s.bandwidth_m), len(centres))
    # a sparse matrix drops zero distances: make sure no incident sits exactly on a cell centre
    assert cKDTree(xy).query(centres)[0].min() > 0
    ref = ref.reshape(grid.shape) * 1e6
    big = ref > 0.01 * ref.max()
    rel = np.abs(s.values[big] - ref[big]) / ref[big]
    assert np.quantile(rel, 0.99) < 0.01 and rel.max() < 0.02, (np.quantile(rel, 0.99), rel.max())


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_fft_convolve__equals_scipy_signal(mode):
    from scipy.signal import fftconvolve

    from analysis.hotspots.kde import fft_convolve

    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 41, 57))
    k = rng.normal(size=(9, 9))
    np.testing.assert_allclose(fft_convolve(a, k, mode), fftconvolve(a, k[None], mode=mode, axes=(1, 2)),
                               atol=1e-12)
    np.testing.assert_allclose(fft_convolve(a[0], k, mode), fftconvolve(a[0], k, mode=mode), atol=1e-12)


@pytest.mark.parametrize("kshape,fshape", [((9, 9), (64, 80)), ((41, 41), (1125, 1100)), ((1, 7), (16, 15))])
def test_kernel_spectrum__equals_rfftn_of_the_padded_kernel(kshape, fshape):
    from scipy import fft

    from analysis.hotspots.kde import kernel_spectrum

    k = np.random.default_rng(2).normal(size=kshape)
    ref = fft.rfftn(k, fshape)
    got = kernel_spectrum(k, fshape)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    got32 = kernel_spectrum(k.astype(np.float32), fshape)
    assert got32.dtype == np.complex64


@pytest.mark.parametrize("rule", ["arcgis_bandwidth_m", "silverman_bandwidth_m"])
def test_bandwidth_rules__no_points_is_a_clear_error(rule):
    import analysis.hotspots.kde as kde_module
    from analysis.progress import BeatwiseError

    with pytest.raises(BeatwiseError, match="No incidents to choose a bandwidth"):
        getattr(kde_module, rule)(np.empty((0, 2)))


@pytest.mark.parametrize("kernel", ["quartic", "epanechnikov", "triangular", "uniform", "gaussian"])
def test_kde__kernel_narrower_than_a_cell_no_nan(kernel):
    """Regression: a bandwidth under one cell with automatic oversampling divided by zero in the
    phase normalisation (NaN density for the 8 m adaptive classes of a national year at 20 m cells)."""
    rng = np.random.default_rng(4)
    xy = rng.uniform(1000, 1400, (300, 2))
    grid = GridSpec(900.0, 900.0, 20.0, 30, 30, "EPSG:27700")
    s = kde(xy, grid, kernel=kernel, bandwidth_m=8.0)
    assert np.isfinite(s.values).all()
    assert s.values.sum() * grid.cell_area_km2 == pytest.approx(300, rel=1e-9)


@pytest.mark.parametrize("kshape", [(7, 7), (8, 5), (1, 3), (31, 31)])
def test_convolve_in_bands__equals_one_whole_grid_convolution(kshape):
    """Overlap-save in bands of a few rows (many bands, a last short one) gives the whole-grid
    ``fft_convolve(..., "same")`` (scipy.signal.fftconvolve as the reference) in float64 and float32,
    from bool input, with a threshold applied per band."""
    from scipy.signal import fftconvolve

    from analysis.hotspots.kde import convolve_in_bands

    rng = np.random.default_rng(4)
    a = rng.random((97, 61)) < 0.1
    k = rng.random(kshape)
    ref = fftconvolve(a.astype(float), k, mode="same")
    for band in (61 * 9, 61 * 40, 10 ** 6):
        got = convolve_in_bands(a, k, dtype=np.float64, band_values=band)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
        got32 = convolve_in_bands(a, k, band_values=band)
        assert got32.dtype == np.float32
        np.testing.assert_allclose(got32, ref, rtol=0, atol=1e-4)
        over = convolve_in_bands(a, k, band_values=band, then=lambda v: v > 0.5)
        assert over.dtype == bool
        decided = np.abs(ref - 0.5) > 1e-3
        np.testing.assert_array_equal(over[decided], (ref > 0.5)[decided])


def test_multiply_by_kernel_spectrum__equals_the_whole_spectrum():
    from scipy import fft as sp_fft

    from analysis.hotspots import kde as K

    rng = np.random.default_rng(2)
    k = rng.random((9, 13))
    fshape = (64, 90)
    spec = sp_fft.rfftn(rng.random((40, 70)), fshape)
    want = spec * K.kernel_spectrum(k, fshape)
    old = K.SPECTRUM_CHUNK_VALUES
    try:
        K.SPECTRUM_CHUNK_VALUES = 64 * 7   # 7 columns at a time: several chunks and a short one
        K.multiply_by_kernel_spectrum(spec, k, fshape)
    finally:
        K.SPECTRUM_CHUNK_VALUES = old
    np.testing.assert_allclose(spec, want, rtol=1e-12, atol=1e-12)
