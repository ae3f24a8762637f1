"""Level of detail: the view grid rule and the view surface against a brute-force variable-kernel
sum at cell centres and against the overview on the overview's own cells."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.hotspots.detail import (FINER, VIEW_MAX_CELLS, SurfaceSource, display_overview, view_cell_m,
                                      view_grid, view_surface)
from analysis.hotspots.grid import GridSpec
from analysis.hotspots.surface import density_surface
from analysis.progress import BeatwiseError
from tests.analysis.hotspots.test_adaptive import brute_force


def _county(seed=3):
    """Two dense towns and sparse countryside over 30 km: an adaptive surface with a coarse overview."""
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal([8000, 9000], 300, (1500, 2)), rng.normal([22000, 15000], 600, (800, 2)),
                      rng.uniform(0, 30000, (400, 2))])


@pytest.fixture(scope="module")
def adaptive():
    xy = _county()
    surface, mode = density_surface(xy, mode="adaptive", cell_m=100.0)
    return SurfaceSource(xy, None, surface)


def test_view_grid__finer_when_zoomed_in_none_when_zoomed_out(adaptive):
    s = adaptive.surface
    # the whole county on as many pixels as the overview has cells: the overview itself
    assert view_grid(s, s.grid.bounds, cells_across=s.grid.nx) is None
    # on a screen twice as wide, the overview's cells are two pixels: the view is finer
    assert view_grid(s, s.grid.bounds, cells_across=2 * s.grid.nx).cell_m == s.grid.cell_m / 2
    town = (4000, 5000, 12000, 13000)
    g = view_grid(s, town)
    assert g is not None and g.cell_m <= FINER * s.grid.cell_m
    street = (7900, 8900, 8100, 9100)
    g2 = view_grid(s, street)
    assert g2.cell_m < g.cell_m
    # never finer than the narrowest kernel over 40 cells, never larger than the cell limit
    assert g2.cell_m >= s.smallest_bandwidth_m / 40 * 0.999
    assert g.nx * g.ny <= VIEW_MAX_CELLS
    # snapped to its cell and clipped to the overview
    assert g.x0 % g.cell_m == pytest.approx(0) and g.x0 >= s.grid.x0 - g.cell_m
    assert view_grid(s, (-90000, -90000, -80000, -80000)) is None   # off the map


def test_view_cell_m__one_cell_per_pixel_until_the_kernel_limit(adaptive):
    s = adaptive.surface
    assert view_cell_m(s, 8000, 4000, cells_across=800) == 10.0
    assert view_cell_m(s, 100, 50, cells_across=800) == pytest.approx(
        view_cell_m(s, 10, 5, cells_across=800))  # the kernel limit, whatever the zoom


def test_view_surface__adaptive_matches_brute_force_sum(adaptive):
    s = adaptive.surface
    g = view_grid(s, (7000, 8000, 9000, 10000))
    v = view_surface(adaptive, g)
    ref = brute_force(adaptive.xy, g, s.point_bandwidth_m)
    big = ref > 0.01 * ref.max()
    rel = np.abs(v.values[big] - ref[big]) / ref[big]
    assert rel.max() < 0.01
    assert v.grid == g and v.values.shape == g.shape and not v.values.flags.writeable
    assert v.bandwidth_classes and all(min(abs(h / c - 1) for c in s.bandwidth_classes) < 1e-9
                                       for h in v.bandwidth_classes)
    assert sum(v.class_counts) == v.n_points < len(adaptive.xy)


def test_view_surface__equals_overview_on_its_own_cells(adaptive):
    s = adaptive.surface
    v = view_surface(adaptive, s.grid)
    big = s.values > 0.01 * s.values.max()
    np.testing.assert_allclose(v.values[big], s.values[big], rtol=0.01)
    assert v.integral == pytest.approx(s.integral, rel=1e-3)


def test_view_surface__fixed_bandwidth_matches_brute_force():
    xy = _county()[:1500]
    surface, mode = density_surface(xy, mode="fixed", bandwidth_m=400.0, cell_m=100.0)
    src = SurfaceSource(xy, None, surface)
    g = view_grid(surface, (7500, 8500, 8500, 9500))
    assert g is not None and g.cell_m < surface.grid.cell_m
    v = view_surface(src, g)
    ref = brute_force(xy, g, np.full(len(xy), 400.0))
    big = ref > 0.01 * ref.max()
    assert (np.abs(v.values[big] - ref[big]) / ref[big]).max() < 0.01


def test_view_surface__weights_and_an_empty_view(adaptive):
    xy = adaptive.xy
    w = np.linspace(0.5, 2.0, len(xy))
    surface, _ = density_surface(xy, weights=w, mode="adaptive", cell_m=100.0)
    src = SurfaceSource(xy, w, surface)
    g = view_grid(surface, (7000, 8000, 9000, 10000))
    v = view_surface(src, g)
    ref = brute_force(xy, g, surface.point_bandwidth_m, weights=w)
    big = ref > 0.01 * ref.max()
    assert (np.abs(v.values[big] - ref[big]) / ref[big]).max() < 0.01
    # a corner of the county with no incident within reach: zeros, not an error
    empty = GridSpec(29000, 29000, 10.0, 50, 50)
    far = SurfaceSource(xy[:1500], None, density_surface(xy[:1500], mode="fixed", bandwidth_m=300.0,
                                                          cell_m=100.0)[0])
    z = view_surface(far, empty)
    assert z.n_points == 0 and not z.values.any()


def test_surface_source__adaptive_needs_the_bandwidths(adaptive):
    with pytest.raises(BeatwiseError):
        SurfaceSource(adaptive.xy[:10], None, adaptive.surface)


def test_display_overview__block_means_keep_the_integral(adaptive):
    s = adaptive.surface                      # 320 x 320 cells of 100 m
    assert display_overview(s, 400) is s      # small enough: itself
    d = display_overview(s, 100)              # blocks of 4 x 4 cells: 80 x 80 of 400 m
    assert (d.grid.nx, d.grid.ny, d.grid.cell_m) == (80, 80, 400.0) and (d.grid.x0, d.grid.y0) == (s.grid.x0, s.grid.y0)
    assert d.values[3, 5] == pytest.approx(s.values[12:16, 20:24].mean(), rel=1e-6)
    assert d.integral == pytest.approx(s.integral, rel=1e-6)
    odd = display_overview(s, 150)            # 320 / 3: the last block is padded with zeros
    assert odd.grid.nx == 107 and odd.integral == pytest.approx(s.integral, rel=1e-6)
    # a view is wanted when the view's cell is at most half the cell drawn
    town = (4000, 5000, 12000, 13000)
    assert view_grid(s, town, cells_across=40) is None                  # 200 m > 100 m / 2
    assert view_grid(s, town, cells_across=40, shown_cell_m=400.0).cell_m == 200.0
