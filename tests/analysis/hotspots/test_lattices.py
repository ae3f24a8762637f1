"""analysis.hotspots.lattices: the banded interpolation into the result equals the whole-grid one."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.hotspots.lattices import upsample2, upsample2_into, zero_below


def _reference_upsample2(c, shape):
    """Each axis in turn, whole (the interpolation of the module docstring, written out)."""
    def axis(a):
        n = a.shape[0]
        out = np.empty((2 * n,) + a.shape[1:])
        out[0::2] = 0.75 * a + 0.25 * np.concatenate([a[:1], a[:-1]])
        out[1::2] = 0.75 * a + 0.25 * np.concatenate([a[1:], a[-1:]])
        return out
    return axis(axis(c.T)[:shape[1]].T)[:shape[0]]


@pytest.mark.parametrize("coarse, fine", [((1468, 186), (2935, 371)), ((7, 5), (13, 10)), ((7, 5), (14, 9)),
                                          ((1, 1), (2, 1)), ((3, 1), (5, 2)), ((1, 4), (1, 8))])
def test_upsample2_into__the_whole_grid_numbers(coarse, fine):
    rng = np.random.default_rng(1)
    c = rng.random(coarse) * 1e3
    want = upsample2(c, fine)
    np.testing.assert_array_equal(want, _reference_upsample2(c, fine))
    adds = [rng.random(fine), rng.random(fine) * 1e-3]
    whole = want.copy()
    for a in adds:
        whole += a
    for band in (1, 2, 5, 64):
        got = upsample2_into(c, np.empty(fine), adds, band_rows=band)
        np.testing.assert_array_equal(got, whole)


def test_upsample2_into__a_strided_view_of_a_padded_lattice():
    rng = np.random.default_rng(2)
    padded = rng.random((40, 31))
    view = padded[3:-3, 2:-4]
    np.testing.assert_array_equal(upsample2_into(view, np.empty((67, 50)), band_rows=4),
                                  upsample2(np.ascontiguousarray(view), (67, 50)))


def test_zero_below__in_bands():
    rng = np.random.default_rng(3)
    v = rng.random((301, 17))
    want = v.copy()
    want[want < 0.3] = 0.0
    zero_below(v, 0.3, band_rows=7)
    np.testing.assert_array_equal(v, want)
