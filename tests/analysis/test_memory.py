"""analysis.memory and the force-scale memory fixes (issue 20 item 6): each large step's peak
allocation per grid cell, measured with tracemalloc (numpy reports its arrays to it), against
the bound the fix brought it under; before the fixes the same steps took the figure in brackets."""
from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pytest


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _clustered(n, size_m, seed=3):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, size_m, (40, 2))
    return centres[rng.integers(0, 40, n)] + rng.normal(0, size_m / 60, (n, 2))


def test_release_free_memory__runs_and_changes_nothing():
    from analysis.memory import keep_large_arrays_out_of_the_heap, release_free_memory

    a = np.arange(10)
    release_free_memory()
    np.testing.assert_array_equal(a, np.arange(10))
    if sys.platform.startswith("linux"):
        assert keep_large_arrays_out_of_the_heap() is True


def test_reach_study_area__peak_memory_regression(monkeypatch):
    """Regression: the study area's four whole-lattice float32 convolutions and ``counts(xy) > 0``
    took 21 bytes per lattice node here (14.5 on the Essex 2018 lattice: 253 MB for 17 million
    nodes); bands of rows with bool grids in and out take 10-13.5 (9.7 on Essex). Bands a tenth
    of the default, so that this 2.7-million-node lattice is many bands, as a county's is."""
    from analysis.hotspots import kde as K
    from analysis.hotspots.grid import GridSpec
    from analysis.hotspots.study_area import reach_study_area

    monkeypatch.setattr(K, "BAND_VALUES", K.BAND_VALUES // 10)

    xy = _clustered(20_000, 30_000.0)
    grid = GridSpec.for_points(xy, cell_m=20.0, margin_m=500.0)
    study, peak = _peak_bytes(lambda: reach_study_area(xy, grid, 400.0))
    nodes = (grid.ny + 2 * 21) * (grid.nx + 2 * 21)
    assert grid.n_cells > 2_000_000 and study.mask.any()
    assert peak / nodes < 16, f"{peak / nodes:.1f} bytes per lattice node"


def test_hotspot_areas__peak_memory_regression():
    """Regression: ``np.bincount`` of the whole label grid (an 8-byte copy, three times), an 8-byte
    copy in split_at_peaks and ``lookup[labels]`` copies took 17.6 bytes per cell beyond the
    surface here (283 MB on Essex 2018's 16.5 million cells); label sizes from the labelled cells,
    int32 and relabelling in place take 14.6 (168 MB on Essex), most of it the one copy of the
    study area's densities that the exact top-percent threshold needs."""
    from analysis.hotspots.areas import hotspot_areas
    from analysis.hotspots.grid import GridSpec
    from analysis.hotspots.kde import kde
    from analysis.hotspots.study_area import StudyArea

    xy = _clustered(20_000, 30_000.0)
    grid = GridSpec.for_points(xy, cell_m=20.0, margin_m=500.0)
    surface = kde(xy, grid, bandwidth_m=300.0)
    study = StudyArea(grid=grid, mask=np.ones(grid.shape, dtype=bool), kind="grid", description="the grid")
    areas, peak = _peak_bytes(lambda: hotspot_areas(surface, xy, top_percent=5, study_area=study))
    assert areas.hotspots and grid.n_cells > 2_000_000
    assert peak / grid.n_cells < 16, f"{peak / grid.n_cells:.1f} bytes per cell"


def test_relabel_in_place_and_label_sizes__equal_numpy():
    from analysis.hotspots import areas as A

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 6, (301, 17)).astype(np.int32)
    lut = np.array([0, 3, 1, 2, 0, 4])
    want = lut[labels]
    sizes = np.bincount(labels.ravel(), minlength=6)
    got = A.label_sizes(labels, 5)
    assert got[0] == 0 and np.array_equal(got[1:], sizes[1:])
    old = A.RELABEL_CHUNK_CELLS
    try:
        A.RELABEL_CHUNK_CELLS = 1000        # several chunks and a short last one
        out = A.relabel_in_place(labels, lut)
    finally:
        A.RELABEL_CHUNK_CELLS = old
    assert out is labels and out.dtype == np.int32
    np.testing.assert_array_equal(out, want)
