"""Patrol presence: time per grid cell and per hour of week (DESIGN.md section 7, "Presence").

A unit is present along the straight segment between two consecutive pings of its own at most
``max_gap_min`` apart (:mod:`analysis.patrols.segments`). That time is shared

* along the grid cells the segment crosses in proportion to length: each segment is cut exactly at
  its crossings of the grid lines, first the columns, then each part at the rows (vectorised with
  ``numpy.repeat``, crossings made in the direction of travel so none need sorting), each piece
  going to its cell
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
from analysis.progress import BeatwiseError, ProgressFn, report


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
        First and last ping (UTC ns), or log start and end.
    logs_s : float
        The part of ``total_s`` from patrol logs (:mod:`analysis.patrols.logs`); the rest is
        from pings.
    n_logs : int
        Logs counted.
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
    logs_s: float = 0.0
    n_logs: int = 0

    @property
    def presence_hours(self) -> float:
        return self.total_s / 3600.0

    def combined(self, other: "Presence") -> "Presence":
        """Presence from pings and presence from logs on the same grid, added up (units united,
        the period the span of both; ``max_gap_min`` is the pings' rule)."""
        if self.grid != other.grid:
            raise BeatwiseError("Presence on different grids cannot be added.")
        gaps = [p.max_gap_min for p in (self, other) if p.max_gap_min == p.max_gap_min]
        spans = [p for p in (self, other) if p.n_segments]
        return Presence(
            grid=self.grid, max_gap_min=gaps[0] if gaps else float("nan"),
            raster_s=self.raster_s + other.raster_s, hour_of_week_s=self.hour_of_week_s + other.hour_of_week_s,
            total_s=self.total_s + other.total_s, counted_gap_s=self.counted_gap_s + other.counted_gap_s,
            uncounted_gap_s=self.uncounted_gap_s + other.uncounted_gap_s,
            n_segments=self.n_segments + other.n_segments, n_uncounted_gaps=self.n_uncounted_gaps + other.n_uncounted_gaps,
            outside_grid_s=self.outside_grid_s + other.outside_grid_s,
            units=tuple(dict.fromkeys(self.units + other.units)),
            period_start_ns=min((p.period_start_ns for p in spans), default=0),
            period_end_ns=max((p.period_end_ns for p in spans), default=0),
            logs_s=self.logs_s + other.logs_s, n_logs=self.n_logs + other.n_logs)

    def to_dict(self) -> dict:
        """Plain summary for JSON (no arrays but the 168 hours)."""
        return {"max_gap_min": self.max_gap_min if self.max_gap_min == self.max_gap_min else None,
                "presence_hours": self.presence_hours,
                "presence_from_pings_hours": (self.total_s - self.logs_s) / 3600.0,
                "presence_from_logs_hours": self.logs_s / 3600.0, "logs": self.n_logs,
                "counted_gap_s": self.counted_gap_s, "uncounted_gap_s": self.uncounted_gap_s,
                "segments": self.n_segments, "uncounted_gaps": self.n_uncounted_gaps,
                "outside_grid_s": self.outside_grid_s, "units": len(self.units),
                "hour_of_week_s": [float(v) for v in self.hour_of_week_s], "grid": self.grid.describe()}


#: Segments cut into cell pieces at a time (bounds the memory of long or fast tracks).
CHUNK_SEGMENTS = 1 << 18


def split_along_axis(fa: np.ndarray, fb: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Cut parameter ranges ``[lo, hi]`` of segments at the integer lines of one axis.

    ``fa``, ``fb`` are the segment ends on that axis in cell units (``(x - x0) / cell_m``); a
    point at parameter ``p`` is at ``fa + p * (fb - fa)``. Pieces are made in the direction of
    travel, so they come out in order, each with its cell index on the axis, and no sort is needed:
    piece ``j`` of a range starting in cell ``i`` is in cell ``i + j`` (``i - j`` going back).
    Neighbouring pieces share their boundary, so the pieces of a range add up to exactly ``hi - lo``.

    Returns
    -------
    owner : int64 array
        The range each piece comes from.
    index : float64 array
        The piece's cell on this axis (integer valued).
    lo, hi : float64 arrays
        The pieces' parameter ranges.
    """
    d = fb - fa
    first = np.floor(fa + lo * d)
    k = np.abs(np.floor(fa + hi * d) - first).astype(np.int64)
    count = k + 1
    starts = np.cumsum(count) - count
    owner = np.repeat(np.arange(len(fa), dtype=np.int64), count)
    step = np.arange(owner.size, dtype=np.int64) - starts[owner]
    back = d < 0
    index = first[owner] + np.where(back[owner], -step, step)
    cross = np.flatnonzero(step > 0)                  # pieces starting at a grid line
    oc = owner[cross]
    line = index[cross] + back[oc]                    # going back, piece j starts at line i - j + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (line - fa[oc]) / d[oc]
    piece_lo = np.empty(owner.size)
    piece_hi = np.empty(owner.size)
    piece_lo[starts] = lo
    piece_lo[cross] = c
    piece_hi[starts + k] = hi
    piece_hi[cross - 1] = c
    return owner, index, piece_lo, piece_hi


def cell_pieces(seg: Segments, grid: GridSpec):
    """Cut every segment at its grid-line crossings: first at the columns, then each part at the rows.

    Returns
    -------
    owner : int64 array
        Segment of each piece.
    flat : int64 array
        ``row * nx + col`` of the piece's cell, ``-1`` outside the grid. Cells are half-open as in
        :meth:`GridSpec.cell_index`: a segment along a grid line is in the cells east / north of it.
    fraction : float64 array
        The piece's share of its segment's length (sums to 1 per segment; a segment that does not
        move is one piece of fraction 1).
    """
    c = grid.cell_m
    n = len(seg)
    o1, col, lo1, hi1 = split_along_axis((seg.xa - grid.x0) / c, (seg.xb - grid.x0) / c, np.zeros(n), np.ones(n))
    fya, fyb = (seg.ya - grid.y0) / c, (seg.yb - grid.y0) / c
    o2, row, lo, hi = split_along_axis(fya[o1], fyb[o1], lo1, hi1)
    return o1[o2], _flat(grid, col[o2], row), hi - lo


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
    dur_s = seg.duration_ns / NS_PER_S
    raster = np.zeros(grid.n_cells)
    outside = 0.0
    for lo in range(0, len(seg), CHUNK_SEGMENTS):     # bounded memory: pieces of one chunk at a time
        report(progress, 0.8 * lo / max(len(seg), 1), "presence: cutting segments at grid lines")
        part = seg.subset(slice(lo, lo + CHUNK_SEGMENTS))
        owner, flat, fraction = cell_pieces(part, grid)
        secs = dur_s[lo:lo + CHUNK_SEGMENTS][owner] * fraction
        inside = flat >= 0
        raster += np.bincount(flat[inside], weights=secs[inside], minlength=grid.n_cells)
        outside += float(secs[~inside].sum())
    raster = raster.reshape(grid.shape)
    report(progress, 0.8, "presence: hours of the week")
    how = hour_of_week_ns(seg.ta, seg.tb) / NS_PER_S
    report(progress, 1.0, "presence: done")
    return Presence(
        grid=grid, max_gap_min=seg.max_gap_min, raster_s=raster, hour_of_week_s=how,
        total_s=seg.counted_s, counted_gap_s=seg.counted_s, uncounted_gap_s=seg.uncounted_s,
        n_segments=len(seg), n_uncounted_gaps=seg.n_uncounted, outside_grid_s=outside,
        units=seg.units, period_start_ns=seg.t_min, period_end_ns=seg.t_max,
    )
