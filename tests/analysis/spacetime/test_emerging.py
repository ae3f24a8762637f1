"""Emerging hot spots: a golden series per class and rule set, Gi* of the cube by brute force, null data."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.hotspots.grid import GridSpec
from analysis.hotspots.study_area import boundary_study_area
from analysis.progress import BeatwiseError
from analysis.spacetime.emerging import (CLASSES, arcgis_class, emerging_hot_spots, gi_star_cube,
                                         sfdep_class)

N = 20
H, C, O = 3.0, -3.0, 0.0   # z of a hot, cold, not significant bin


def _series(*parts):
    z = np.concatenate([np.full(n, v) for n, v in parts]).astype(float)
    assert len(z) == N
    return z, z != 0


# (class, z series, tau, tau_p): each built to meet its definition and no earlier one
GOLDEN = [
    ("new hot spot", _series((19, O), (1, H)), 0.2, 0.5),
    ("consecutive hot spot", _series((16, O), (4, H)), 0.5, 0.01),
    ("intensifying hot spot", _series((1, O), (19, H)), 0.6, 0.001),
    ("persistent hot spot", _series((20, H)), 0.0, 0.9),
    ("diminishing hot spot", _series((19, H), (1, H)), -0.5, 0.001),
    ("sporadic hot spot", _series((5, H), (5, O), (5, H), (4, O), (1, H)), 0.0, 0.8),
    ("oscillating hot spot", _series((3, C), (10, O), (3, H), (3, O), (1, H)), 0.3, 0.2),
    ("historical hot spot", _series((19, H), (1, O)), -0.1, 0.5),
    ("new cold spot", _series((19, O), (1, C)), -0.2, 0.5),
    ("consecutive cold spot", _series((15, O), (5, C)), -0.5, 0.01),
    ("intensifying cold spot", _series((1, O), (19, C)), -0.6, 0.001),
    ("persistent cold spot", _series((20, C)), 0.0, 0.9),
    ("diminishing cold spot", _series((19, C), (1, C)), 0.5, 0.001),
    ("sporadic cold spot", _series((4, C), (8, O), (4, C), (3, O), (1, C)), 0.0, 0.8),
    ("oscillating cold spot", _series((3, H), (10, O), (3, C), (3, O), (1, C)), -0.3, 0.2),
    ("historical cold spot", _series((19, C), (1, O)), 0.1, 0.5),
    ("no pattern detected", _series((20, O)), 0.0, 1.0),
]


@pytest.mark.parametrize("name,series,tau,tau_p", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_arcgis_rules__golden_series_per_class(name, series, tau, tau_p):
    z, sig = series
    assert arcgis_class(z, sig, tau, tau_p) == name


SFDEP_DIFFERENT = {
    # sfdep tests persistent (no trend) before historical, and its historical needs a last z below 0
    "historical hot spot": ("persistent hot spot",),
    "historical cold spot": ("persistent cold spot",),
    # sfdep's intensifying hot rule counts every significant bin, cold ones included
    "diminishing cold spot": ("intensifying hot spot",),
}


@pytest.mark.parametrize("name,series,tau,tau_p", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_sfdep_rules__golden_series_per_class(name, series, tau, tau_p):
    z, sig = series
    got = sfdep_class(z, sig, tau, tau_p)
    if name in SFDEP_DIFFERENT:
        assert got in SFDEP_DIFFERENT[name]
    else:
        assert got == name


def test_sfdep_rules__its_own_historical_and_first_match_order():
    # sfdep's historical hot spot: >= 90 % hot bins and the last Gi* below zero (not significant)
    z = np.r_[np.full(19, 3.0), -0.5]
    assert sfdep_class(z, np.abs(z) > 1, -0.4, 0.001) == "historical hot spot"
    assert sfdep_class(z, np.abs(z) > 1, -0.1, 0.5) == "persistent hot spot"   # its order
    # a series meeting 'new hot spot' and 'sporadic hot spot' gets the first in sfdep's order
    z = np.r_[np.zeros(19), 3.0]
    assert sfdep_class(z, z != 0, 0.1, 0.5) == "new hot spot"
    assert set(CLASSES) >= {g[0] for g in GOLDEN}


def test_gi_star_cube__brute_force_over_bins():
    rng = np.random.default_rng(3)
    T, ny, nx = 6, 7, 8
    counts = rng.poisson(2.0, (T, ny, nx)).astype(float)
    mask = np.ones((ny, nx), bool)
    mask[0, :3] = False
    cell, band, lag = 100.0, 150.0, 1
    z = gi_star_cube(counts, mask, cell, band, lag)
    bins = [(t, r, c) for t in range(T) for r in range(ny) for c in range(nx) if mask[r, c]]
    x = np.array([counts[b] for b in bins])
    n, xbar, s = len(x), x.mean(), x.std()
    for (t, r, c) in bins[::7]:
        nb = [k for k, (t2, r2, c2) in enumerate(bins)
              if t - lag <= t2 <= t and ((r2 - r) ** 2 + (c2 - c) ** 2) ** 0.5 * cell <= band]
        w = len(nb)
        ref = (x[nb].sum() - xbar * w) / (s * np.sqrt((n * w - w * w) / (n - 1)))
        assert z[t, r, c] == pytest.approx(ref, rel=1e-9)
    assert np.isnan(z[:, 0, 0]).all()


def _run(xy, step, T, rules="arcgis", **kw):
    grid = GridSpec(0.0, 0.0, 100.0, 30, 30, "EPSG:27700")
    import shapely

    study = boundary_study_area(shapely.box(0, 0, 3000, 3000), grid)
    return emerging_hot_spots(step, tuple(f"s{k}" for k in range(T)), xy, grid, study, distance_m=150.0,
                              rules=rules, **kw)


def test_emerging__null_data_has_almost_no_pattern():
    rng = np.random.default_rng(9)
    T, n = 24, 24_000
    r = _run(rng.uniform(0, 3000, (n, 2)), rng.integers(0, T, n), T)
    counts = r.class_counts()
    patterned = sum(v for k, v in counts.items() if k != "no pattern detected")
    assert patterned / r.mask.sum() < 0.02, counts


def test_emerging__a_growing_cluster_is_a_hot_spot_that_grows():
    rng = np.random.default_rng(5)
    T = 24
    bg = rng.uniform(0, 3000, (12_000, 2))
    bg_t = rng.integers(0, T, 12_000)
    k = np.repeat(np.arange(T), np.arange(T) * 6 + 5)             # more every step
    hot = rng.normal(1550, 40, (len(k), 2))
    r = _run(np.vstack([bg, hot]), np.r_[bg_t, k], T)
    centre = r.classes[15, 15]
    assert centre in ("intensifying hot spot", "consecutive hot spot", "persistent hot spot", "new hot spot")
    assert r.count_tau[15, 15] > 0.5 and r.count_tau_p[15, 15] < 0.01
    gdf = r.to_geodataframe()
    assert (gdf["emerging_class"] != "no pattern detected").all() and len(gdf) >= 1


def test_emerging__too_few_steps_is_a_message_and_min_steps_warns():
    rng = np.random.default_rng(1)
    xy, t = rng.uniform(0, 3000, (2000, 2)), rng.integers(0, 4, 2000)
    with pytest.raises(BeatwiseError, match="at least 10"):
        _run(xy, t, 4)
    r = _run(xy, t, 4, min_steps=4)
    assert any("only 4 time steps" in w for w in r.warnings)
    with pytest.raises(BeatwiseError, match="at least two time steps"):
        _run(xy, np.zeros(2000, int), 1, min_steps=1)
    with pytest.raises(BeatwiseError, match="--rules"):
        _run(xy, t, 4, rules="esri", min_steps=4)
