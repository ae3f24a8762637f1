"""Binary dilation of a grid by a disc, exactly and in integers: the cells with a True cell within
the disc's offsets. It is what the study area's closings need (:mod:`analysis.hotspots.study_area`):
``convolve_in_bands(a, disc, then=lambda v: v > 0.5)`` of a 0/1 grid and a 0/1 disc, without the
transforms.

Method: every row of a disc is one interval of offsets ``[-w, w]`` (its half-width ``w`` for that
row offset), so a horizontal run of True cells ``[a, b)`` on row ``y`` covers, on each row ``y + dy``
of the output, the interval ``[a - w(dy), b + w(dy))``. The intervals are marked as +1 at their start
and -1 at their end and summed along each row (a difference array): a cell is covered where the sum
is positive. The work follows the number of runs times the disc's rows (a county's incidents make a
few tens of thousands of runs) plus one pass over the grid, not a transform of the grid per disc;
the answer is that of the convolution (whose sums are whole numbers of cells, read against 0.5),
with no round-off at all. A grid of too many runs for that to pay (noise) goes to the convolution.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from analysis.hotspots import kde
from analysis.hotspots.kde import convolve_in_bands

#: Output cells summed at a time: a quarter of the convolution's band
#: (:data:`analysis.hotspots.kde.BAND_VALUES`, read when called), so that the difference array's
#: two int64 halves take 32 MB where the transforms of a band took about as much.
BAND_SHARE = 0.25
#: Intervals made at a time within a band (about 8 bytes each, a few arrays).
CHUNK_INTERVALS = 1_000_000
#: Above this many intervals per grid cell the convolution is used instead.
MAX_INTERVALS_PER_CELL = 0.5


def disc_half_widths(stencil: np.ndarray) -> Optional[np.ndarray]:
    """For an odd square 0/1 stencil whose every row is one interval centred on the middle column (a
    disc, :func:`analysis.hotspots.study_area.band_stencil`), each row's half-width (-1 for an empty
    row); None for any other stencil."""
    s = np.asarray(stencil) > 0.5
    if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape[0] % 2 == 0:
        return None
    r = s.shape[0] // 2
    w = np.where(s.any(axis=1), r - np.argmax(s, axis=1), -1)
    dx = np.abs(np.arange(s.shape[1]) - r)
    return w if np.array_equal(s, dx[None, :] <= w[:, None]) else None


def _over_half(v: np.ndarray) -> np.ndarray:
    return v > 0.5


def disc_dilation(a: np.ndarray, stencil: np.ndarray) -> np.ndarray:
    """``conv(a, stencil) > 0.5`` (same size as ``a``, zero outside it) for a 2-D bool ``a`` and a
    0/1 disc ``stencil``: True where a True cell of ``a`` lies within the disc's offsets."""
    a = np.asarray(a, dtype=bool)
    w = disc_half_widths(stencil)
    ny, nx = a.shape
    if w is None or a.size == 0:
        return convolve_in_bands(a, stencil, then=_over_half)
    r = stencil.shape[0] // 2
    width = nx + 1
    padded = np.zeros((ny, nx + 2), np.int8)
    padded[:, 1:-1] = a
    edges = np.diff(padded, axis=1)   # +1 where a run starts, -1 one past where it ends
    del padded
    at = np.flatnonzero(edges)
    sign = edges.ravel()[at]
    del edges
    starts, ends = at[sign == 1], at[sign == -1]
    run_row = starts // width
    run_start = starts - run_row * width
    run_end = ends - run_row * width
    rows_used = w >= 0
    dy = (np.arange(len(w)) - r)[rows_used]
    dw = w[rows_used]
    if len(run_row) * len(dy) > MAX_INTERVALS_PER_CELL * a.size:
        return convolve_in_bands(a, stencil, then=_over_half)
    out = np.empty((ny, nx), dtype=bool)
    band = max(1, int(BAND_SHARE * kde.BAND_VALUES) // width)
    chunk = max(1, CHUNK_INTERVALS // max(len(dy), 1))
    for b0 in range(0, ny, band):
        b1 = min(ny, b0 + band)
        n = (b1 - b0) * width
        lo, hi = np.searchsorted(run_row, [b0 - r, b1 + r])
        counts = None   # starts in the first n, ends in the second n: one bincount
        for c0 in range(lo, hi, chunk):
            c1 = min(hi, c0 + chunk)
            y = run_row[c0:c1, None] + dy[None, :]
            keep = (y >= b0) & (y < b1)
            base = (y - b0) * width
            first = base + np.maximum(run_start[c0:c1, None] - dw[None, :], 0)
            past = base + np.minimum(run_end[c0:c1, None] + dw[None, :], nx) + n
            part = np.bincount(np.concatenate([first[keep], past[keep]]), minlength=2 * n)
            if counts is None:
                counts = part
            else:
                counts += part
        if counts is None:
            out[b0:b1] = False
            continue
        total = counts[:n]
        total -= counts[n:]
        total = total.reshape(b1 - b0, width)
        np.cumsum(total, axis=1, out=total)
        out[b0:b1] = total[:, :nx] > 0
        del counts, total
    return out
