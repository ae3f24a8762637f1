"""The surface of an analysis: fixed or adaptive by the stated rule, and the grid it is on."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.hotspots.surface import choose_bandwidth_mode, density_surface
from analysis.progress import BeatwiseError


def test_choose_bandwidth_mode__towns_and_countryside_vs_one_town():
    rng = np.random.default_rng(4)
    towns = np.array([[10_000, 10_000], [40_000, 15_000], [25_000, 40_000]])
    county = np.vstack([towns[rng.integers(0, 3, 6000)] + rng.normal(0, 700, (6000, 2)),
                        rng.uniform(0, 50_000, (1500, 2))])
    m = choose_bandwidth_mode(county)
    assert m.mode == "adaptive" and m.ratio > 3 and "towns and countryside" in m.reason
    town = rng.normal([10_000, 10_000], 1500, (6000, 2))
    t = choose_bandwidth_mode(town)
    assert t.mode == "fixed" and t.ratio < 3
    # very clustered but one district (1 km wide): fixed, however uneven
    district = np.vstack([rng.normal([0, 0], 30, (1500, 2)), rng.normal([1000, 0], 30, (1500, 2)),
                          rng.uniform(-1500, 1500, (600, 2))])
    dm = choose_bandwidth_mode(district)
    assert dm.ratio > 3 and dm.standard_distance_m < 5000 and dm.mode == "fixed"
    assert choose_bandwidth_mode(county, "fixed").mode == "fixed"
    assert choose_bandwidth_mode(town, "adaptive").mode == "adaptive"
    g = choose_bandwidth_mode(county, bandwidth_m=250.0)
    assert g.mode == "fixed" and "given" in g.reason
    with pytest.raises(BeatwiseError, match="kernel-bandwidth"):
        choose_bandwidth_mode(town, "wobbly")
    assert set(m.summary()) >= {"mode", "reason", "ratio", "density_spread_p90_p10"}


def test_density_surface__fixed_and_adaptive_paths():
    rng = np.random.default_rng(6)
    towns = np.array([[10_000, 10_000], [40_000, 15_000], [25_000, 40_000]])
    county = np.vstack([towns[rng.integers(0, 3, 6000)] + rng.normal(0, 700, (6000, 2)),
                        rng.uniform(0, 50_000, (1500, 2))])
    s, mode = density_surface(county, crs="EPSG:27700")
    assert mode.mode == "adaptive" and s.adaptive
    assert s.grid.cell_m <= s.smallest_bandwidth_m / 5  # cells follow the narrowest kernel
    assert s.integral == pytest.approx(len(county), rel=1e-3)
    f, fm = density_surface(county, crs="EPSG:27700", mode="fixed")
    assert fm.mode == "fixed" and not f.adaptive and f.grid.cell_m <= f.bandwidth_m / 5
    g, gm = density_surface(county, crs="EPSG:27700", mode="adaptive", bandwidth_m=400.0)
    assert gm.mode == "adaptive" and g.bandwidth_m == 400.0
