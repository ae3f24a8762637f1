"""Bringing the adaptive KDE's coarse lattices back to the output cells (:mod:`analysis.hotspots.adaptive`).

A class convolved on a lattice of cells ``2^L`` times the output's is brought back by repeated 2x
linear interpolation of cell centres (edge values repeated): along each axis, the fine cell
``2k`` is ``0.75 a[k] + 0.25 a[k - 1]`` and ``2k + 1`` is ``0.75 a[k] + 0.25 a[k + 1]``. Densities
keep their values, so the integral is kept.

The last step, onto the output grid itself, is made a band of rows at a time straight into the
result, with the level-0 classes and the oversampled ones added to each band as it is made: the
same operations on the same numbers as interpolating the whole grid and then adding the others,
without the grid-sized intermediate arrays (each a fresh mapping the system must zero first).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

#: Coarse rows interpolated at a time by :func:`upsample2_into` (a few MB of temporaries).
BAND_ROWS = 64


def interpolate_axis(a: np.ndarray, ax: int, n_out: int) -> np.ndarray:
    """Linear 2x interpolation of ``a`` along axis ``ax`` (0 or 1), cropped to ``n_out`` there.

    In C order (the columns as strided views of the rows, never a transposed copy)."""
    n = a.shape[ax]
    out = np.empty((2 * n, a.shape[1]) if ax == 0 else (a.shape[0], 2 * n))
    q = 0.25 * a

    def at(x, s):  # x[s] along ``ax``
        return x[s] if ax == 0 else x[:, s]
    even, odd = at(out, slice(0, None, 2)), at(out, slice(1, None, 2))
    np.multiply(a, 0.75, out=even)
    odd[...] = even
    at(even, slice(1, None))[...] += at(q, slice(None, -1))
    at(even, 0)[...] += at(q, 0)
    at(odd, slice(None, -1))[...] += at(q, slice(1, None))
    at(odd, -1)[...] += at(q, -1)
    return at(out, slice(None, n_out))


def upsample2(c: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Linear interpolation of a cell-centred lattice onto one twice as fine, cropped to ``shape``."""
    return np.ascontiguousarray(interpolate_axis(interpolate_axis(c, 1, shape[1]), 0, shape[0]))


def upsample2_into(c: np.ndarray, out: np.ndarray, add: Sequence[np.ndarray] = (),
                   band_rows: int = BAND_ROWS) -> np.ndarray:
    """``out[...] = upsample2(c, out.shape)``, then ``out += a`` for each ``a`` of ``add`` in turn (each
    of ``out``'s shape), a band of rows at a time: the numbers of doing it whole."""
    n = c.shape[0]
    ny, nx = out.shape
    for k0 in range(0, n, band_rows):
        k1 = min(n, k0 + band_rows)
        lo, hi = max(k0 - 1, 0), min(k1 + 1, n)
        a = interpolate_axis(c[lo:hi], 1, nx)          # rows lo..hi-1 of the column-interpolated lattice
        k = np.arange(k0, k1)
        rows = a[k - lo]
        r0, r1 = 2 * k0, min(2 * k1, ny)
        even, odd = out[r0:r1:2], out[r0 + 1:r1:2]
        np.multiply(rows[:len(even)], 0.75, out=even)
        even += 0.25 * a[np.maximum(k - 1, 0)[:len(even)] - lo]
        np.multiply(rows[:len(odd)], 0.75, out=odd)
        odd += 0.25 * a[np.minimum(k + 1, n - 1)[:len(odd)] - lo]
        for extra in add:
            out[r0:r1] += extra[r0:r1]
    return out


def zero_below(values: np.ndarray, threshold: float, band_rows: int = 4 * BAND_ROWS) -> None:
    """``values[values < threshold] = 0`` in place, a band of rows at a time (no grid-sized mask)."""
    for r0 in range(0, values.shape[0], band_rows):
        band = values[r0:r0 + band_rows]
        band[band < threshold] = 0.0
