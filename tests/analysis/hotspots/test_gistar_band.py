"""The data-driven Gi* band (issue 20 item 4): average distance to the k nearest occupied cells,
and null data at force scale giving (almost) no hot spots with it."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.hotspots.gistar import data_gi_distance_m, gi_star
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.study_area import default_reach_m, reach_study_area


def test_data_gi_distance_m__hand_worked_lattice():
    # incidents in every other cell of a 100 m grid: occupied centres 200 m apart in x and y;
    # the 8 nearest of an interior one: 4 at 200 m, 4 at 283 m -> mean 241.4 m
    xs, ys = np.meshgrid(np.arange(50, 4000, 200.0), np.arange(50, 4000, 200.0))
    xy = np.column_stack([xs.ravel(), ys.ravel()])
    grid = GridSpec(0, 0, 100.0, 40, 40)
    band, rule = data_gi_distance_m(xy, grid)
    interior = (200 * 4 + 200 * np.sqrt(2) * 4) / 8
    # edge and corner cells have farther neighbours, so the average is a little above the interior value
    assert band == pytest.approx(interior, rel=0.05)
    assert "8 nearest occupied cells" in rule and "ArcGIS Optimized Hot Spot Analysis" in rule


def test_data_gi_distance_m__at_least_two_cells_and_degenerate():
    grid = GridSpec(0, 0, 100.0, 10, 10)
    xy = np.array([[50.0, 50.0], [150.0, 50.0], [250.0, 50.0], [350.0, 50.0]] * 3)
    band, _ = data_gi_distance_m(xy, grid)
    assert band >= 200.0
    band, rule = data_gi_distance_m(np.array([[50.0, 50.0]]), grid)
    assert band == 200.0 and "fewer than two" in rule


def test_gi_star__null_data_at_force_scale_finds_almost_nothing():
    """Uniform random incidents over 60 x 50 km (a county): with the data-driven band at most
    0.5 % of the study area's cells are hot (FDR, 90 % and above)."""
    rng = np.random.default_rng(20)
    x0, y0 = 540_000.0, 170_000.0
    xy = rng.uniform([x0, y0], [x0 + 60_000, y0 + 50_000], (60_000, 2))
    grid = GridSpec.from_bounds(x0, y0, x0 + 60_000, y0 + 50_000, 100.0, crs="EPSG:27700")
    band, rule = data_gi_distance_m(xy, grid)
    assert 150 < band < 1000, rule
    study = reach_study_area(xy, grid, default_reach_m(xy, band))
    gi = gi_star(xy, grid, distance_m=band, study_area=study)
    hot = sum(gi.hot)
    share = hot / gi.n_cells
    print(f"\nnull data: band {band:.0f} m; {hot} hot of {gi.n_cells:,} cells ({share:.3%}); cold {sum(gi.cold)}")
    assert share <= 0.005
