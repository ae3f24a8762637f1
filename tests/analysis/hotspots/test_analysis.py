"""The hotspot sequence's first two steps, as the live surface calls them on their own:
the out-of-area incidents set aside with their weights, and the density of the rest."""
from __future__ import annotations

import geopandas as gpd
import numpy as np

from analysis.hotspots.analysis import HotspotOptions, gridded_incidents, hotspot_analysis, hotspot_density

EXETER = (292000.0, 92500.0)


def _incidents(seed=4):
    rng = np.random.default_rng(seed)
    towns = np.array([[570000.0, 190000.0], [585000.0, 205000.0]])
    xy = np.vstack([towns[rng.integers(0, 2, 2000)] + rng.normal(0, 800, (2000, 2)),
                    [EXETER, (EXETER[0] + 150, EXETER[1] - 90)]])
    names = ["Colchester 001A"] * 2000 + ["Exeter 004D"] * 2
    frame = gpd.GeoDataFrame({"lsoa": names, "area": [n.rsplit(" ", 1)[0] for n in names],
                              "location": ["On or near High Street"] * len(names)},
                             geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")
    return frame, xy, rng.uniform(0.5, 2.0, len(xy))


def test_gridded_incidents__outliers_set_aside_with_their_weights():
    frame, xy, w = _incidents()
    g = gridded_incidents(frame, weights=w)
    assert g.n_all == 2002 and g.outliers.n == 2 and len(g.xy) == 2000
    np.testing.assert_array_equal(g.xy, xy[:2000])
    np.testing.assert_array_equal(g.weights, w[:2000])          # aligned with the incidents kept
    kept = gridded_incidents(frame, weights=w, keep_outliers=True)
    assert len(kept.xy) == 2002 and kept.outliers.n == 2 and kept.keep_outliers
    assert gridded_incidents(frame).weights is None             # unweighted: one each


def test_hotspot_density__is_the_full_analysis_surface_and_a_direct_kde():
    from analysis.hotspots.kde import grid_for_kde, kde

    frame, xy, _ = _incidents()
    o = HotspotOptions(kernel_bandwidth="fixed", bandwidth_m=300.0, cell_m=50.0, gi_star=False)
    surface, mode = hotspot_density(gridded_incidents(frame), o)
    assert mode.mode == "fixed" and surface.bandwidth_m == 300.0
    np.testing.assert_array_equal(surface.values, hotspot_analysis(frame, o).surface.values)
    # independently: the kernel density of the 2,000 incidents in the towns, Exeter left out
    grid, choice = grid_for_kde(xy[:2000], cell_m=50.0, bandwidth_m=300.0, crs="EPSG:27700")
    ref = kde(xy[:2000], grid, bandwidth_m=choice)
    assert surface.grid == ref.grid
    np.testing.assert_allclose(surface.values, ref.values, rtol=1e-12, atol=1e-12 * ref.max_density)
    assert abs(surface.integral - 2000) < 0.01 * 2000
