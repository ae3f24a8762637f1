"""analysis.hotspots.discs: the run-based disc dilation against the convolution it replaces."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.hotspots import discs
from analysis.hotspots.discs import disc_dilation, disc_half_widths
from analysis.hotspots.kde import convolve_in_bands
from analysis.hotspots.study_area import band_stencil


def _by_convolution(a, stencil):
    return convolve_in_bands(a, stencil, then=lambda v: v > 0.5)


@pytest.mark.parametrize("shape, density, cell, radius", [
    ((300, 200), 0.002, 25.0, 100.0),    # sparse points, a disc of 4 cells
    ((300, 200), 0.3, 25.0, 60.0),       # many runs
    ((7, 300), 0.05, 25.0, 300.0),       # a disc taller than the grid
    ((120, 90), 0.01, 10.0, 9.0),        # a disc of one cell (radius under a cell)
    ((64, 64), 0.02, 25.0, 24.9999999),  # just under one cell: the tolerance of band_stencil
])
def test_disc_dilation__equals_the_convolution(shape, density, cell, radius):
    rng = np.random.default_rng(3)
    a = rng.random(shape) < density
    s = band_stencil(cell, radius)
    np.testing.assert_array_equal(disc_dilation(a, s), _by_convolution(a, s))
    # the complement (the erosion of the study area dilates the empty cells)
    np.testing.assert_array_equal(disc_dilation(~a, s), _by_convolution(~a, s))


def test_disc_dilation__bands_and_chunks_change_nothing(monkeypatch):
    rng = np.random.default_rng(4)
    a = rng.random((400, 150)) < 0.01
    s = band_stencil(25.0, 200.0)
    want = _by_convolution(a, s)
    monkeypatch.setattr(discs, "BAND_SHARE", 151 * 7 / discs.kde.BAND_VALUES)   # bands of 7 rows
    monkeypatch.setattr(discs, "CHUNK_INTERVALS", 50)      # a few runs at a time
    np.testing.assert_array_equal(disc_dilation(a, s), want)


def test_disc_dilation__empty_and_full_grids():
    s = band_stencil(25.0, 80.0)
    for a in (np.zeros((50, 40), bool), np.ones((50, 40), bool), np.zeros((0, 5), bool)):
        np.testing.assert_array_equal(disc_dilation(a, s), a if a.size == 0 else _by_convolution(a, s))


def test_disc_half_widths__not_a_disc_goes_to_the_convolution():
    assert disc_half_widths(np.ones((3, 4))) is None              # not square
    assert disc_half_widths(np.ones((4, 4))) is None              # even
    ring = np.ones((5, 5))
    ring[2, 2] = 0                                                # a hole: a row of two intervals
    assert disc_half_widths(ring) is None
    a = np.random.default_rng(5).random((60, 50)) < 0.05
    np.testing.assert_array_equal(disc_dilation(a, ring), _by_convolution(a, ring))
    assert list(disc_half_widths(band_stencil(1.0, 2.0))) == [0, 1, 2, 1, 0]
