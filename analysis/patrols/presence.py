"""Patrol presence: time per grid cell and per hour of week (DESIGN.md section 7, "Presence").

A unit is present along the straight segment between two consecutive pings of its own at most
``max_gap_min`` apart (:mod:`analysis.patrols.segments`). That time is shared

* along the grid cells the segment crosses in proportion to length: each segment is cut exactly at
  its crossings of the grid lines (vectorised: the crossing parameters of every segment are made
  with ``numpy.repeat`` and sorted once per chunk), each piece going to the cell holding its midpoint
  (half-open cells, as :meth:`GridSpec.cell_index`, so a segment along a grid line goes to the cells
  east of / north of it);
* across the local (Europe/London) hour-of-week slots in proportion to time, cut at hour
  boundaries in integer nanoseconds (:mod:`analysis.patrols.clock`).

Longer gaps are unknown, never present. Conservation (the test suite checks it against a brute
force): ``raster.sum() + outside_grid_s == hour_of_week_s.sum() == total_s == counted_gap_s``.
Hot-spot dosage (Koper 1995) is measured from the same segments by :mod:`analysis.patrols.visits`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from analysis.hotspots.grid import GridSpec
from analysis.patrols.clock import NS_PER_S, hour_of_week_ns
from analysis.patrols.segments import DEFAULT_MAX_GAP_MIN, Segments, patrol_segments
from analysis.progress import ProgressFn, report


@dataclass(frozen=True, eq=False)
class Presence:
    """Where and when units were present (seconds).

    Attributes
    ----------
    grid : GridSpec
        The raster frame (the density surface's, so layers align cell by cell).
    max_gap_min : float
        The parameter: longest counted gap between consecutive pings.
    raster_s : float64 array (ny, nx)
        Presence seconds per cell (summed over units: two units in a cell for a minute = 120 s).
    hour_of_week_s : float64 array (168,)
        Presence seconds per local hour-of-week slot, Monday 00:00 first.
    total_s : float
        Total presence = the sum of counted gaps, to the second.
    counted_gap_s, uncounted_gap_s : float
        Time between consecutive pings counted / not counted (longer than ``max_gap_min`` or
        touching a flagged ping).
    n_segments, n_uncounted_gaps : int
    outside_grid_s : float
        Presence on segment pieces outside the grid (not in the raster).
    units : tuple of str
    period_start_ns, period_end_ns : int
        First and last ping (UTC ns).
    """

    grid: GridSpec
    max_gap_min: float
    raster_s: np.ndarray
    hour_of_week_s: np.ndarray
    total_s: float
    counted_gap_s: float
    uncounted_gap_s: float
    n_segments: int
    n_uncounted_gaps: int
    outside_grid_s: float
    units: tuple
    period_start_ns: int
    period_end_ns: int

    @property
    def presence_hours(self) -> float:
        return self.total_s / 3600.0

    def to_dict(self) -> dict:
        """Plain summary for JSON (no arrays but the 168 hours)."""
        return {"max_gap_min": self.max_gap_min, "presence_hours": self.presence_hours,
                "counted_gap_s": self.counted_gap_s, "uncounted_gap_s": self.uncounted_gap_s,
                "segments": self.n_segments, "uncounted_gaps": self.n_uncounted_gaps,
                "outside_grid_s": self.outside_grid_s, "units": len(self.units),
                "hour_of_week_s": [float(v) for v in self.hour_of_week_s], "grid": self.grid.describe()}


#: Segments cut per chunk: keeps the sort key exact to ~1e-10 of a segment and memory bounded.
CHUNK_SEGMENTS = 1 << 18


def cell_pieces(seg: Segments, grid: GridSpec):
    """Cut every segment at its grid-line crossings.

    Returns
    -------
    owner : int64 array
        Segment of each piece.
    flat : int64 array
        ``row * nx + col`` of the cell holding the piece's midpoint, ``-1`` outside the grid.
    fraction : float64 array
        The piece's share of its segment's length (sums to 1 per segment: the pieces of a segment
        run from parameter 0 to 1; a segment that does not move is one piece of fraction 1).
    """
    c = grid.cell_m
    fxa, fxb = (seg.xa - grid.x0) / c, (seg.xb - grid.x0) / c
    fya, fyb = (seg.ya - grid.y0) / c, (seg.yb - grid.y0) / c
    ixa, ixb, iya, iyb = np.floor(fxa), np.floor(fxb), np.floor(fya), np.floor(fyb)
    nxk = np.abs(ixb - ixa).astype(np.int64)
    nyk = np.abs(iyb - iya).astype(np.int64)
    simple = (nxk + nyk) == 0
    # segments inside one cell: one piece, the cell of the start point
    owners = [np.flatnonzero(simple)]
    flats = [_flat(grid, ixa[owners[0]], iya[owners[0]])]
    fractions = [np.ones(owners[0].size)]
    cross = np.flatnonzero(~simple)
    for s0 in range(0, cross.size, CHUNK_SEGMENTS):
        ids = cross[s0:s0 + CHUNK_SEGMENTS]
        local = np.arange(ids.size, dtype=np.float64) * 2.0        # key = 2 * local segment + param
        keys = [local, local + 1.0]
        for f0, f1, i0, i1, k in ((fxa, fxb, ixa, ixb, nxk), (fya, fyb, iya, iyb, nyk)):
            kk = k[ids]
            rep = np.repeat(np.arange(ids.size), kk)
            step = np.arange(rep.size) - np.repeat(np.cumsum(kk) - kk, kk)
            g = ids[rep]
            line = np.minimum(i0, i1)[g] + 1 + step                 # the grid lines crossed
            with np.errstate(divide="ignore", invalid="ignore"):
                keys.append(local[rep] + np.clip((line - f0[g]) / (f1 - f0)[g], 0.0, 1.0))
        key = np.sort(np.concatenate(keys))
        seg_of = np.floor(key * 0.5)
        param = key - 2.0 * seg_of
        keep = seg_of[1:] == seg_of[:-1]
        o = ids[seg_of[:-1][keep].astype(np.int64)]
        lo, hi = param[:-1][keep], param[1:][keep]
        mid = (lo + hi) * 0.5
        owners.append(o)
        flats.append(_flat(grid, np.floor(fxa[o] + mid * (fxb - fxa)[o]), np.floor(fya[o] + mid * (fyb - fya)[o])))
        fractions.append(hi - lo)
    return np.concatenate(owners), np.concatenate(flats), np.concatenate(fractions)


def _flat(grid: GridSpec, col: np.ndarray, row: np.ndarray) -> np.ndarray:
    inside = (col >= 0) & (col < grid.nx) & (row >= 0) & (row < grid.ny)
    return np.where(inside, row * grid.nx + col, -1).astype(np.int64)


def presence(pings, grid: GridSpec, max_gap_min: float = DEFAULT_MAX_GAP_MIN, *,
             segments: Optional[Segments] = None, progress: Optional[ProgressFn] = None) -> Presence:
    """Presence raster and hour-of-week profile from patrol pings (DESIGN.md section 7).

    Parameters
    ----------
    pings : GeoDataFrame
        Pings as ``analysis.ingest.tracks`` returns them (working CRS, metres).
    grid : GridSpec
        Raster frame, normally the density surface's.
    max_gap_min : float
        Longest gap between a unit's consecutive pings counted as presence (minutes, default 5).
    segments : Segments, optional
        Already made by :func:`patrol_segments` with the same ``max_gap_min`` (saves the work when
        visits are measured too); ``pings`` is then not read.
    progress : ProgressFn, optional

    Returns
    -------
    Presence

    Notes
    -----
    Time in a cell is the segment's time times the piece's share of its length; presence at
    hotspots is what Koper (1995) dosage is measured from (:mod:`analysis.patrols.visits`).
    """
    seg = segments if segments is not None else patrol_segments(pings, max_gap_min)
    report(progress, 0.1, "presence: cutting segments at grid lines")
    dur_s = seg.duration_ns / NS_PER_S
    owner, flat, fraction = cell_pieces(seg, grid)
    secs = dur_s[owner] * fraction
    inside = flat >= 0
    raster = np.bincount(flat[inside], weights=secs[inside], minlength=grid.n_cells).reshape(grid.shape)
    report(progress, 0.6, "presence: hours of the week")
    how = hour_of_week_ns(seg.ta, seg.tb) / NS_PER_S
    report(progress, 1.0, "presence: done")
    return Presence(
        grid=grid, max_gap_min=seg.max_gap_min, raster_s=raster, hour_of_week_s=how,
        total_s=seg.counted_s, counted_gap_s=seg.counted_s, uncounted_gap_s=seg.uncounted_s,
        n_segments=len(seg), n_uncounted_gaps=seg.n_uncounted, outside_grid_s=float(secs[~inside].sum()),
        units=seg.units, period_start_ns=seg.t_min, period_end_ns=seg.t_max,
    )
